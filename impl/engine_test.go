package impl

import (
	"flag"
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gmplab/gmplab/examples"
	"github.com/gmplab/gmplab/spec"
)

var implLong = flag.Bool("impl.long", false, "run the concurrent engine's stress test with 10^6 Gs")

func compileSrc(t testing.TB, name, src string) *spec.Code {
	t.Helper()
	code, err := spec.ParseCode(name, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func runOpts() RunOptions {
	return RunOptions{TimeScale: 0.01, Seed: 1, Timeout: 60 * time.Second}
}

// checkNoLeak fails if goroutines started during the test are still
// running shortly after.
func checkNoLeak(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutine leak: %d > %d\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(time.Millisecond)
	}
}

// checkExits checks that no G exited twice and that every G but those
// that may have been between their last statement and goexit when main
// exited (at most one per M) exited once.
func checkExits(t *testing.T, res *Result) {
	t.Helper()
	missing := 0
	for i, n := range res.Exits {
		if n > 1 {
			t.Fatalf("g%d exited %d times (%s)", i+1, n, res.Summary())
		}
		if n == 0 {
			missing++
		}
	}
	if missing > res.Ms {
		t.Fatalf("%d Gs never completed (%s)", missing, res.Summary())
	}
}

func TestRunExamples(t *testing.T) {
	entries, err := examples.FS.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, ent := range entries {
		name := strings.TrimSuffix(ent.Name(), ".gmp")
		src, err := examples.FS.ReadFile(ent.Name())
		if err != nil {
			t.Fatal(err)
		}
		code := compileSrc(t, name, string(src))
		for _, procs := range []int{1, 2, 4, 8} {
			t.Run(fmt.Sprintf("%s/procs=%d", name, procs), func(t *testing.T) {
				before := runtime.NumGoroutine()
				cfg := spec.Default(procs)
				if name == "overflow" {
					cfg.StackMax = 1 << 20
				}
				opts := runOpts()
				opts.Trace = procs == 2
				res, err := Run(cfg, code, Boot{}, opts)
				if err != nil {
					t.Fatal(err)
				}
				if name == "overflow" {
					if res.Outcome != OutcomeFatal || res.FatalReason != "stack-overflow" {
						t.Fatalf("got %s, want a fatal stack overflow", res.Summary())
					}
				} else {
					if res.Outcome != OutcomeExited {
						t.Fatalf("got %s, want exited", res.Summary())
					}
					checkExits(t, res)
				}
				if opts.Trace {
					if len(res.Events) == 0 {
						t.Fatal("no events with tracing on")
					}
					last := res.Events[len(res.Events)-1]
					for i := 1; i < len(res.Events); i++ {
						if res.Events[i].Time < res.Events[i-1].Time {
							t.Fatalf("event %d goes back in time", i)
						}
					}
					_ = last
				}
				checkNoLeak(t, before)
			})
		}
	}
}

// stressSrc: main spawns spawners; each spawner spawns a chain of
// workers that compute, call (growing their stacks under a pointer),
// yield, make syscalls, and check their stacks, and ends with a GC; main
// changes GOMAXPROCS four times in between. Every spawner and every
// worker adds exactly one permit to its key, and main waits for exactly
// that many, so at the end no permit is left over.
const stressSrc = `
func main {
    repeat %[1]d {
        spawn spawner
    }
    gomaxprocs 4
    gc
    gomaxprocs 2
    park started %[1]d
    gomaxprocs 8
    gc
    park done %[2]d
    gomaxprocs 3
}

func spawner {
    ready started
    repeat %[3]d {
        spawn worker 3
        compute 1us
    }
    syscall 20ms
    gc
    ready done
}

func worker frame 32 {
    set 1 5
    ref 0 0:1
    compute 2us
    call grow 2
    check *0 9
    check 1 9
    gosched
    syscall 5us
    compute 3us
    ready done
}

func grow frame 704 {
    ref 2 1:1
    store 2 9
    descend grow
}
`

// TestRunStress pushes Gs through the concurrent engine with spawns,
// steals, syscalls and their retakes, preemptions, GCs (stack shrinking
// under stop-the-world), stack growth and GOMAXPROCS changes, and checks
// exactly (checkExactlyOnce) that every G ran to completion once. The
// default is 20,000 Gs on 2, 5 and 8 Ps (-short: 4,000); -impl.long
// pushes 10^6 Gs through each of 2..8 Ps.
func TestRunStress(t *testing.T) {
	spawners, per := 20, 1000
	procsList := []int{2, 5, 8}
	if testing.Short() {
		per = 200
	}
	if *implLong {
		spawners, per = 100, 10000
		procsList = []int{2, 3, 4, 5, 6, 7, 8}
	}
	code := compileSrc(t, "stress", fmt.Sprintf(stressSrc, spawners, spawners+spawners*per, per))
	for _, procs := range procsList {
		t.Run(fmt.Sprintf("procs=%d", procs), func(t *testing.T) {
			before := runtime.NumGoroutine()
			cfg := spec.Default(procs)
			cfg.ForcePreempt = 20 * time.Microsecond // preempt often
			opts := runOpts()
			opts.Seed = uint64(procs)
			opts.Timeout = 10 * time.Minute
			res, err := Run(cfg, code, Boot{}, opts)
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != OutcomeExited { // a failed stack check is OutcomeFatal
				t.Fatalf("got %s", res.Summary())
			}
			checkExactlyOnce(t, res, spawners, per)
			if st := res.Stats; st.Steals == 0 || st.Preempts == 0 {
				t.Errorf("no steal or no preemption in the run: %+v", st)
			}
			t.Logf("%s; %+v", res.Summary(), res.Stats)
			checkNoLeak(t, before)
		})
	}
}

// checkExactlyOnce checks a stress run exactly: the number of Gs; every G
// exited at most once, and one that did not had completed its work (it
// was at its goexit when main ended the run); no statement ran twice or
// was lost (one spawn per G, one syscall per spawner and per worker, one stack growth per worker,
// one GC per spawner plus main's two, main's four GOMAXPROCS changes, and
// no permit left over or missing on either key); and every stack check
// held (the run exited: a failed check is fatal).
func checkExactlyOnce(t *testing.T, res *Result, spawners, per int) {
	t.Helper()
	workers := spawners * per
	if want := 1 + spawners + workers; res.Gs != want || len(res.Exits) != want {
		t.Fatalf("%d Gs (%d exit counts), want %d", res.Gs, len(res.Exits), want)
	}
	unfinished := map[spec.GID]Unfinished{}
	for _, u := range res.Unfinished {
		unfinished[u.ID] = u
	}
	inFlight := 0
	for i, n := range res.Exits {
		id := spec.GID(i + 1)
		u, live := unfinished[id]
		switch {
		case n > 1:
			t.Fatalf("g%d exited %d times", id, n)
		case n == 1 && live:
			t.Fatalf("g%d exited and is %v", id, u.Status)
		case n == 0 && !live:
			t.Fatalf("g%d is lost: neither exited nor alive", id)
		case n == 0 && !u.AtExit:
			t.Fatalf("g%d never completed: %v, not at its goexit", id, u.Status)
		case n == 0:
			inFlight++
		}
	}
	if res.Exits[0] != 1 {
		t.Fatalf("main exited %d times", res.Exits[0])
	}
	if inFlight > res.Ms {
		t.Fatalf("%d Gs between their last statement and goexit, more than the %d Ms", inFlight, res.Ms)
	}
	st := res.Stats
	if st.Spawns != spawners+workers || st.Syscalls != spawners+workers || st.Grows != workers ||
		st.GCs != spawners+2 || st.Gomaxprocs != 4 {
		t.Fatalf("statements ran a wrong number of times: %+v; want %d spawns, %d syscalls, %d grows, %d GCs, 4 GOMAXPROCS changes",
			st, spawners+workers, spawners+workers, workers, spawners+2)
	}
	for _, k := range res.Keys {
		if k.Permits != 0 || len(k.Waiters) != 0 {
			t.Fatalf("key %s ends with %d permits and waiters %v: a ready ran twice or was lost", k.Key, k.Permits, k.Waiters)
		}
	}
}

func TestRunStressTraced(t *testing.T) {
	code := compileSrc(t, "stress", fmt.Sprintf(stressSrc, 4, 4+4*50, 50))
	cfg := spec.Default(4)
	cfg.ForcePreempt = 20 * time.Microsecond
	opts := runOpts()
	opts.Trace = true
	res, err := Run(cfg, code, Boot{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != OutcomeExited {
		t.Fatalf("got %s", res.Summary())
	}
	checkExactlyOnce(t, res, 4, 50)
	kinds := map[string]int{}
	for _, ev := range res.Events {
		kinds[ev.Kind]++
	}
	for _, k := range []string{"Spawn", "Run", "Gosched", "EnterSyscall", "ExitSyscall", "Gomaxprocs", "GC", "Grow", "Goexit", "Exit"} {
		if kinds[k] == 0 {
			t.Errorf("no %s event (%v)", k, kinds)
		}
	}
}

func TestRunDeadlock(t *testing.T) {
	code := compileSrc(t, "dead", `
func main {
    spawn w
    spawn w
    park never
}

func w {
    compute 5us
    park never
}
`)
	for _, procs := range []int{1, 4} {
		before := runtime.NumGoroutine()
		res, err := Run(spec.Default(procs), code, Boot{}, runOpts())
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome != OutcomeDeadlock || res.Message != spec.DeadlockMessage {
			t.Fatalf("procs=%d: got %s, want deadlock", procs, res.Summary())
		}
		checkNoLeak(t, before)
	}
}

func TestRunFailedCheck(t *testing.T) {
	code := compileSrc(t, "bad", `
func main {
    spawn w
    park done
}

func w frame 16 {
    set 0 1
    check 0 2
    ready done
}
`)
	res, err := Run(spec.Default(2), code, Boot{}, runOpts())
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != OutcomeFatal || res.FatalG != 2 {
		t.Fatalf("got %s (g%d), want fatal on g2", res.Summary(), res.FatalG)
	}
}

func TestRunPanicReported(t *testing.T) {
	code := compileSrc(t, "p", `
func main frame 16 {
    spawn w
    park done
}

func w frame 16 {
    set 0 1
    ready done
}
`)
	// Corrupt the compiled code: w's set names a slot far outside its
	// frame, which the interpreter does not expect.
	w := code.FuncIndex("w")
	for i := range code.Funcs[w].Instrs {
		if code.Funcs[w].Instrs[i].Op == spec.OpSet {
			code.Funcs[w].Instrs[i].Slot = 1 << 20
		}
	}
	before := runtime.NumGoroutine()
	res, err := Run(spec.Default(2), code, Boot{}, runOpts())
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != OutcomePanic || !strings.Contains(res.Message, "panic") {
		t.Fatalf("got %s, want a reported panic", res.Summary())
	}
	checkNoLeak(t, before)
}

func TestRunSyscallRetake(t *testing.T) {
	// One P: a G in a long syscall must lose its P to sysmon so that the
	// others run meanwhile.
	code := compileSrc(t, "sys", `
func main {
    spawn blocker
    spawn worker
    park done 2
}

func blocker {
    syscall 20ms
    ready done
}

func worker {
    compute 1ms
    ready done
}
`)
	opts := runOpts()
	opts.Trace = true
	res, err := Run(spec.Default(1), code, Boot{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != OutcomeExited {
		t.Fatalf("got %s", res.Summary())
	}
	retakes := 0
	for _, ev := range res.Events {
		if ev.Kind == "Retake" {
			retakes++
		}
	}
	if retakes == 0 {
		t.Fatalf("no retake of a P blocked in a 20ms syscall")
	}
}

func TestRunHogPreempted(t *testing.T) {
	src, _ := examples.FS.ReadFile("hog.gmp")
	code := compileSrc(t, "hog", string(src))
	opts := runOpts()
	opts.Trace = true
	opts.TimeScale = 0.1 // sysmon's short sleeps are coarse in wall time
	var res *Result
	preempts := 0
	for try := 0; try < 3 && preempts == 0; try++ { // wall-clock timing: retry
		var err error
		res, err = Run(spec.Default(1), code, Boot{}, opts)
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome != OutcomeExited {
			t.Fatalf("got %s", res.Summary())
		}
		for _, ev := range res.Events {
			if ev.Kind == "Preempt" {
				preempts++
			}
		}
	}
	if preempts == 0 {
		t.Fatalf("the 50ms hog was never preempted: %s", res.Summary())
	}
}

// TestRunSchedtrace: sysmon prints GODEBUG=schedtrace lines in the
// runtime's format while the run goes on.
func TestRunSchedtrace(t *testing.T) {
	src, _ := examples.FS.ReadFile("hog.gmp")
	code := compileSrc(t, "hog", string(src))
	opts := runOpts()
	opts.TimeScale = 0.1
	opts.SchedTrace = time.Millisecond
	res, err := Run(spec.Default(2), code, Boot{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != OutcomeExited || len(res.SchedTrace) == 0 {
		t.Fatalf("%s, %d schedtrace lines", res.Summary(), len(res.SchedTrace))
	}
	line := regexp.MustCompile(`^SCHED \d+ms: gomaxprocs=2 idleprocs=\d+ threads=\d+ spinningthreads=\d+ needspinning=[01] idlethreads=\d+ runqueue=\d+ \[ \d+ \d+ \] schedticks=\[ \d+ \d+ \]$`)
	for _, l := range res.SchedTrace {
		if !line.MatchString(l) {
			t.Errorf("not a schedtrace line: %q", l)
		}
	}
}

// TestRunSnapshotsConsistent: snapshots taken under stop-the-world while
// the concurrent engine runs keep every invariant of spec.All.
func TestRunSnapshotsConsistent(t *testing.T) {
	for _, name := range []string{"spawn300", "pingpong", "syscall", "stackgrow", "procs"} {
		src, _ := examples.FS.ReadFile(name + ".gmp")
		code := compileSrc(t, name, string(src))
		for _, procs := range []int{1, 2, 4} {
			opts := runOpts()
			opts.TimeScale = 0.05
			opts.SnapshotEvery = 200 * time.Microsecond
			res, err := Run(spec.Default(procs), code, Boot{}, opts)
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != OutcomeExited {
				t.Fatalf("%s on %d Ps: %s", name, procs, res.Summary())
			}
			for i := range res.Snapshots {
				if err := spec.All(&res.Snapshots[i]); err != nil {
					t.Fatalf("%s on %d Ps: snapshot %d of %d: %v", name, procs, i+1, len(res.Snapshots), err)
				}
			}
			t.Logf("%s on %d Ps: %d consistent snapshots", name, procs, len(res.Snapshots))
		}
	}
}
