package model

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gmplab/gmplab/spec"
)

// simEnv compiles src into a timed Env with cfg.
func simEnv(t *testing.T, cfg spec.Config, src string) *Env {
	t.Helper()
	code, err := spec.ParseCode("sim_test.gmp", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return &Env{Cfg: cfg, Code: code, Timed: true}
}

func simRun(t *testing.T, env *Env, boot Boot, opts SimOptions) *SimResult {
	t.Helper()
	res, err := Simulate(env, boot, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// fnOf returns the name of the function g started in.
func simFnOf(s State, g spec.GID) string { return s.Env.Code.Funcs[s.Gs[g-1].Fn].Name }

// gsRunning returns the Gs of s that started in fn.
func simGsOf(s State, fn string) []spec.GID {
	var out []spec.GID
	for i := range s.Gs {
		if simFnOf(s, spec.GID(i+1)) == fn {
			out = append(out, spec.GID(i+1))
		}
	}
	return out
}

// simBusyWorkload has several Ps, steals, spinning, a syscall retake and a
// GOMAXPROCS change: enough free choices for seeds to matter.
const simBusyWorkload = `
func main {
    spawn blocker
    repeat 12 {
        spawn worker
    }
    gomaxprocs 3
    park done 13
}
func blocker {
    syscall 3ms
    compute 50us
    ready done
}
func worker frame 64 {
    set 0 1
    ref 1 0:0
    repeat 3 {
        compute 300us
        call leaf
        gosched
    }
    check *1 1
    ready done
}
func leaf frame 2048 {
    compute 10us
}
`

func simTraced(t *testing.T, env *Env, seed uint64) (trace, sched, metrics string, res *SimResult) {
	t.Helper()
	var tb, sb, mb bytes.Buffer
	res = simRun(t, env, Boot{Schedtick: 4}, SimOptions{Seed: seed, Trace: &tb, SchedTrace: time.Millisecond, SchedTraceOut: &sb, KeepEvents: true})
	if err := res.Metrics.Format(&mb); err != nil {
		t.Fatal(err)
	}
	return tb.String(), sb.String(), mb.String(), res
}

func TestSimDeterministicBySeed(t *testing.T) {
	env := simEnv(t, spec.Default(4), simBusyWorkload)
	tr1, st1, m1, r1 := simTraced(t, env, 7)
	tr2, st2, m2, r2 := simTraced(t, env, 7)
	if r1.Outcome != OutcomeExited {
		t.Fatalf("outcome: %s", r1.Summary())
	}
	if tr1 != tr2 || st1 != st2 || m1 != m2 || r1.Summary() != r2.Summary() {
		t.Fatalf("same seed, different output")
	}
	if st1 == "" || !strings.HasPrefix(st1, "SCHED 1ms: gomaxprocs=") {
		t.Errorf("schedtrace output: %q", st1)
	}
	// The Trace writer gets exactly the kept events, and they read back.
	var want strings.Builder
	for _, ev := range r1.Events {
		want.WriteString(ev.String() + "\n")
	}
	if want.String() != tr1 {
		t.Errorf("trace writer output differs from the kept events")
	}
	evs, err := spec.ParseTrace("trace", strings.NewReader(tr1))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(evs, r1.Events) {
		t.Errorf("trace does not read back as the events")
	}
	// Streaming metrics equal metrics computed from the kept events.
	if !reflect.DeepEqual(Metrics(r1.Events), r1.Metrics) {
		t.Errorf("Metrics(events) differs from the simulator's metrics")
	}
	// The seed matters in a workload with free choices.
	differ := false
	for seed := uint64(1); seed <= 10 && !differ; seed++ {
		if tr, _, _, _ := simTraced(t, env, seed); tr != tr1 {
			differ = true
		}
	}
	if !differ {
		t.Errorf("seeds 1..10 all produced seed 7's trace")
	}
}

func TestSimOutcomes(t *testing.T) {
	small := spec.Default(2)
	small.StackMax = 1 << 20
	spill := spec.Default(1).WithRunqSize(4)
	tests := []struct {
		name    string
		cfg     spec.Config
		mut     Mutants
		src     string
		opts    SimOptions
		want    Outcome
		msg     string // substring of Message
		wantEnd time.Duration
	}{
		{name: "exit", cfg: spec.Default(2), src: `
func main {
    repeat 4 { spawn w }
    park done 4
}
func w {
    compute 1ms
    ready done
}`, want: OutcomeExited},
		{name: "deadlock", cfg: spec.Default(2), src: `
func main {
    spawn w
    park done 2
}
func w {
    compute 1ms
    ready done
}`, want: OutcomeDeadlock, msg: spec.DeadlockMessage},
		{name: "stack-overflow", cfg: small, src: `
func main {
    call f
}
func f frame 4096 {
    call f
}`, want: OutcomeFatal, msg: "stack overflow"},
		{name: "failed-check", cfg: spec.Default(1), src: `
func main frame 8 {
    compute 1us
    set 0 1
    check 0 2
}`, want: OutcomeFatal, msg: "check failed"},
		{name: "step-limit", cfg: spec.Default(1), src: `
func main {
    repeat 1000000 { compute 1us }
}`, opts: SimOptions{MaxSteps: 500}, want: OutcomeStepLimit, msg: "step limit"},
		{name: "time-limit", cfg: spec.Default(1), src: `
func main {
    repeat 1000000 { compute 1ms }
}`, opts: SimOptions{MaxTime: 25 * time.Millisecond}, want: OutcomeTimeLimit, msg: "time limit", wantEnd: 25 * time.Millisecond},
		{name: "livelock", cfg: spec.Default(1), src: `
func main {
    spawn w
    repeat 1000000 { gosched }
}
func w {
    repeat 1000000 { gosched }
}`, opts: SimOptions{MaxInstantSteps: 1000}, want: OutcomeLivelock, msg: "without time passing"},
		// A mutant loses the kicked G of a spill: it is runnable, but on no
		// queue, and every M ends up idle.
		{name: "stuck", cfg: spill, mut: MutSpillDropsKicked, src: `
func main {
    repeat 6 { spawn w }
    park done 6
}
func w {
    ready done
}`, want: OutcomeStuck, msg: "every M is idle"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := simEnv(t, tc.cfg, tc.src)
			env.Mutants = tc.mut
			opts := tc.opts
			opts.KeepEvents = true
			res := simRun(t, env, Boot{}, opts)
			if res.Outcome != tc.want {
				t.Fatalf("outcome %v, want %v (%s)", res.Outcome, tc.want, res.Summary())
			}
			if !strings.Contains(res.Message, tc.msg) {
				t.Errorf("message %q does not contain %q", res.Message, tc.msg)
			}
			if tc.wantEnd != 0 && res.End != tc.wantEnd {
				t.Errorf("end %v, want %v", res.End, tc.wantEnd)
			}
			if res.End != res.Final.Now || res.Steps == 0 {
				t.Errorf("end %v, final now %v, steps %d", res.End, res.Final.Now, res.Steps)
			}
			last := res.Events[len(res.Events)-1].Kind
			switch tc.want {
			case OutcomeExited:
				if last != "Exit" || !res.Final.Exited {
					t.Errorf("last event %s, exited %v", last, res.Final.Exited)
				}
			case OutcomeDeadlock:
				if last != "Deadlock" || !res.Final.Deadlocked() {
					t.Errorf("last event %s, deadlocked %v", last, res.Final.Deadlocked())
				}
			case OutcomeFatal:
				if last != "Fatal" || res.Final.Fatal != res.Message {
					t.Errorf("last event %s, fatal %q", last, res.Final.Fatal)
				}
			case OutcomeStepLimit:
				if res.Steps != tc.opts.MaxSteps {
					t.Errorf("steps %d, want %d", res.Steps, tc.opts.MaxSteps)
				}
			}
		})
	}
}

func TestSimBadArguments(t *testing.T) {
	env := simEnv(t, spec.Default(1), "func main {\n}\n")
	untimed := *env
	untimed.Timed = false
	if _, err := Simulate(&untimed, Boot{}, SimOptions{}); err == nil || !strings.Contains(err.Error(), "timed") {
		t.Errorf("untimed Env: error %v", err)
	}
	if _, err := Simulate(nil, Boot{}, SimOptions{}); err == nil {
		t.Errorf("nil Env: no error")
	}
	if _, err := Simulate(env, Boot{}, SimOptions{MaxSteps: -1}); err == nil {
		t.Errorf("negative MaxSteps: no error")
	}
	if _, err := Simulate(env, Boot{Ring: []string{"nosuch"}}, SimOptions{}); err == nil {
		t.Errorf("unknown boot function: no error")
	}
	if _, err := Simulate(env, Boot{}, SimOptions{Trace: simFailWriter{}}); err == nil {
		t.Errorf("failing trace writer: no error")
	}
}

type simFailWriter struct{}

func (simFailWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

const simHogWorkload = `
func main {
    repeat 3 { spawn short }
    spawn hog            # last spawned: runnext, so it runs first
    park done 4
}
func hog {
    compute 50ms
    ready done
}
func short {
    compute 100us
    ready done
}
`

// A CPU hog on one P with short Gs queued behind it: sysmon finds its
// slice older than 10 ms at a tick between 10 and 20 ms (its sleep has
// grown from 20 µs towards 10 ms by then) and requests preemption; the hog
// stops in its compute (async preemption) and goes to the global queue,
// and the queued Gs run before it finishes.
func TestSimHogPreemptedBySysmon(t *testing.T) {
	env := simEnv(t, spec.Default(1), simHogWorkload)
	res := simRun(t, env, Boot{Schedtick: 4}, SimOptions{KeepEvents: true})
	if res.Outcome != OutcomeExited {
		t.Fatal(res.Summary())
	}
	hog := simGsOf(res.Final, "hog")[0]
	shorts := simGsOf(res.Final, "short")
	var req, pre time.Duration = -1, -1
	var action string
	for _, ev := range res.Events {
		if spec.IsAction(ev.Kind) {
			action = ev.Kind
		}
		switch {
		case ev.Kind == "PreemptRequest" && ev.G == hog && req < 0:
			req = ev.Time
			if action != "SysmonTick" {
				t.Errorf("PreemptRequest in a %s step, want SysmonTick", action)
			}
		case ev.Kind == "Preempt" && ev.G == hog && pre < 0:
			pre = ev.Time
		}
	}
	if req < 10*time.Millisecond || req > 20*time.Millisecond {
		t.Fatalf("first PreemptRequest of the hog at %v, want in [10ms, 20ms]", req)
	}
	if pre != req {
		t.Errorf("hog preempted at %v, want at the request %v (async preemption)", pre, req)
	}
	m := res.Metrics
	done := m.G(hog).Done
	if done < 50*time.Millisecond {
		t.Errorf("hog done at %v, before its 50ms compute", done)
	}
	for _, g := range shorts {
		gm := m.G(g)
		if !gm.Ran || gm.FirstRun < pre || gm.FirstRun >= done {
			t.Errorf("short %v first ran at %v, want after the preemption at %v and before the hog's end at %v", g, gm.FirstRun, pre, done)
		}
	}
	if m.G(hog).Preemptions < 1 || m.Preemptions != m.G(hog).Preemptions {
		t.Errorf("preemptions: hog %d, run %d", m.G(hog).Preemptions, m.Preemptions)
	}
}

// A G in a 5 ms syscall on GOMAXPROCS=1 with work queued: sysmon records
// the syscall at its first look and retakes the P at its second (the P
// has local work), well before the syscall ends; handoffp starts an M for
// the queued work.
func TestSimSyscallRetakenOnSecondLook(t *testing.T) {
	env := simEnv(t, spec.Default(1), `
func main {
    syscall 1us          # a first syscall: P0's syscalltick is 1 afterwards
    repeat 3 { spawn w }
    syscall 5ms
    park done 3
}
func w {
    compute 100us
    ready done
}
`)
	res := simRun(t, env, Boot{Schedtick: 4}, SimOptions{KeepEvents: true})
	if res.Outcome != OutcomeExited {
		t.Fatal(res.Summary())
	}
	var inSyscall bool
	var looks int
	var retake time.Duration = -1
	evs := res.Events
	for i, ev := range evs {
		switch {
		case ev.Kind == "EnterSyscall" && ev.G == 1 && ev.Time > 0:
			inSyscall = true
		case ev.Kind == "SysmonTick" && inSyscall && retake < 0:
			looks++
		case ev.Kind == "Retake" && ev.G == 1 && retake < 0:
			retake = ev.Time
			if looks != 2 {
				t.Errorf("retake on sysmon's look %d at the syscall, want the second", looks)
			}
			if i+2 >= len(evs) || evs[i+1].Kind != "Handoff" || evs[i+2].Kind != "StartM" {
				t.Fatalf("retake not followed by Handoff and StartM: %v", evs[i:min(i+3, len(evs))])
			}
			if st := evs[i+2]; st.M == 0 || st.P != 0 || st.Arg("spinning") != "false" {
				t.Errorf("handoff: %v, want a new M for p0, not spinning", st)
			}
		}
	}
	if retake < 0 || retake >= time.Millisecond {
		t.Fatalf("retake at %v, want well before the 5ms syscall ends", retake)
	}
	if res.Metrics.Retakes != 1 {
		t.Errorf("retakes %d, want 1", res.Metrics.Retakes)
	}
	for _, g := range simGsOf(res.Final, "w") {
		if gm := res.Metrics.G(g); !gm.Ran || gm.FirstRun > retake+time.Millisecond {
			t.Errorf("worker %v first ran at %v, want soon after the retake at %v", g, gm.FirstRun, retake)
		}
	}
}

func TestSchedtraceLineFormat(t *testing.T) {
	// The brief's sample: one P with 170 Gs in its ring (runnext not
	// counted), 129 in the global queue, three Ms of which two idle.
	s := State{
		Now:          2*time.Millisecond + 999*time.Microsecond,
		Procs:        1,
		Global:       make([]spec.GID, 129),
		NeedSpinning: true,
		Ps:           []P{{Status: spec.PRunning, Runnext: 5, Runq: make([]spec.GID, 170), Schedtick: 6}},
		Ms:           make([]M, 3),
		IdleM:        []spec.MID{1, 2},
	}
	want := "SCHED 2ms: gomaxprocs=1 idleprocs=0 threads=4 spinningthreads=0 needspinning=1 idlethreads=2 runqueue=129 [ 170 ] schedticks=[ 6 ]"
	if got := SchedtraceLine(s); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// Several Ps; a P beyond Procs (destroyed by a GOMAXPROCS decrease) is
	// not in allp.
	s = State{
		Now:        1500 * time.Millisecond,
		Procs:      2,
		IdleP:      []spec.PID{1},
		NMSpinning: 1,
		Ps: []P{
			{Runq: make([]spec.GID, 3), Schedtick: 61},
			{Schedtick: 0},
			{Status: spec.PDead, Runq: nil, Schedtick: 9},
		},
		Ms: make([]M, 2),
	}
	want = "SCHED 1500ms: gomaxprocs=2 idleprocs=1 threads=3 spinningthreads=1 needspinning=0 idlethreads=0 runqueue=0 [ 3 0 ] schedticks=[ 61 0 ]"
	if got := SchedtraceLine(s); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// The schedtrace of the hog workload, every 5 ms: golden file. Set
// GMPLAB_UPDATE_GOLDEN=1 to rewrite it (and review the diff).
func TestSimSchedtraceGolden(t *testing.T) {
	env := simEnv(t, spec.Default(1), simHogWorkload)
	res := simRun(t, env, Boot{Schedtick: 4}, SimOptions{SchedTrace: 5 * time.Millisecond})
	if n := int(res.End / (5 * time.Millisecond)); len(res.SchedTrace) != n {
		t.Errorf("%d schedtrace lines for a run of %v, want %d", len(res.SchedTrace), res.End, n)
	}
	var b strings.Builder
	b.WriteString(strings.Join(res.SchedTrace, "\n") + "\n")
	b.WriteString("# " + res.Summary() + "\n")
	if err := res.Metrics.Format(&b); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "sim", "hog.golden")
	if os.Getenv("GMPLAB_UPDATE_GOLDEN") != "" {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with GMPLAB_UPDATE_GOLDEN=1 to create it)", err)
	}
	if b.String() != string(want) {
		t.Errorf("output differs from %s:\n got:\n%s\nwant:\n%s", golden, b.String(), want)
	}
}

func TestMetricsFromTrace(t *testing.T) {
	const trace = `
@0 Spawn g=g1 p=p0 m=m0 new=g2
@0 Spawn g=g1 p=p0 m=m0 new=g3
@0 Kick g=g2 p=p0 m=m0 by=g3
@0 Park g=g1 p=p0 m=m0
@0 Schedule p=p0 m=m0
@0 Run g=g3 p=p0 m=m0 src=runnext inherit=true tick=0
@100 Steal p=p1 m=m1 victim=p0 round=0 n=1 run=g2
@100 Run g=g2 p=p1 m=m1 src=steal inherit=false tick=1
@200 Call g=g2 p=p1 m=m1
@200 Grow g=g2 p=p1 m=m1 from=2048 to=4096
@300 PreemptRequest g=g3 p=p0
@300 Preempt g=g3 p=p0 m=m0
@300 Schedule p=p0 m=m0
@300 GlobalBatch g=g3 p=p0 m=m0 n=1
@300 Run g=g3 p=p0 m=m0 src=batch inherit=false tick=1
@400 Ready g=g3 p=p0 m=m0 waiter=g1
@400 Wake g=g1 p=p0 m=m0 by=g3
@400 Goexit g=g3 p=p0 m=m0
@400 Schedule p=p0 m=m0
@400 Run g=g1 p=p0 m=m0 src=runnext inherit=true tick=1
@500 Goexit g=g1 p=p0 m=m0
@500 Exit g=g1 p=p0 m=m0
`
	evs, err := spec.ParseTrace("t", strings.NewReader(trace))
	if err != nil {
		t.Fatal(err)
	}
	m := Metrics(evs)
	if got := FirstRunOrder(evs); !reflect.DeepEqual(got, []spec.GID{3, 2, 1}) {
		t.Errorf("FirstRunOrder = %v", got)
	}
	g2, g3, g1 := m.G(2), m.G(3), m.G(1)
	if !g2.Spawned || g2.FirstWait != 100 || g2.Stolen != 1 || g2.Slices != 1 || g2.Completed {
		t.Errorf("g2: %+v", *g2)
	}
	if g3.Runs != 2 || g3.Slices != 1 || g3.Preemptions != 1 || g3.PreemptRequests != 1 || g3.Runnable != 0 || g3.Done != 400 {
		t.Errorf("g3: %+v", *g3)
	}
	if g1.Spawned || g1.Runnable != 0 || g1.Done != 500 || g1.FirstRun != 0 || !g1.Ran || g1.Runs != 1 {
		t.Errorf("g1: %+v", *g1)
	}
	if m.Spawned != 2 || m.Completed != 2 || m.Steals != 1 || m.StolenGs != 1 || m.Preemptions != 1 ||
		m.Grows != 1 || m.StackCopyBytes != 2048 || m.GlobalBatches != 1 || m.Kicks != 1 || m.Ending != "Exit" || m.End != 500 {
		t.Errorf("totals: %+v", *m)
	}
	var a, b bytes.Buffer
	if err := m.Format(&a); err != nil {
		t.Fatal(err)
	}
	if err := Metrics(evs).Format(&b); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() || !strings.Contains(a.String(), "g2 0s") {
		t.Errorf("Format:\n%s", a.String())
	}
}

// Gs taken off their Ms by a stop-the-world count as runnable from then.
func TestMetricsGomaxprocsPreempts(t *testing.T) {
	const trace = `
@0 Spawn g=g1 p=p0 m=m0 new=g2
@0 StartM p=p1 m=m1 spinning=true by=m0
@0 Steal p=p1 m=m1 victim=p0 round=3 n=1 run=g2
@0 Run g=g2 p=p1 m=m1 src=steal inherit=false tick=1
@100 Gomaxprocs g=g1 p=p0 m=m0 from=2 to=1
@100 Park g=g1 p=p0 m=m0
@100 Schedule p=p0 m=m0
@100 Run g=g2 p=p0 m=m0 src=runnext inherit=true tick=0
`
	evs, err := spec.ParseTrace("t", strings.NewReader(trace))
	if err != nil {
		t.Fatal(err)
	}
	m := Metrics(evs)
	if g := m.G(2); g.Runs != 2 || g.Runnable != 0 || g.Stolen != 1 {
		t.Errorf("g2: %+v", *g)
	}
	evs[len(evs)-1].Time = 250
	if g := Metrics(evs).G(2); g.Runnable != 150 {
		t.Errorf("g2 runnable %v, want 150ns (from the stop-the-world at 100)", g.Runnable)
	}
}
