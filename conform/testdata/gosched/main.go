// Command gosched: three goroutines each record "y<i>" and call
// runtime.Gosched, three times; main waits. A yielding G goes to the
// global tail, so with one P they take turns.
//
// Workload: conform/testdata/gosched.gmp.
package main

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
)

// rec: see conform/testdata/spawn.
type rec struct {
	next atomic.Int32
	toks []string
}

func (r *rec) say(tok string) { r.toks[r.next.Add(1)-1] = tok }

func (r *rec) print() { fmt.Println(strings.Join(r.toks[:r.next.Load()], " ")) }

func main() {
	r := &rec{toks: make([]string, 64)}
	names := []string{"y0", "y1", "y2"}
	var wg sync.WaitGroup
	wg.Add(len(names))
	for i := range names {
		go func() {
			for range 3 {
				r.say(names[i])
				runtime.Gosched()
			}
			wg.Done()
		}()
	}
	wg.Wait()
	r.print()
}
