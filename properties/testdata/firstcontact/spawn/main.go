// Command spawn is the first-contact workload for the real Go runtime
// (properties/firstcontact_test.go): main starts N goroutines, each of
// which records its spawn index at the next free position of a shared
// slice and calls wg.Done; main waits and prints the recorded order, one
// line of space-separated indexes.
//
// Run it with GOMAXPROCS=1 (and GOGC=off): on a single P the goroutines
// never run in parallel, and the order printed is the order in which the
// scheduler ran them.
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

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
	order := make([]int, n)
	// next is claimed atomically: with asynchronous preemption a goroutine
	// can be stopped between reading and bumping a plain counter, and
	// another would then take the same position.
	var next atomic.Int32
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			order[next.Add(1)-1] = i
			wg.Done()
		}()
	}
	wg.Wait()
	if next := int(next.Load()); next != n {
		fmt.Fprintf(os.Stderr, "spawn: %d of %d goroutines recorded\n", next, n)
		os.Exit(1)
	}
	var b strings.Builder
	for i, v := range order {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(v))
	}
	fmt.Println(b.String())
}
