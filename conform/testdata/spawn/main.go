// Command spawn: main starts N goroutines (N from the command line) and
// waits for them; each records "w<i>" (i its spawn index) when it first
// runs. The printed line is the order in which the scheduler ran them.
//
// Workload: conform/testdata/spawn.gmp. Brief 10.2.
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// rec records tokens in memory in the order the goroutines run: printing
// as they run would be a write syscall and change the schedule. The slot
// is claimed atomically because async preemption may stop a goroutine
// between reading and bumping a plain counter.
type rec struct {
	next atomic.Int32
	toks []string
}

func (r *rec) say(tok string) { r.toks[r.next.Add(1)-1] = tok }

func (r *rec) print() { fmt.Println(strings.Join(r.toks[:r.next.Load()], " ")) }

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: spawn N")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[1])
	if err != nil || n < 1 {
		fmt.Fprintln(os.Stderr, "spawn: N must be a positive integer")
		os.Exit(2)
	}
	r := &rec{toks: make([]string, n)}
	names := make([]string, n) // built before spawning: no allocation in the workers
	for i := range names {
		names[i] = "w" + strconv.Itoa(i)
	}
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			r.say(names[i])
			wg.Done()
		}()
	}
	wg.Wait()
	r.print()
}
