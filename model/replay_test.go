package model

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/gmplab/gmplab/spec"
)

func TestTraceRoundTrip(t *testing.T) {
	cfg := spec.Default(2).WithRunqSize(4)
	cfg.StackMin = 256
	cfg.StackGuard = 64
	cfg.StackShrinkReserve = 0
	cfg.AsyncPreempt = false
	actions := []Action{
		Spawn{0}, Schedule{1}, Steal{1, 0, 3}, Ready{0, 3}, Ready{0, spec.NoG},
		SysmonPreempt{1}, SysmonRetake{0}, ExitSyscall{2}, Call{0}, GC{0}, Goexit{1},
	}
	headers := []TraceHeader{
		{Config: spec.Default(1)},
		{Workload: "examples/spawn10.gmp", Config: cfg},
		{
			Workload: "dir with spaces/w.gmp", Config: cfg,
			Boot:      Boot{Schedtick: 7, Ring: []string{"a", "b.c"}, Runnext: "fin"},
			Mutants:   MutSpillDropsKicked | MutCopyNoAdjust,
			Violation: "GInOnePlace", Message: "g4 is runnable but on no run queue: see p0",
		},
		{Config: cfg, Boot: Boot{Runnext: "fin"}, Timed: true, Violation: "Progress"},
	}
	for i, h := range headers {
		var buf bytes.Buffer
		if err := WriteTrace(&buf, h, actions); err != nil {
			t.Fatal(err)
		}
		text := buf.String()
		h2, got, err := ReadTrace("t.trace", strings.NewReader(text))
		if err != nil {
			t.Fatalf("header %d: %v\n%s", i, err, text)
		}
		if !reflect.DeepEqual(h, h2) {
			t.Errorf("header %d: read back\n%+v\nwant\n%+v\n%s", i, h2, h, text)
		}
		if !reflect.DeepEqual(got, actions) {
			t.Errorf("header %d: actions read back %v, want %v", i, got, actions)
		}
		// Writing what was read gives the same text.
		var buf2 bytes.Buffer
		if err := WriteTrace(&buf2, h2, got); err != nil {
			t.Fatal(err)
		}
		if buf2.String() != text {
			t.Errorf("header %d: not a fixed point:\n%s---\n%s", i, text, buf2.String())
		}
	}

	// The documented form.
	var buf bytes.Buffer
	if err := WriteTrace(&buf, headers[2], actions[:2]); err != nil {
		t.Fatal(err)
	}
	want := `# workload: dir with spaces/w.gmp
# config: procs=2 runq-size=4 spill-batch=2 global-batch-cap=2 stack-min=256 stack-guard=64 stack-shrink-reserve=0 async-preempt=false
# boot: schedtick=7 ring=a,b.c runnext=fin
# mutants: copy-no-adjust,spill-drops-kicked
# violation: GInOnePlace: g4 is runnable but on no run queue: see p0
Spawn m=m0
Schedule m=m1
`
	if buf.String() != want {
		t.Errorf("WriteTrace:\n%s\nwant\n%s", buf.String(), want)
	}

	// Comments, blank lines and a multi-line message.
	h := TraceHeader{Config: cfg, Violation: "NoPanic", Message: "line one\nline two"}
	buf.Reset()
	if err := WriteTrace(&buf, h, nil); err != nil {
		t.Fatal(err)
	}
	text := "# a comment\n#\n\n" + buf.String() + "\n# trailing comment: not a key\n"
	h2, acts, err := ReadTrace("t.trace", strings.NewReader(text))
	if err != nil || len(acts) != 0 || h2.Message != "line one line two" || h2.Violation != "NoPanic" {
		t.Errorf("ReadTrace(%q) = %+v, %v, %v", text, h2, acts, err)
	}
}

