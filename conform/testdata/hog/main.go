// Command hog: a CPU hog with short goroutines queued behind it.
//
// main starts s0, s1, s2 (each records "s<i>") and then the hog, which
// takes runnext and so runs first: it records "H", spins for 50 ms
// without blocking, and records "h". With one P the short goroutines run
// only if sysmon preempts the hog (its slice is older than 10 ms).
//
// Workload: conform/testdata/hog.gmp.
package main

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// rec: see conform/testdata/spawn.
type rec struct {
	next atomic.Int32
	toks []string
}

func (r *rec) say(tok string) { r.toks[r.next.Add(1)-1] = tok }

func (r *rec) print() { fmt.Println(strings.Join(r.toks[:r.next.Load()], " ")) }

// sink keeps the spin loop from being optimised away.
var sink uint64

func main() {
	r := &rec{toks: make([]string, 64)}
	var wg sync.WaitGroup
	wg.Add(4)
	for _, name := range []string{"s0", "s1", "s2"} {
		go func() {
			r.say(name)
			wg.Done()
		}()
	}
	go func() {
		r.say("H")
		start := time.Now()
		x := uint64(1)
		for time.Since(start) < 50*time.Millisecond {
			for range 10000 {
				x = x*6364136223846793005 + 1
			}
		}
		sink = x
		r.say("h")
		wg.Done()
	}()
	wg.Wait()
	r.print()
}
