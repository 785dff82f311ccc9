// Command wgwake: the last wg.Done wakes the waiter into the caller's
// runnext, ahead of older runnable goroutines.
//
// main starts f0 (records "f0") and then d, which calls done.Done (done
// counts 1), and records "d". main, waiting on done, records "m" when it
// wakes, then waits for both.
//
// Workload: conform/testdata/wgwake.gmp.
package main

import (
	"fmt"
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
	var done, all sync.WaitGroup
	done.Add(1)
	all.Add(2)
	go func() {
		r.say("f0")
		all.Done()
	}()
	go func() {
		done.Done()
		r.say("d")
		all.Done()
	}()
	done.Wait()
	r.say("m")
	all.Wait()
	r.print()
}
