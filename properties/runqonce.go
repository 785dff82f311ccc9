package properties

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/gmplab/gmplab/impl"
	"github.com/gmplab/gmplab/spec"
)

// The concurrent exactly-once property of the implementation's run queue
// (impl.RunQueueLab, the runq.go protocol on real goroutines): an owner puts
// Gs 1..N on its queue (into runnext or at the ring tail; a full ring
// spills to the global queue) and takes some back, while thieves steal
// from it (runnext too) and take from their own queues what they stole.
// When all have stopped, every queue and the global queue are drained.
// Every G must have been taken exactly once: a G taken twice means two
// consumers committed the same slot or runnext (a lost CAS), a G never
// taken was lost.
//
// The operations are seeded; the interleaving is the machine's, so a
// failing seed reproduces the workload exactly but the race only with
// some probability (a replay repeats the seed, Check.Tries). In the
// instrumented builds (go test -race) every shared-memory operation also
// yields the processor now and then (RunQueueLabOptions.Perturb), which opens
// race windows far more often than two threads meeting inside a few
// instructions on a loaded machine.

const (
	runqOnceGs      = 4000 // Gs per case (a quarter under the chaos of an instrumented build, which is slow)
	runqOnceThieves = 3
	runqOnceChaos   = 64 // yield before 1 in 64 shared-memory operations (instrumented builds)
)

// runqOnceCase runs one case with the given mutants.
func runqOnceCase(seed uint64, mut impl.Mutants) *caseFailure {
	rng := rand.New(rand.NewPCG(seed, 0x6f6e6365))
	ng := runqOnceGs
	if impl.RaceWidening() {
		ng /= 4
	}
	cfg := spec.Default(1 + runqOnceThieves).WithRunqSize([]int{4, 16, 256}[rng.IntN(3)])
	cfg.SpillBatch = cfg.RunqSize / 2
	cfg.StealRunnextLastRoundOnly = false
	cfg.Procs = 1 + runqOnceThieves
	lab, err := impl.NewRunQueueLab(cfg, ng, impl.RunQueueLabOptions{Mutants: mut, Perturb: runqOnceChaos})
	if err != nil {
		return inconclusive("runq-once-setup", err.Error())
	}
	defer lab.Close()
	// The owner's script, drawn before the run: 0 put next, 1 put at the
	// tail, 2 get.
	script := make([]uint8, 0, 2*ng)
	for put := 0; put < ng; {
		op := uint8(rng.IntN(4))
		if op == 3 {
			op = 0
		}
		script = append(script, op)
		if op != 2 {
			put++
		}
	}

	taken := make([][]spec.GID, 1+runqOnceThieves) // per goroutine, then the final drain
	var panics []string
	var pmu sync.Mutex
	guard := func() {
		if r := recover(); r != nil {
			pmu.Lock()
			panics = append(panics, fmt.Sprint(r))
			pmu.Unlock()
		}
	}
	var done atomic.Bool // set by the owner after its script; thieves stop
	var wg sync.WaitGroup
	wg.Add(1 + runqOnceThieves)
	go func() { // the owner of queue 0
		defer wg.Done()
		defer done.Store(true)
		defer guard()
		next := spec.GID(1)
		for _, op := range script {
			switch op {
			case 0, 1:
				if _, _, err := lab.Put(0, next, op == 0); err != nil {
					panic(err)
				}
				next++
			case 2:
				if g, _, _ := lab.Get(0); g != spec.NoG {
					taken[0] = append(taken[0], g)
				}
			}
		}
	}()
	for t := 1; t <= runqOnceThieves; t++ {
		go func() { // the owner of queue t, a thief of queue 0
			defer wg.Done()
			defer guard()
			for !done.Load() {
				g, _, err := lab.Steal(t, 0, true)
				if err != nil {
					panic(err)
				}
				if g == spec.NoG {
					runtime.Gosched()
					continue
				}
				taken[t] = append(taken[t], g)
				for {
					g, _, _ := lab.Get(t)
					if g == spec.NoG {
						break
					}
					taken[t] = append(taken[t], g)
				}
			}
		}()
	}
	wg.Wait()
	if len(panics) > 0 {
		return &caseFailure{Property: "runq-once-panic: " + firstLine(panics[0]), Detail: fmt.Sprintf("panic: %s (ring %d)", panics[0], cfg.RunqSize)}
	}
	// Every goroutine has stopped (wg.Wait): this goroutine now owns every
	// queue.
	var rest []spec.GID
	for q := 0; q <= runqOnceThieves; q++ {
		gs, _ := lab.Drain(q) // q is in range
		rest = append(rest, gs...)
	}
	rest = append(rest, lab.Snapshot().Global...)
	count := make([]int, ng+1)
	for _, ts := range append(taken, rest) {
		for _, g := range ts {
			if g < 1 || int(g) > ng {
				return &caseFailure{Property: "runq-once", Detail: fmt.Sprintf("took %v, which was never put", g)}
			}
			count[g]++
		}
	}
	for g := 1; g <= ng; g++ {
		switch {
		case count[g] > 1:
			return &caseFailure{Property: "runq-once", Detail: fmt.Sprintf("g%d was taken %d times (ring %d, %d Gs, %d thieves)", g, count[g], cfg.RunqSize, ng, runqOnceThieves)}
		case count[g] == 0:
			return &caseFailure{Property: "runq-once", Detail: fmt.Sprintf("g%d was lost: put once, never taken (ring %d, %d Gs, %d thieves)", g, cfg.RunqSize, ng, runqOnceThieves)}
		}
	}
	return nil
}
