// Command goschedmany: main starts N goroutines (N from the command
// line); each records "a<i>", calls runtime.Gosched (to the global tail)
// and records "b<i>" when it runs again. The ring drains in FIFO order
// while the yielded Gs pile up in the global queue; the schedtick%61
// fairness check takes one of them out of turn every 61 slices, at
// positions that depend on the start-up schedtick.
//
// Workload: conform/testdata/goschedmany.gmp.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
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
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: goschedmany N")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[1])
	if err != nil || n < 1 {
		fmt.Fprintln(os.Stderr, "goschedmany: N must be a positive integer")
		os.Exit(2)
	}
	r := &rec{toks: make([]string, 2*n)}
	as, bs := make([]string, n), make([]string, n) // no allocation in the workers
	for i := range as {
		as[i], bs[i] = "a"+strconv.Itoa(i), "b"+strconv.Itoa(i)
	}
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			r.say(as[i])
			runtime.Gosched()
			r.say(bs[i])
			wg.Done()
		}()
	}
	wg.Wait()
	r.print()
}
