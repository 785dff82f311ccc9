package model

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gmplab/gmplab/spec"
)

// Workloads for the explorer's tests. Each is small enough that its
// untimed state space is explored in well under a second.

// wlBasic: spawns (runnext kicks, stealing, wakep), compute, gosched to the
// global queue, park/ready.
const wlBasic = `
func main {
    spawn worker
    spawn worker
    spawn worker
    park done 3
}
func worker {
    compute 10us
    gosched
    ready done
}
`

// wlSyscall: syscalls on main and on a worker, with sysmon retakes,
// handoff and the exitsyscall paths.
const wlSyscall = `
func main {
    spawn sys
    spawn worker
    syscall 1ms
    park done 2
}
func sys {
    syscall 1ms
    ready done
}
func worker {
    compute 10us
    ready done
}
`

// wlStack: with stack-min=256 and stack-guard=64, grower's call of leaf
// grows the stack to 512 (copying and adjusting the pointer grower keeps
// to its own slot 0, and the one leaf makes to it); main's gc shrinks the
// stacks back when they are small enough.
const wlStack = `
func main {
    spawn grower
    spawn grower
    gc
    park done 2
}
func grower frame 64 {
    set 0 7
    ref 1 0:0
    call leaf
    check *1 9
    gc
    ready done
}
func leaf frame 192 {
    ref 0 1:0
    store 0 9
}
`

// wlMixed: everything at once on one worker each: spawn, gosched, a
// syscall, a growing call, a gc, park/ready.
const wlMixed = `
func main {
    spawn a
    spawn b
    park done 2
}
func a frame 64 {
    ref 0 0:1
    store 0 5
    call leaf
    check *0 5
    gosched
    ready done
}
func b {
    syscall 1ms
    gc
    ready done
}
func leaf frame 192 {
    set 0 1
}
`

// wlProcs: GOMAXPROCS changes under stop-the-world with work queued.
const wlProcs = `
func main {
    spawn w
    spawn w
    gomaxprocs 1
    gomaxprocs 2
    park done 2
}
func w {
    compute 10us
    ready done
}
`

// wlSpill: main spawns four Gs into a ring of 2: the fourth spawn kicks
// the third spawned G out of runnext into a full ring, which spills.
const wlSpill = `
func main {
    spawn w
    spawn w
    spawn w
    spawn w
    park done 4
}
func w {
    ready done
}
`

// wlSteal: main spawns three Gs without yielding; a spinning M on p1
// steals from p0's ring of three (and, in the last round, its runnext).
const wlSteal = `
func main {
    spawn w
    spawn w
    spawn w
    spawn w
    park done 4
}
func w {
    compute 10us
    ready done
}
`

// wlPreempt: two workers with two computes in a row, so that a worker
// that has finished one can be found with an old slice and preempted
// inside the next (async preemption), or at a call.
const wlPreempt = `
func main {
    spawn worker
    spawn worker
    park done 2
}
func worker {
    compute 10us
    compute 10us
    call leaf
    ready done
}
func leaf {
    compute 10us
}
`

// smallConfig is a default-ish policy small enough to explore: procs Ps, a
// ring of runq slots, and 256-byte stacks with a 64-byte guard and no
// shrink reserve (so a few frames grow the stack and a GC shrinks it).
func smallConfig(procs, runq int) spec.Config {
	c := spec.Default(procs).WithRunqSize(runq)
	c.StackMin = 256
	c.StackGuard = 64
	c.StackShrinkReserve = 0
	return c
}

func syncPreempt(c spec.Config) spec.Config {
	c.AsyncPreempt = false
	return c
}