func TestReadTraceErrors(t *testing.T) {
	const cfg = "# config: procs=2\n"
	cases := []struct {
		in, want string
	}{
		{"Spawn m=m0\n", `t.trace: no "# config:" line`},
		{"", `t.trace: no "# config:" line`},
		{cfg + "Spawn m=m0\nFly m=m0\n", "t.trace:3: unknown action \"Fly\""},
		{cfg + "Spawn\n", "t.trace:2: action \"Spawn\": missing m="},
		{cfg + "Steal m=m1 victim=p0 round=x\n", "t.trace:2: action \"Steal m=m1 victim=p0 round=x\": round: want an integer"},
		{cfg + "Spawn m=0\n", "t.trace:2: expected mN"},
		{cfg + "Spawn m=m0 m=m1\n", "t.trace:2: action \"Spawn m=m0 m=m1\": m given twice"},
		{cfg + "Spawn m=m0 p=p1\n", "t.trace:2: action \"Spawn m=m0 p=p1\": unexpected arguments"},
		{"# config: procs=0\n", "t.trace:1: config: procs = 0"},
		{"# config: runq-size=3\n", "t.trace:1: config: runq-size = 3"},
		{"# config: nosuch=1\n", "t.trace:1: config: unknown knob \"nosuch\""},
		{"# config: procs\n", "t.trace:1: config: \"procs\": expected knob=value"},
		{cfg + cfg, "t.trace:2: config given twice (first at line 1)"},
		{cfg + "# mutants: no-such\n", "t.trace:2: unknown mutant \"no-such\""},
		{cfg + "# boot: schedtick=-1\n", "t.trace:2: boot: schedtick=-1"},
		{cfg + "# boot: ring=a,,b\n", "t.trace:2: boot: ring=a,,b: empty function name"},
		{cfg + "# boot: color=red\n", "t.trace:2: boot: unknown key \"color\""},
		{cfg + "# boot: ring\n", "t.trace:2: boot: expected key=value"},
		{cfg + "# boot: runnext=a runnext=b\n", "t.trace:2: boot: runnext given twice"},
		{cfg + "# mode: fast\n", "t.trace:2: mode: want timed or untimed"},
		{cfg + "# violation: : msg\n", "t.trace:2: violation: expected NAME: message"},
		{cfg + "# workload:\n", "t.trace:2: workload: empty path"},
		{cfg + "Spawn m=m0\n# workload: w.gmp\n", "t.trace:3: header line \"workload\" after the first action"},
	}
	for _, c := range cases {
		_, _, err := ReadTrace("t.trace", strings.NewReader(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ReadTrace(%q): error %v, want it to contain %q", c.in, err, c.want)
		}
	}
	// A line longer than the scanner's limit.
	_, _, err := ReadTrace("t.trace", strings.NewReader(cfg+strings.Repeat("x", 2<<20)))
	if err == nil || !strings.Contains(err.Error(), "t.trace:2:") {
		t.Errorf("long line: %v", err)
	}
}

func TestWriteTraceErrors(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteTrace(&buf, TraceHeader{Config: spec.Default(1), Workload: "a\nb"}, nil); err == nil {
		t.Error("workload with a newline: no error")
	}
	if err := WriteTrace(&buf, TraceHeader{Config: spec.Default(1), Boot: Boot{Ring: []string{"a,b"}}}, nil); err == nil {
		t.Error("boot function with a comma: no error")
	}
	if err := WriteTrace(&buf, TraceHeader{Config: spec.Default(1)}, []Action{nil}); err == nil {
		t.Error("nil action: no error")
	}
}

// findState searches breadth-first from s for a state where pred holds
// and returns it and the trace to it.
func findState(t *testing.T, s State, pred func(State) bool) (State, []Action) {
	t.Helper()
	type item struct {
		s     State
		trace []Action
	}
	seen := map[uint64]bool{s.Fingerprint(): true}
	queue := []item{{s, nil}}
	for len(queue) > 0 && len(seen) < 100000 {
		it := queue[0]
		queue = queue[1:]
		if pred(it.s) {
			return it.s, it.trace
		}
		for _, a := range Enabled(it.s) {
			ns, err := Step(it.s, a)
			if err != nil {
				t.Fatal(err)
			}
			if fp := ns.Fingerprint(); !seen[fp] {
				seen[fp] = true
				queue = append(queue, item{ns, append(it.trace[:len(it.trace):len(it.trace)], a)})
			}
		}
	}
	t.Fatal("no such state")
	return State{}, nil
}

func TestReplay(t *testing.T) {
	s := initState(t, "steal.gmp", wlSteal, smallConfig(2, 4), 0, Boot{})

	// A trace replays to the states Step gives.
	target, trace := findState(t, s, func(st State) bool {
		for _, a := range Enabled(st) {
			if sa, ok := a.(Steal); ok && sa.Round == 0 && len(st.Ps[sa.Victim].Runq) > 1 {
				return true
			}
		}
		return false
	})
	states, err := Replay(s, trace)
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != len(trace)+1 || states[0].Fingerprint() != s.Fingerprint() || states[len(trace)].Fingerprint() != target.Fingerprint() {
		t.Fatalf("Replay gives %d states ending in\n%s\nwant %d ending in\n%s", len(states), Describe(states[len(states)-1]), len(trace)+1, Describe(target))
	}

	// A disabled action: its index and Step's reason.
	bad := append(append([]Action(nil), trace...), Gosched{7}, Spawn{0})
	states, err = Replay(s, bad)
	var re *ReplayError
	if !errors.As(err, &re) || re.Index != len(trace) || re.Action != (Gosched{7}) || re.Reason != "no such M" {
		t.Fatalf("Replay: %v", err)
	}
	if len(states) != len(trace)+1 {
		t.Errorf("Replay returned %d states before the divergence, want %d", len(states), len(trace)+1)
	}
	if !strings.Contains(err.Error(), "action") || !strings.Contains(err.Error(), "Gosched m=m7") {
		t.Errorf("message %q", err)
	}

	// Step accepts a steal in a middle round, but Enabled lists only the
	// first and last rounds (they have the same effect): not enabled.
	var steal Steal
	for _, a := range Enabled(target) {
		if sa, ok := a.(Steal); ok && sa.Round == 0 {
			steal = sa
		}
	}
	steal.Round = 1
	if _, err := Step(target, steal); err != nil {
		t.Fatalf("Step(%v): %v", steal, err)
	}
	_, err = Replay(s, append(trace[:len(trace):len(trace)], steal))
	if !errors.As(err, &re) || re.Index != len(trace) || !strings.Contains(re.Reason, "Enabled does not list it") {
		t.Fatalf("Replay of %v: %v", steal, err)
	}

	if _, err := Replay(State{}, nil); err == nil {
		t.Error("Replay without Env: no error")
	}
	if _, err := Replay(s, []Action{nil}); !errors.As(err, &re) || re.Index != 0 {
		t.Errorf("Replay of a nil action: %v", err)
	}
}

// TestReplayFile replays a stored counterexample: it reproduces its
// violation on the mutant it names and replays cleanly on the correct
// model, and the explorer finds exactly it again.
func TestReplayFile(t *testing.T) {
	const name = "testdata/explore/spill-drops-kicked.trace"
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, trace, err := ReadTrace(name, f)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := spec.ParseFile(h.Workload)
	if err != nil {
		t.Fatal(err)
	}
	code, err := spec.Compile(prog)
	if err != nil {
		t.Fatal(err)
	}
	s, err := h.Init(code)
	if err != nil {
		t.Fatal(err)
	}
	states, err := Replay(s, trace)
	if err != nil {
		t.Fatal(err)
	}
	err = CheckState(states[len(states)-1])
	if err == nil || err.Error() != h.Violation+": "+h.Message {
		t.Errorf("replay on the mutant ends in %v, want %s: %s", err, h.Violation, h.Message)
	}

	r, err := Explore(s, ExploreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if r.Violation == nil {
		t.Fatal("the explorer does not find the violation")
	}
	if err := WriteTrace(&buf, TraceHeader{Workload: h.Workload, Config: h.Config, Mutants: h.Mutants,
		Violation: r.Violation.Invariant, Message: r.Violation.Message}, r.Violation.Trace); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(name)
	if _, body, _ := strings.Cut(string(want), "# workload:"); "# workload:"+body != buf.String() {
		t.Errorf("the explorer's counterexample differs from %s:\n%s", name, buf.String())
	}

	h.Mutants = 0
	if s, err = h.Init(code); err != nil {
		t.Fatal(err)
	}
	if states, err = Replay(s, trace); err != nil {
		t.Fatal(err)
	}
	for i, st := range states {
		if err := CheckState(st); err != nil {
			t.Errorf("correct model, state %d: %v", i, err)
		}
	}
}
