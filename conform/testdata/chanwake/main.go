// Command chanwake: a goroutine woken by a channel send goes to the
// sender's runnext and runs before older runnable goroutines.
//
// main starts W, which tells main it is about to wait and then blocks
// receiving on c. main starts f0 and f1 (they record "f<i>") and then s,
// which records "s" and sends on c. W records "W" when it gets the value.
//
// Workload: conform/testdata/chanwake.gmp.
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
	up := make(chan struct{})
	c := make(chan int)
	var wg sync.WaitGroup
	wg.Add(4)
	go func() {
		up <- struct{}{}
		<-c
		r.say("W")
		wg.Done()
	}()
	<-up
	for _, name := range []string{"f0", "f1"} {
		go func() {
			r.say(name)
			wg.Done()
		}()
	}
	go func() {
		r.say("s")
		c <- 1
		wg.Done()
	}()
	wg.Wait()
	r.print()
}