func compileWorkload(t testing.TB, name, src string) *spec.Code {
	t.Helper()
	code, err := spec.ParseCode(name, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func initState(t testing.TB, name, src string, cfg spec.Config, mut Mutants, boot Boot) State {
	t.Helper()
	s, err := Init(&Env{Cfg: cfg, Code: compileWorkload(t, name, src), Mutants: mut}, boot)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func explore(t testing.TB, s State, opts ExploreOptions) *ExploreResult {
	t.Helper()
	r, err := Explore(s, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func formatTrace(trace []Action) string {
	var b strings.Builder
	for i, a := range trace {
		fmt.Fprintf(&b, "  %3d  %v\n", i+1, a)
	}
	return b.String()
}

func describeViolation(v *Violation) string {
	if v == nil {
		return "no violation"
	}
	return fmt.Sprintf("%v\ntrace (%d actions):\n%sstate:\n%s", v, len(v.Trace), formatTrace(v.Trace), Describe(v.State))
}

type exploreCase struct {
	name string
	src  string
	cfg  spec.Config
	boot Boot
	// kinds that must occur in the explored transitions
	kinds []string
}

var correctCases = []exploreCase{
	{name: "basic", src: wlBasic, cfg: smallConfig(2, 4),
		kinds: []string{"Spawn", "Steal", "Compute", "Gosched", "Park", "Ready", "Goexit", "SysmonPreempt"}},
	{name: "basic-p1", src: wlBasic, cfg: smallConfig(1, 2),
		kinds: []string{"Spawn", "Gosched", "Park", "Ready"}},
	{name: "preempt", src: wlPreempt, cfg: smallConfig(2, 4),
		kinds: []string{"SysmonPreempt", "Preempt", "Call", "Steal"}},
	{name: "preempt-sync", src: wlPreempt, cfg: syncPreempt(smallConfig(2, 4)),
		kinds: []string{"SysmonPreempt", "Preempt", "Call"}},
	{name: "syscall", src: wlSyscall, cfg: smallConfig(2, 4),
		kinds: []string{"EnterSyscall", "ExitSyscall", "SysmonRetake", "Steal"}},
	{name: "stack", src: wlStack, cfg: smallConfig(2, 4),
		kinds: []string{"Call", "GC", "Steal"}},
	{name: "mixed", src: wlMixed, cfg: smallConfig(2, 2),
		kinds: []string{"Call", "GC", "Gosched", "EnterSyscall", "SysmonRetake"}},
	{name: "procs", src: wlProcs, cfg: smallConfig(2, 4),
		kinds: []string{"Gomaxprocs", "Steal"}},
	{name: "spill", src: wlSpill, cfg: smallConfig(2, 2),
		kinds: []string{"Spawn", "Steal"}},
	{name: "spill-p1", src: wlSpill, cfg: smallConfig(1, 2),
		kinds: []string{"Spawn"}},
	{name: "steal", src: wlSteal, cfg: smallConfig(2, 4),
		kinds: []string{"Steal"}},
	{name: "boot", src: wlBasic + "func fin {\n}\n", cfg: smallConfig(2, 4),
		boot: Boot{Schedtick: 60, Ring: []string{"fin"}, Runnext: "fin"}},
}

func caseNamed(t testing.TB, name string) exploreCase {
	for _, tc := range correctCases {
		if tc.name == name {
			return tc
		}
	}
	t.Fatalf("no case %q", name)
	return exploreCase{}
}

// TestExploreCorrect: the correct model violates nothing on small
// configs, and every search is complete.
func TestExploreCorrect(t *testing.T) {
	for _, tc := range correctCases {
		t.Run(tc.name, func(t *testing.T) {
			s := initState(t, tc.name+".gmp", tc.src, tc.cfg, 0, tc.boot)
			r := explore(t, s, ExploreOptions{MaxStates: 2_000_000})
			t.Logf("%s (%s):\n%s", tc.name, tc.cfg, r)
			if r.Violation != nil {
				t.Fatalf("violation on the correct model:\n%s", describeViolation(r.Violation))
			}
			if !r.Complete {
				t.Fatalf("search incomplete after %d states", r.Distinct)
			}
			for _, k := range tc.kinds {
				if r.Actions[k] == 0 {
					t.Errorf("no %s transition: the workload does not exercise it", k)
				}
			}
			if r.Terminals.Exited == 0 {
				t.Errorf("no run exits")
			}
			if r.Terminals.Deadlock != 0 || len(r.Terminals.Fatal) != 0 {
				t.Errorf("unexpected terminal states: %+v", r.Terminals)
			}
			sum := 0
			for _, n := range r.Actions {
				sum += n
			}
			if sum != r.Transitions {
				t.Errorf("action counts sum to %d, transitions %d", sum, r.Transitions)
			}
		})
	}
}

// TestExploreLimits: a search cut by MaxStates or MaxDepth is
// incomplete, never a pass; Exclude restricts the model.
func TestExploreLimits(t *testing.T) {
	s := initState(t, "basic.gmp", wlBasic, smallConfig(2, 4), 0, Boot{})
	full := explore(t, s, ExploreOptions{})
	r := explore(t, s, ExploreOptions{MaxStates: 3000})
	if r.Complete || r.Distinct != 3000 || r.Violation != nil {
		t.Fatalf("MaxStates 3000: want an incomplete search of exactly 3000 states, got\n%s", r)
	}
	r = explore(t, s, ExploreOptions{MaxDepth: 10})
	if r.Complete || r.Depth != 10 || r.Distinct >= full.Distinct {
		t.Fatalf("MaxDepth 10: want incomplete at depth 10, got\n%s", r)
	}
	r = explore(t, s, ExploreOptions{MaxDepth: full.Depth})
	if !r.Complete || r.Digest != full.Digest {
		t.Fatalf("MaxDepth %d (the full depth): want the complete search, got\n%s", full.Depth, r)
	}
	r = explore(t, s, ExploreOptions{MaxStates: full.Distinct})
	if !r.Complete || r.Digest != full.Digest {
		t.Fatalf("MaxStates %d (all of them): want the complete search, got\n%s", full.Distinct, r)
	}
	r = explore(t, s, ExploreOptions{Exclude: []string{"SysmonPreempt", "Steal"}})
	if !r.Complete || r.Actions["SysmonPreempt"] != 0 || r.Actions["Steal"] != 0 || r.Distinct >= full.Distinct || r.Violation != nil {
		t.Fatalf("Exclude: got\n%s", r)
	}
}

func TestExploreDeterministic(t *testing.T) {
	for _, tc := range []exploreCase{caseNamed(t, "basic"), caseNamed(t, "mixed")} {
		s := initState(t, tc.name+".gmp", tc.src, tc.cfg, 0, tc.boot)
		opts := ExploreOptions{}
		a := explore(t, s, opts)
		b := explore(t, s, opts)
		strip := func(r *ExploreResult) string {
			var out []string
			for _, l := range strings.Split(r.String(), "\n") {
				if !strings.HasPrefix(l, "elapsed:") {
					out = append(out, l)
				}
			}
			return strings.Join(out, "\n")
		}
		if a.Distinct != b.Distinct || a.Transitions != b.Transitions || a.Depth != b.Depth || a.Digest != b.Digest || strip(a) != strip(b) {
			t.Errorf("%s: two runs differ:\n%s\n---\n%s", tc.name, a, b)
		}
		if len(a.Digest) != 64 {
			t.Errorf("digest %q is not hex SHA-256", a.Digest)
		}
	}
}

// TestExploreFingerprint: the explorer's allocation-free fingerprint is
// State.Fingerprint, and the digest is over the sorted fingerprints.
func TestExploreFingerprint(t *testing.T) {
	s := initState(t, "basic.gmp", wlBasic, smallConfig(2, 4), 0, Boot{})
	var e explorer
	var fps []uint64
	seen := map[uint64]bool{}
	for i := 0; i < 40; i++ {
		if got, want := e.fingerprint(&s), s.Fingerprint(); got != want {
			t.Fatalf("step %d: explorer fingerprint %x, State.Fingerprint %x", i, got, want)
		}
		if fp := s.Fingerprint(); !seen[fp] {
			seen[fp] = true
			fps = append(fps, fp)
		}
		acts := Enabled(s)
		if len(acts) == 0 {
			break
		}
		var err error
		if s, err = Step(s, acts[len(acts)/2]); err != nil {
			t.Fatal(err)
		}
	}
	m := map[uint64]exploreNode{}
	for _, fp := range fps {
		m[fp] = exploreNode{}
	}
	slices.Sort(fps)
	if got, want := reachDigest(m), DigestFingerprints(fps); got != want {
		t.Errorf("digest %s, want %s", got, want)
	}
	if got := DigestFingerprints(nil); got != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("digest of the empty set = %s, want sha256 of nothing", got)
	}
}

// TestExploreSnapshotProjection: the explorer's projection into one reused
// buffer equals a fresh State.Snapshot on every reachable state of
// workloads that use every part of the state (stacks, keys, syscalls,
// GOMAXPROCS): nothing of one state's projection leaks into the next.
func TestExploreSnapshotProjection(t *testing.T) {
	var buf snapBuf
	for _, name := range []string{"stack", "procs", "mixed", "steal"} {
		tc := caseNamed(t, name)
		s0 := initState(t, tc.name+".gmp", tc.src, tc.cfg, 0, tc.boot)
		seen := map[uint64]bool{s0.Fingerprint(): true}
		queue := []State{s0}
		for len(queue) > 0 && len(seen) < 2500 {
			s := queue[0]
			queue = queue[1:]
			got := fmt.Sprintf("%+v", *buf.project(&s))
			if want := fmt.Sprintf("%+v", s.Snapshot()); got != want {
				t.Fatalf("%s: projection differs from State.Snapshot in\n%s\ngot  %s\nwant %s", tc.name, Describe(s), got, want)
			}
			for _, a := range Enabled(s) {
				ns, err := Step(s, a)
				if err != nil {
					t.Fatal(err)
				}
				if fp := ns.Fingerprint(); !seen[fp] {
					seen[fp] = true
					queue = append(queue, ns)
				}
			}
		}
		t.Logf("%s: %d states", tc.name, len(seen))
	}
}

// TestExploreKinds: the explorer counts every action kind of
// spec.ActionKinds under its own name.
func TestExploreKinds(t *testing.T) {
	if got := exploreKindNames[:len(exploreKindNames)-1]; !slices.Equal(got, spec.ActionKinds) {
		t.Fatalf("exploreKindNames %v, want spec.ActionKinds %v", got, spec.ActionKinds)
	}
	for _, a := range []Action{Schedule{}, Steal{}, Compute{}, Call{}, Spawn{}, Gosched{}, Preempt{}, Park{}, Ready{},
		EnterSyscall{}, ExitSyscall{}, GC{}, Goexit{}, Gomaxprocs{}, SysmonPreempt{}, SysmonRetake{}, SysmonTick{}, Advance{}} {
		if got := exploreKindNames[exploreKindIndex(a)]; got != a.Kind() {
			t.Errorf("%T counted as %s", a, got)
		}
	}
}

type mutantCase struct {
	mut  Mutants
	src  string
	cfg  spec.Config
	want []string // acceptable violation names
}

var mutantCases = []mutantCase{
	{MutSpillDropsKicked, wlSpill, smallConfig(1, 2), []string{"GInOnePlace", CheckProgress}},
	{MutSpillDropsKicked, wlSpill, smallConfig(2, 2), []string{"GInOnePlace", CheckProgress}},
	{MutCopyNoAdjust, wlStack, smallConfig(2, 4), []string{"StackPointersValid"}},
	{MutCopyNoAdjust, wlMixed, smallConfig(2, 2), []string{"StackPointersValid"}},
}

// TestExploreMutants: the explorer catches each mutant with a shortest
// trace; the trace, written and read back, reproduces the violation on the
// mutant and replays cleanly on the correct model.
func TestExploreMutants(t *testing.T) {
	for _, mc := range mutantCases {
		t.Run(fmt.Sprintf("%s/procs=%d", mc.mut, mc.cfg.Procs), func(t *testing.T) {
			s := initState(t, "w.gmp", mc.src, mc.cfg, mc.mut, Boot{})
			r := explore(t, s, ExploreOptions{MaxStates: 1_000_000})
			v := r.Violation
			if v == nil {
				t.Fatalf("mutant %s not caught:\n%s", mc.mut, r)
			}
			t.Logf("mutant %s caught after %d states:\n%s", mc.mut, r.Distinct, describeViolation(v))
			if !slices.Contains(mc.want, v.Invariant) {
				t.Fatalf("mutant %s: violation %s, want one of %v:\n%s", mc.mut, v.Invariant, mc.want, describeViolation(v))
			}
			if r.Complete {
				t.Errorf("a search stopped at a violation must not be complete")
			}

			// Shortest: no shorter trace reaches a violation.
			if len(v.Trace) > 0 {
				r2 := explore(t, s, ExploreOptions{MaxDepth: len(v.Trace) - 1})
				if r2.Violation != nil {
					t.Fatalf("a shorter trace (%d actions) violates %s: the first trace is not shortest", len(r2.Violation.Trace), r2.Violation.Invariant)
				}
			}

			// Write the counterexample and read it back.
			var buf bytes.Buffer
			h := TraceHeader{Workload: "w.gmp", Config: mc.cfg, Mutants: mc.mut, Violation: v.Invariant, Message: v.Message}
			if err := WriteTrace(&buf, h, v.Trace); err != nil {
				t.Fatal(err)
			}
			h2, trace, err := ReadTrace("cex.trace", &buf)
			if err != nil {
				t.Fatalf("%v\n%s", err, buf.String())
			}
			code := s.Env.Code

			// On the mutant: replays and violates the same check at the end.
			ms, err := h2.Init(code)
			if err != nil {
				t.Fatal(err)
			}
			states, err := Replay(ms, trace)
			if err != nil {
				t.Fatalf("replay on the mutant: %v\n%s", err, formatTrace(trace))
			}
			err = CheckState(states[len(states)-1])
			var ie *spec.InvariantError
			if !errors.As(err, &ie) || ie.Name != v.Invariant {
				t.Fatalf("replay on the mutant: last state gives %v, want a %s violation", err, v.Invariant)
			}
			for i, st := range states[:len(states)-1] {
				if err := CheckState(st); err != nil {
					t.Fatalf("replay on the mutant: state %d already violates %v", i, err)
				}
			}

			// On the correct model: replays, and no state violates anything.
			h2.Mutants = 0
			cs, err := h2.Init(code)
			if err != nil {
				t.Fatal(err)
			}
			states, err = Replay(cs, trace)
			if err != nil {
				t.Fatalf("replay on the correct model: %v\n%s", err, formatTrace(trace))
			}
			for i, st := range states {
				if err := CheckState(st); err != nil {
					t.Fatalf("replay on the correct model: state %d violates %v", i, err)
				}
			}
		})
	}
}

// TestExploreMutantsDigestOnly: mutants that change which states are
// reachable without breaking any state invariant. The explorer cannot
// flag them by itself; they show up as a different reachable set (the
// digest and counts that are cross-checked with TLC or a reference run).
func TestExploreMutantsDigestOnly(t *testing.T) {
	cases := []struct {
		mut  Mutants
		src  string
		cfg  spec.Config
		boot Boot
	}{
		{MutStealHalfPlusOne, wlSteal, smallConfig(2, 4), Boot{}},
		{MutStealRunnextNonEmpty, wlSteal, smallConfig(2, 4), Boot{}},
		{MutNoGlobalCheck, wlBasic, smallConfig(2, 4), Boot{Schedtick: 59}},
	}
	for _, c := range cases {
		good := explore(t, initState(t, "w.gmp", c.src, c.cfg, 0, c.boot), ExploreOptions{})
		// Every check but the transition check CheckStealRunnext, which
		// catches steal-runnext-nonempty (TestStealRunnextCheck).
		var checks []string
		for _, inv := range spec.Invariants() {
			checks = append(checks, inv.Name)
		}
		checks = append(checks, CheckProgress, CheckStepChanges)
		bad := explore(t, initState(t, "w.gmp", c.src, c.cfg, c.mut, c.boot), ExploreOptions{Invariants: checks})
		t.Logf("%s: correct %d states %s; mutant %d states %s, violation: %v",
			c.mut, good.Distinct, good.Digest[:12], bad.Distinct, bad.Digest[:12], bad.Violation)
		if !good.Complete || !bad.Complete || good.Violation != nil {
			t.Fatalf("%s: want complete searches and a clean correct model:\n%s\n%s", c.mut, good, bad)
		}
		if good.Digest == bad.Digest {
			t.Errorf("%s: the mutant reaches the same states as the correct model: the workload does not exercise it", c.mut)
		}
	}
}

// TestExploreFilter: the Invariants filter selects checks; all names
// selected is the default; unknown names are an error.
func TestExploreFilter(t *testing.T) {
	s := initState(t, "spill.gmp", wlSpill, smallConfig(1, 2), MutSpillDropsKicked, Boot{})
	r := explore(t, s, ExploreOptions{Invariants: []string{CheckProgress}})
	if r.Violation == nil || r.Violation.Invariant != CheckProgress {
		t.Fatalf("Progress alone: want a Progress violation (the lost G is runnable but no M will run it), got %s", describeViolation(r.Violation))
	}
	t.Logf("Progress catches the lost G:\n%s", describeViolation(r.Violation))
	r = explore(t, s, ExploreOptions{Invariants: []string{"RunqBounds", "StackBounds"}})
	if r.Violation != nil || !r.Complete {
		t.Fatalf("RunqBounds and StackBounds: want no violation, got\n%s", r)
	}
	var all []string
	for _, inv := range spec.Invariants() {
		all = append(all, inv.Name)
	}
	all = append(all, ModelChecks()...)
	good := initState(t, "basic.gmp", wlBasic, smallConfig(2, 4), 0, Boot{})
	a := explore(t, good, ExploreOptions{Invariants: all})
	b := explore(t, good, ExploreOptions{})
	if a.Digest != b.Digest || a.Violation != nil || b.Violation != nil {
		t.Errorf("all names vs default differ")
	}
	if _, err := Explore(good, ExploreOptions{Invariants: []string{"NoSuchInvariant"}}); err == nil || !strings.Contains(err.Error(), "NoSuchInvariant") {
		t.Errorf("unknown invariant: err = %v", err)
	}
	if _, err := Explore(good, ExploreOptions{Exclude: []string{"Nap"}}); err == nil || !strings.Contains(err.Error(), "Nap") {
		t.Errorf("unknown action kind: err = %v", err)
	}
	if _, err := Explore(State{}, ExploreOptions{}); err == nil {
		t.Errorf("no Env: want an error")
	}
}

// TestExploreCollect: MaxViolations > 1 collects several violations, each
// with its own trace, in BFS order.
func TestExploreCollect(t *testing.T) {
	s := initState(t, "spill.gmp", wlSpill, smallConfig(2, 2), MutSpillDropsKicked, Boot{})
	r := explore(t, s, ExploreOptions{MaxViolations: 1000})
	t.Logf("%d violations in %d states", len(r.Violations), r.Distinct)
	if len(r.Violations) < 2 || len(r.Violations) >= 1000 || r.Violation != r.Violations[0] || !r.Complete {
		t.Fatalf("want a complete search with several violations, got %d:\n%s", len(r.Violations), r)
	}
	r3 := explore(t, s, ExploreOptions{MaxViolations: 2})
	if len(r3.Violations) != 2 || r3.Complete {
		t.Fatalf("MaxViolations 2: got %d violations, complete %t", len(r3.Violations), r3.Complete)
	}
	for i := 1; i < len(r.Violations); i++ {
		if len(r.Violations[i].Trace) < len(r.Violations[i-1].Trace) {
			t.Errorf("violation %d has a shorter trace than violation %d", i, i-1)
		}
	}
}

// TestExploreStuck: a state in which runnable work can never run (every
// M idle) is a Progress violation, found at the initial state with an
// empty trace.
func TestExploreStuck(t *testing.T) {
	s := initState(t, "basic.gmp", "func main {\n    gosched\n}\n", smallConfig(1, 4), 0, Boot{})
	s, err := Step(s, Gosched{0}) // g1 on the global queue, m0 on p0 with no G
	if err != nil {
		t.Fatal(err)
	}
	// Lose the wake-up: m0 parks and p0 goes idle with g1 still queued.
	s.Ms = []M{{P: spec.NoP, Curg: spec.NoG, OldP: spec.NoP}}
	s.Ps = []P{{Status: spec.PIdle, M: spec.NoM, Runnext: spec.NoG}}
	s.IdleP = []spec.PID{0}
	s.IdleM = []spec.MID{0}
	s.NeedSpinning = false
	r := explore(t, s, ExploreOptions{})
	v := r.Violation
	if v == nil || v.Invariant != CheckProgress || len(v.Trace) != 0 || !strings.Contains(v.Message, "g1 runnable") {
		t.Fatalf("want a Progress violation at the initial state, got %s", describeViolation(v))
	}
	t.Logf("%v", v)
	if err := CheckState(s); err == nil || !strings.Contains(err.Error(), "Progress:") {
		t.Errorf("CheckState: %v", err)
	}
}

// TestExplorePanic: a panic in the model is a NoPanic violation with a
// trace, not a crash.
func TestExplorePanic(t *testing.T) {
	s := initState(t, "basic.gmp", wlBasic, smallConfig(2, 4), 0, Boot{})
	s.Gs = slices.Clone(s.Gs)
	s.Gs[0].Stack.Top = nil // Enabled reads the running G's top frame
	r := explore(t, s, ExploreOptions{})
	v := r.Violation
	if v == nil || v.Invariant != CheckNoPanic || !strings.Contains(v.Message, "Enabled panicked") {
		t.Fatalf("want a NoPanic violation, got %s", describeViolation(v))
	}
	t.Logf("%v", v)
	_, err := Replay(s, []Action{Spawn{0}})
	var re *ReplayError
	if !errors.As(err, &re) || re.Index != 0 || !strings.Contains(re.Reason, "panicked") {
		t.Errorf("Replay of a panicking step: %v", err)
	}
}

// TestExploreProgressCallback: Progress is called during a search.
func TestExploreProgressCallback(t *testing.T) {
	s := initState(t, "basic.gmp", wlBasic, smallConfig(2, 4), 0, Boot{})
	var calls []ProgressInfo
	r := explore(t, s, ExploreOptions{ProgressEvery: 1, Progress: func(p ProgressInfo) { calls = append(calls, p) }})
	if len(calls) == 0 {
		t.Fatal("Progress never called")
	}
	last := calls[len(calls)-1]
	if last.States <= 0 || last.States > r.Distinct || last.Transitions > r.Transitions || last.Depth > r.Depth {
		t.Errorf("implausible progress %+v for result\n%s", last, r)
	}
}

// BenchmarkExplore explores wlBasic (main spawns three workers that each
// compute, gosched and ready a key main parks on and that main waits
// for) under smallConfig(2, 4): 2 Ps, a ring of 4, otherwise go1.26's
// policy. 9538 distinct states, 19779 transitions, depth 31.
func BenchmarkExplore(b *testing.B) {
	s := initState(b, "basic.gmp", wlBasic, smallConfig(2, 4), 0, Boot{})
	b.ReportAllocs()
	states := 0
	for b.Loop() {
		r, err := Explore(s, ExploreOptions{})
		if err != nil || !r.Complete || r.Violation != nil {
			b.Fatalf("%v\n%s", err, r)
		}
		states += r.Distinct
	}
	b.ReportMetric(float64(states)/b.Elapsed().Seconds(), "states/s")
}
