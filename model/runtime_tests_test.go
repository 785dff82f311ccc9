package model

import (
	"fmt"
	"testing"
	"time"

	"github.com/gmplab/gmplab/spec"
)

// The runtime's own tests of the scheduler's mechanisms (brief section 9),
// re-done against the model where they apply:
//
//   - TestSchedLocalQueue: RunSchedLocalQueueTest (export_test.go:102-123)
//     through the model's actions: i Gs put on the ring (runnext off, as
//     runqput(next=false)) run in FIFO order with no spill for every
//     i <= 256; the runtime's test puts one G i times, which the model's
//     Gs (each on one queue, invariant 1) cannot do.
//   - TestSchedLocalQueueSteal: RunSchedLocalQueueStealTest
//     (export_test.go:125-167): a steal from a ring of i takes ceil(i/2)
//     and every G runs exactly once.
//   - TestGoroutineParallelism: proc_test.go:111-150 (computes in place of
//     busy-waiting on a shared variable).
//   - TestPreemption: proc_test.go:319-344 (preemption at prologues).
//   - TestPingPongHog: proc_test.go:436-497 (a runnext ping-pong pair
//     shares one slice and is preempted as a unit).
//
// TestSchedLocalQueueEmpty (the runqempty race) and TestStealOrder (the
// enumeration of victims) test code the model does not have: runqempty
// is atomic here, and a spinning M lists one Steal per victim and round
// instead of drawing an order; impl re-does both (runq_test.go,
// runtime_tests_test.go).

