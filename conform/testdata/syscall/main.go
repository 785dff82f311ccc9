// Command syscall: a goroutine in a long system call while others wait.
//
// main starts B and then w0 and w1 (each records "w<i>"). B records
// "B", blocks its thread in a 30 ms nanosleep system call (entersyscall:
// its M keeps the P until sysmon retakes it), and records "b" when it
// returns. With one P, w0 runs during the syscall only if sysmon retakes
// the P and hands it to another M.
//
// Workload: conform/testdata/syscall.gmp.
package main

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
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
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		r.say("B")
		ts := syscall.Timespec{Nsec: 30e6}
		for syscall.Nanosleep(&ts, &ts) == syscall.EINTR {
		}
		r.say("b")
		wg.Done()
	}()
	for _, name := range []string{"w0", "w1"} {
		go func() {
			r.say(name)
			wg.Done()
		}()
	}
	wg.Wait()
	r.print()
}
