package impl

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gmplab/gmplab/spec"
)

// The runtime's own tests of the scheduler's mechanisms (brief section 9),
// re-done against impl where they apply. The run queue's unit tests
// (TestSchedLocalQueue, TestSchedLocalQueueSteal, TestSchedLocalQueueEmpty)
// are in runq_test.go; these are the rest:
//
//   - TestStealOrder: RunStealOrderTest (proc_runtime_test.go:9-50;
//     proc_test.go TestStealOrder), on stealWork's enumeration.
//   - TestGoroutineParallelism: proc_test.go:111-150, with computes in
//     place of busy-waiting on a shared variable (the workload language
//     has none).
//   - TestPreemption: proc_test.go:319-344, preemption at function
//     prologues only (async preemption off).
//
// Not re-done here: TestYieldProgress and TestTimerFairness need a
// non-blocking channel receive or timers, which the workload language
// lacks; TestPingPongHog is re-done on the model (its logical clock
// measures CPU shares, which the engine's wall clock on a shared 2-core
// machine cannot do reliably); the stack tests are in stack_test.go.

// TestStealOrder re-does RunStealOrderTest: for every procs in 1..64 the
// enumeration of stealWork (start pos, step coprime(n)) visits each P
// exactly once per round, and for procs >= 3 there is more than one step
// to draw from (the runtime checks len(coprimes) >= 2), so thieves do not
// all walk the Ps in the same order.
func TestStealOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 1; n <= 64; n++ {
		steps := map[int]bool{}
		for try := 0; try < 200; try++ {
			pos, inc := rng.IntN(n), coprime(n, rng)
			if inc < 1 || inc > n || gcd(inc, n) != 1 {
				t.Fatalf("procs %d: coprime drew %d", n, inc)
			}
			steps[inc] = true
			seen := make([]bool, n)
			for i := 0; i < n; i++ { // the loop of stealWork
				v := (pos + i*inc) % n
				if seen[v] {
					t.Fatalf("procs %d, pos %d, inc %d: P %d visited twice", n, pos, inc, v)
				}
				seen[v] = true
			}
		}
		if n >= 3 && len(steps) < 2 {
			t.Errorf("procs %d: only steps %v drawn in 200 tries", n, steps)
		}
	}
}

// TestGoroutineParallelism re-does the runtime's test of the same name:
// P Gs started from main on P Ps must all run at the same time. Each
// computes for 100 ms of wall time; every one of them must have started
// (its Run event) on its own P before the first one finishes (its
// Ready), which needs wakep and spinning Ms to bring every P into play.
// Wall-clock timing on a loaded machine: up to 3 tries, one must pass.
func TestGoroutineParallelism(t *testing.T) {
	const procs = 4
	code := compileSrc(t, "parallel", `
func main {
    repeat 4 {
        spawn w
    }
    park done 4
}

func w {
    compute 100ms
    ready done
}
`)
	opts := runOpts()
	opts.TimeScale = 1 // 100 ms of wall time: every M has time to start
	opts.Trace = true
	var why string
	for try := 0; try < 3; try++ {
		res, err := Run(spec.Default(procs), code, Boot{}, opts)
		if err != nil {
			t.Fatal(err)
		}
		checkExits(t, res)
		started := map[spec.GID]spec.PID{}
		ps := map[spec.PID]bool{}
		for _, ev := range res.Events {
			if ev.Kind == "Ready" {
				break
			}
			if ev.Kind == "Run" && ev.G != 1 {
				if _, ok := started[ev.G]; !ok {
					started[ev.G] = ev.P
					ps[ev.P] = true
				}
			}
		}
		if len(started) == procs && len(ps) == procs {
			return
		}
		why = fmt.Sprintf("before the first G finished, %d workers had started on %d distinct Ps (want %d on %d): %v",
			len(started), len(ps), procs, procs, started)
	}
	t.Fatalf("3 tries: %s", why)
}

// TestPreemption re-does the runtime's test of the same name: with async
// preemption off, a G that loops calling a function must still be
// preempted at a prologue, so that a G queued behind it on the only P
// runs before it finishes.
func TestPreemption(t *testing.T) {
	code := compileSrc(t, "preempt", `
func main {
    spawn other
    spawn spinner
    park done 2
}

func spinner {
    repeat 40 {
        compute 1ms
        call preempt
    }
    ready say.spinner.end
    ready done
}

func preempt {
}

func other {
    ready say.other
    ready done
}
`)
	cfg := spec.Default(1)
	cfg.AsyncPreempt = false
	opts := runOpts()
	opts.TimeScale = 0.1 // sysmon's 20 µs sleeps are coarse in wall time
	opts.Trace = true
	var last string
	for try := 0; try < 3; try++ { // wall-clock timing: retry
		// Schedtick 4, as at main.main's entry (brief 10.1): with 0 the
		// schedtick%61 check would take the preempted G straight back.
		res, err := Run(cfg, code, Boot{Schedtick: 4}, opts)
		if err != nil {
			t.Fatal(err)
		}
		checkExits(t, res)
		preempts, otherFirst, spinnerEnded := 0, false, false
		for _, ev := range res.Events {
			switch ev.Kind {
			case "Preempt":
				if !otherFirst {
					preempts++
				}
			case "Run":
				if ev.G == 2 && !spinnerEnded {
					otherFirst = true
				}
			case "Goexit":
				if ev.G == 3 {
					spinnerEnded = true
				}
			}
		}
		// other runs right after the spinner's first preemption.
		if preempts == 1 && otherFirst {
			return
		}
		last = res.Summary()
	}
	t.Fatalf("the 40 ms spinner was never preempted at a prologue before it ended (async preemption off): %s", last)
}
