// Command goschedmain: main starts three goroutines that record "w<i>",
// then calls runtime.Gosched and records "m" when it runs again, then
// waits for them. main goes to the global tail, behind the whole local
// queue.
//
// Workload: conform/testdata/goschedmain.gmp.
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
	names := []string{"w0", "w1", "w2"}
	var wg sync.WaitGroup
	wg.Add(len(names))
	for i := range names {
		go func() {
			r.say(names[i])
			wg.Done()
		}()
	}
	runtime.Gosched()
	r.say("m")
	wg.Wait()
	r.print()
}