func rtCode(t *testing.T, name, src string) *spec.Code {
	t.Helper()
	code, err := spec.ParseCode(name, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// runFirst takes the first enabled action until the run ends and returns
// the events.
func runFirst(t *testing.T, s State) (State, []spec.Event) {
	t.Helper()
	var all []spec.Event
	for steps := 0; !s.Ended(); steps++ {
		en := Enabled(s)
		if len(en) == 0 || steps > 1_000_000 {
			t.Fatalf("run did not end (%d steps):\n%s", steps, Describe(s))
		}
		var evs []spec.Event
		var err error
		if s, evs, err = StepTrace(s, en[0]); err != nil {
			t.Fatal(err)
		}
		all = append(all, evs...)
	}
	return s, all
}

// rtFills are the ring fills tried: the runtime tries every i below the
// ring size; each i here is a whole run of the model, so: the small ones,
// both sides of each power of two, and the ring size and one past it.
func rtFills(size int) []int {
	out := []int{1, 2, 3, 4, 5}
	for p := 8; p <= size; p *= 2 {
		out = append(out, p-1, p, p+1)
	}
	return out
}

func TestSchedLocalQueue(t *testing.T) {
	cfg := spec.Default(1)
	cfg.Runnext = false
	for _, i := range rtFills(cfg.RunqSize) {
		code := rtCode(t, "localqueue", fmt.Sprintf("func main {\n repeat %d { spawn w }\n park done %d\n}\nfunc w {\n ready done\n}\n", i, i))
		s, err := Init(&Env{Cfg: cfg, Code: code}, Boot{})
		if err != nil {
			t.Fatal(err)
		}
		_, evs := runFirst(t, s)
		var order []spec.GID
		spills := 0
		for _, ev := range evs {
			switch {
			case ev.Kind == "Run" && ev.G != 1:
				order = append(order, ev.G)
			case ev.Kind == "Spill":
				spills++
			}
		}
		if len(order) != i {
			t.Fatalf("i=%d: %d workers ran", i, len(order))
		}
		if i <= cfg.RunqSize {
			for j, g := range order {
				if g != spec.GID(j+2) { // workers are g2.. in spawn order
					t.Fatalf("i=%d: position %d ran %v, want FIFO (g%d)", i, j, g, j+2)
				}
			}
			if spills != 0 {
				t.Fatalf("i=%d: %d spills; a ring of %d holds %d Gs", i, spills, cfg.RunqSize, i)
			}
		} else if spills != 1 {
			// One more than the ring holds: exactly one spill (the slow path).
			t.Fatalf("i=%d: %d spills, want 1", i, spills)
		}
	}
}

func TestSchedLocalQueueSteal(t *testing.T) {
	cfg := spec.Default(2)
	cfg.Runnext = false
	for _, i := range rtFills(cfg.RunqSize) {
		if i > cfg.RunqSize {
			continue // would spill
		}
		code := rtCode(t, "steal", fmt.Sprintf("func main {\n repeat %d { spawn w }\n park done %d\n}\nfunc w {\n ready done\n}\n", i, i))
		s, err := Init(&Env{Cfg: cfg, Code: code}, Boot{})
		if err != nil {
			t.Fatal(err)
		}
		// main (m0) spawns all i onto p0's ring; the first spawn's wakep
		// starts a spinning M on p1, which then steals once from p0.
		var stolen int
		for stolen == 0 {
			en := Enabled(s)
			var a Action
			for _, c := range en {
				if st, ok := c.(Steal); ok && st.Victim == 0 && st.Round == 0 && s.Ms[0].Curg == 1 && s.Gs[0].Status == spec.GRunning && len(s.Ps[0].Runq) == i {
					a = c
					break
				}
				if sp, ok := c.(Spawn); ok && sp.M == 0 {
					a = c
					break
				}
				if sch, ok := c.(Schedule); ok && sch.M != 0 {
					a = c
					break
				}
			}
			if a == nil {
				t.Fatalf("i=%d: no spawn or steal enabled:\n%s", i, Describe(s))
			}
			var evs []spec.Event
			if s, evs, err = StepTrace(s, a); err != nil {
				t.Fatal(err)
			}
			if _, ok := a.(Steal); ok {
				if n := evs[0].Arg("n"); n != fmt.Sprint((i+1)/2) {
					t.Fatalf("i=%d: stole %s, want ceil(i/2) = %d", i, n, (i+1)/2)
				}
				stolen = 1
			}
		}
		// Every G is seen exactly once between the thief and the victim.
		_, evs := runFirst(t, s)
		runs := map[spec.GID]int{}
		for _, ev := range evs {
			if ev.Kind == "Run" && ev.G != 1 {
				runs[ev.G]++
			}
		}
		if len(runs) != i-1 {
			// the stolen G that the thief ran is in the Steal step itself
			t.Fatalf("i=%d: %d other workers ran after the steal, want %d", i, len(runs), i-1)
		}
		for g, n := range runs {
			if n != 1 {
				t.Fatalf("i=%d: %v ran %d times", i, g, n)
			}
		}
	}
}

func TestGoroutineParallelism(t *testing.T) {
	const procs = 4
	code := rtCode(t, "parallel", "func main {\n repeat 4 { spawn w }\n park done 4\n}\nfunc w {\n compute 10ms\n ready done\n}\n")
	for seed := uint64(1); seed <= 5; seed++ {
		res, err := Simulate(&Env{Cfg: spec.Default(procs), Code: code, Timed: true}, Boot{}, SimOptions{Seed: seed, KeepEvents: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome != OutcomeExited {
			t.Fatalf("seed %d: %s", seed, res.Summary())
		}
		// Run one after the other they would take 40 ms of logical time;
		// all four at once take 10 ms plus scheduling (zero-time here).
		if res.End >= 20*time.Millisecond {
			t.Errorf("seed %d: the four 10ms computes on 4 Ps took %v: they did not all run at once", seed, res.End)
		}
		ps := map[spec.PID]bool{}
		for _, ev := range res.Events {
			if ev.Kind == "Run" && ev.G != 1 {
				ps[ev.P] = true
			}
		}
		if len(ps) != procs {
			t.Errorf("seed %d: workers ran on %d Ps, want %d", seed, len(ps), procs)
		}
	}
}

func TestPreemption(t *testing.T) {
	code := rtCode(t, "preempt", `
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
    ready done
}
func preempt {
}
func other {
    ready done
}
`)
	cfg := spec.Default(1)
	cfg.AsyncPreempt = false
	// Schedtick 4, as at main.main's entry (brief 10.1): with 0 the
	// schedtick%61 check would take the preempted G straight back from
	// the global queue, ahead of other.
	res, err := Simulate(&Env{Cfg: cfg, Code: code, Timed: true}, Boot{Schedtick: 4}, SimOptions{Seed: 1, KeepEvents: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != OutcomeExited {
		t.Fatal(res.Summary())
	}
	var otherRan, spinnerDone time.Duration = -1, -1
	preempts := 0
	for _, ev := range res.Events {
		switch {
		case ev.Kind == "Preempt" && ev.G == 3:
			preempts++
		case ev.Kind == "Run" && ev.G == 2 && otherRan < 0:
			otherRan = ev.Time
		case ev.Kind == "Goexit" && ev.G == 3:
			spinnerDone = ev.Time
		}
	}
	// Preempted at a prologue once its slice is 10-20 ms old, well before
	// its 40 ms end.
	if preempts == 0 || otherRan < 0 || otherRan >= spinnerDone || otherRan > 20*time.Millisecond+cfg.SysmonMaxDelay {
		t.Fatalf("spinner preempted %d times, other first ran at %v, spinner ended at %v", preempts, otherRan, spinnerDone)
	}
}

func TestPingPongHog(t *testing.T) {
	// Two pairs ping-pong over their own keys on one P: the hog pair
	// computes 1 ms per turn, the light pair 10 µs (the runtime's pairs do
	// 1e6 and 1e3 increments; 100x keeps the model's run short). Each woken G goes to
	// runnext and inherits the slice, so a pair keeps the P until sysmon
	// preempts it after 10 ms; then the other pair gets its turn. Over 100
	// ms the CPU time of the two pairs must be within a factor of 20 (the
	// runtime compares hogCount and lightCount, which count work
	// proportional to CPU time).
	pair := func(name, d string) string {
		return fmt.Sprintf(`
func %[1]s.ping {
    repeat 1000000 {
        compute %[2]s
        ready %[1]s.to.pong
        park %[1]s.to.ping
    }
}
func %[1]s.pong {
    repeat 1000000 {
        park %[1]s.to.pong
        compute %[2]s
        ready %[1]s.to.ping
    }
}
`, name, d)
	}
	code := rtCode(t, "pingponghog", "func main {\n spawn hog.ping\n spawn hog.pong\n spawn light.ping\n spawn light.pong\n park done\n}\n"+pair("hog", "1ms")+pair("light", "10us"))
	res, err := Simulate(&Env{Cfg: spec.Default(1), Code: code, Timed: true}, Boot{}, SimOptions{Seed: 1, KeepEvents: true, MaxTime: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != OutcomeTimeLimit {
		t.Fatal(res.Summary())
	}
	var hog, light time.Duration
	for _, ev := range res.Events {
		if ev.Kind != "Compute" {
			continue
		}
		switch code.Funcs[res.Final.Gs[ev.G-1].Fn].Name[:3] {
		case "hog":
			hog += time.Millisecond
		case "lig":
			light += 10 * time.Microsecond
		}
	}
	if hog == 0 || light == 0 || hog > 20*light || light > 20*hog {
		t.Fatalf("CPU in 100ms: hog pair %v, light pair %v: not within a factor of 20", hog, light)
	}
	t.Logf("CPU in 100ms: hog pair %v, light pair %v", hog, light)
}
