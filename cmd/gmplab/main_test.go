package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gmplab/gmplab/spec"
)

func gmplab(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// Bad input never panics: it is a clear message and exit status 2.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.gmp")
	os.WriteFile(bad, []byte("func main {\n    compute 50\n}\n"), 0o644)
	unknown := filepath.Join(dir, "unknown.gmp")
	os.WriteFile(unknown, []byte("func main {\n    call nowhere\n}\n"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"nosuch"}, `unknown command "nosuch"`},
		{[]string{"run"}, "want one WORKLOAD"},
		{[]string{"run", "-procs", "0", "spawn10"}, "procs = 0: must be in [1, 1024]"},
		{[]string{"run", "-procs", "x", "spawn10"}, "want an integer"},
		{[]string{"run", "-runq-size", "3", "spawn10"}, "runq-size = 3: must be a power of two"},
		{[]string{"run", "-nosuchflag", "spawn10"}, "flag provided but not defined: -nosuchflag"},
		{[]string{"run", "no-such-file"}, "no-such-file: no such file, and no example of that name"},
		{[]string{"run", bad}, "bad.gmp:2:13: expected a duration"},
		{[]string{"run", unknown}, `unknown.gmp:2:5: call of unknown function "nowhere"`},
		{[]string{"run", "-engine", "bogus", "spawn10"}, "want model or impl"},
		{[]string{"run", "-mutants", "bogus", "spawn10"}, `unknown mutant "bogus"`},
		{[]string{"explore", "-invariants", "NoSuch", "spawn10"}, "NoSuch"},
		{[]string{"replay"}, "want one TRACE"},
		{[]string{"replay", bad}, "bad.gmp:1:"},
	} {
		code, _, stderr := gmplab(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("gmplab %s: exit %d, stderr %q; want exit 2 and %q", strings.Join(c.args, " "), code, stderr, c.want)
		}
	}
}

func TestHelp(t *testing.T) {
	for _, cmd := range []string{"run", "explore", "replay", "knobs", "mutants"} {
		code, _, stderr := gmplab(t, cmd, "-h")
		if code != 0 || !strings.Contains(stderr, "usage: gmplab "+cmd) {
			t.Errorf("%s -h: exit %d, %q", cmd, code, stderr)
		}
	}
	code, _, stderr := gmplab(t, "run", "-h")
	for _, flag := range []string{"-procs", "-runq-size", "-global-check-period", "-schedtrace", "-seed", "-boot-schedtick"} {
		if !strings.Contains(stderr, flag) {
			t.Errorf("run -h does not explain %s (exit %d)", flag, code)
		}
	}
}

// run prints schedtrace lines and the outcome, and the same seed gives
// the same output.
func TestRun(t *testing.T) {
	code, out1, stderr := gmplab(t, "run", "-procs", "2", "-schedtrace", "100us", "-seed", "7", "spawn10")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out1, "SCHED ") || !strings.Contains(out1, "outcome: exited") {
		t.Fatalf("unexpected output:\n%s", out1)
	}
	_, out2, _ := gmplab(t, "run", "-procs", "2", "-schedtrace", "100us", "-seed", "7", "spawn10")
	strip := func(s string) string { // the wall-clock time differs
		i := strings.LastIndex(s, " (")
		return s[:i]
	}
	if strip(out1) != strip(out2) {
		t.Errorf("same seed, different output:\n%s\n---\n%s", out1, out2)
	}
}

// explore finds a mutant's violation, writes a counterexample, and replay
// reproduces it; without the mutant the same trace replays cleanly.
func TestExploreReplay(t *testing.T) {
	trace := filepath.Join(t.TempDir(), "cx.trace")
	code, out, stderr := gmplab(t, "explore", "-q", "-mutants", "spill-drops-kicked", "-out", trace)
	if code != 1 || !strings.Contains(out, "violation: GInOnePlace") {
		t.Fatalf("explore: exit %d\n%s%s", code, out, stderr)
	}
	code, out, stderr = gmplab(t, "replay", "-q", trace)
	if code != 1 || !strings.Contains(stderr, "GInOnePlace") {
		t.Fatalf("replay: exit %d\n%s%s", code, out, stderr)
	}
	src, _ := os.ReadFile(trace)
	fixed := strings.Replace(string(src), "# mutants: spill-drops-kicked\n", "", 1)
	os.WriteFile(trace, []byte(fixed), 0o644)
	code, out, stderr = gmplab(t, "replay", "-q", trace)
	if code != 1 || !strings.Contains(stderr, "did not reproduce") || !strings.Contains(out, "every invariant held") {
		t.Fatalf("replay on the correct model: exit %d\n%s%s", code, out, stderr)
	}
}

// TestReplayTLCActionProperty: a TLC trace that breaks an action property
// (GMP.tla's StealTakesRunnextOnlyFromEmptyRing, the explorer's transition
// check) replays on the model with the same mutant and breaks the same
// check; the explorer's own counterexample replays the same way. (A
// regression: replay checked state invariants only, and reported "did not
// reproduce".)
func TestReplayTLCActionProperty(t *testing.T) {
	out := "../../model/testdata/tlc/steal-runnext-nonempty.out"
	args := []string{"replay", "-q", "-tlc", out, "-workload", "../../tla/MCGMP_small.gmp", "-config", "procs=2 runq-size=2", "-mutants", "steal-runnext-nonempty"}
	code, stdout, stderr := gmplab(t, args...)
	if code != 0 || !strings.Contains(stdout, "the model breaks StealTakesRunnextOnlyFromEmptyRing too, as TLC reported") {
		t.Fatalf("replay -tlc: exit %d\n%s%s", code, stdout, stderr)
	}
	ce := filepath.Join(t.TempDir(), "ce.trace")
	code, stdout, stderr = gmplab(t, "explore", "-q", "-mutants", "steal-runnext-nonempty", "-out", ce)
	if code != 1 || !strings.Contains(stdout, "violation: StealTakesRunnextOnlyFromEmptyRing") {
		t.Fatalf("explore: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = gmplab(t, "replay", "-q", ce)
	if code != 1 || !strings.Contains(stderr, "StealTakesRunnextOnlyFromEmptyRing: g") || strings.Contains(stderr, "did not reproduce") {
		t.Fatalf("replay of the explorer's counterexample: exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestReplayTLC(t *testing.T) {
	out := "../../model/testdata/tlc/spill-drops-kicked.out"
	saved := filepath.Join(t.TempDir(), "tlc.trace")
	args := []string{"replay", "-tlc", out, "-workload", "../../tla/MCGMP_small.gmp", "-config", "procs=2 runq-size=2"}
	code, stdout, stderr := gmplab(t, append(args, "-mutants", "spill-drops-kicked", "-save", saved)...)
	if code != 0 || !strings.Contains(stdout, "step 4 (TLC state 5, Next): Spawn m=m0") ||
		!strings.Contains(stdout, "the model breaks GInOnePlace too") {
		t.Fatalf("replay -tlc: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = gmplab(t, "replay", "-q", saved)
	if code != 1 || !strings.Contains(stderr, "GInOnePlace") {
		t.Fatalf("replay of the saved trace: exit %d\n%s%s", code, stdout, stderr)
	}
	// The correct model keeps the kicked G: the TLC trace diverges at its last step.
	code, stdout, stderr = gmplab(t, args...)
	if code != 1 || !strings.Contains(stderr, "diverges: TLC state 5") {
		t.Fatalf("replay -tlc on the correct model: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"replay", "-tlc", out}, "-tlc needs -workload and -config"},
		{[]string{"replay", "-tlc", out, "-workload", "x", "-config", "procs=2", "extra"}, "takes no TRACE"},
		{[]string{"replay", "-tlc", "../../tla/MCGMP_small.gmp", "-workload", "../../tla/MCGMP_small.gmp", "-config", "procs=2"}, "no error trace"},
		{[]string{"replay", "-save", "x", "t.trace"}, "go with -tlc"},
	} {
		code, _, stderr := gmplab(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("gmplab %s: exit %d, stderr %q; want exit 2 and %q", strings.Join(c.args, " "), code, stderr, c.want)
		}
	}
}

func TestKnobs(t *testing.T) {
	code, out, _ := gmplab(t, "knobs")
	if code != 0 || !regexp.MustCompile(`(?m)^global-check-period +61 `).MatchString(out) {
		t.Errorf("knobs: exit %d\n%s", code, out)
	}
}

func TestRunImpl(t *testing.T) {
	trace := filepath.Join(t.TempDir(), "impl.trace")
	code, out, stderr := gmplab(t, "run", "-engine", "impl", "-procs", "4", "-metrics", "-trace", trace, "spawn10")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "outcome: exited") || !strings.Contains(out, "gs: spawned=10 completed=") {
		t.Fatalf("unexpected output:\n%s", out)
	}
	f, err := os.Open(trace)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	evs, err := spec.ParseTrace(trace, f)
	if err != nil || len(evs) == 0 {
		t.Fatalf("trace: %v (%d events)", err, len(evs))
	}
	code, out, _ = gmplab(t, "run", "-engine", "impl", "-stack-max", "65536", "overflow")
	if code != 0 || !strings.Contains(out, "outcome: fatal") {
		t.Fatalf("overflow: exit %d\n%s", code, out)
	}
	code, _, _ = gmplab(t, "run", "-engine", "bogus", "spawn10")
	if code == 0 {
		t.Fatal("-engine bogus accepted")
	}
}

// gmplab mutants: bad usage is exit 2; a replayed failing case prints its
// failure with the same replay line and exits 1; a passing case exits 0;
// a report where every mutant dies exits 0 and prints the table.
func TestMutantsCommand(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"mutants", "-replay", "mechanisms"}, "-replay needs -form and -seed"},
		{[]string{"mutants", "-replay", "nosuch", "-form", "model", "-seed", "1"}, `unknown check "nosuch"`},
		{[]string{"mutants", "-replay", "runq-once", "-form", "model", "-seed", "1"}, "does not run on the model form"},
		{[]string{"mutants", "-replay", "mechanisms", "-form", "tla", "-seed", "1"}, `unknown form "tla"`},
		{[]string{"mutants", "-replay", "mechanisms", "-form", "impl", "-seed", "1", "-mutants", "bogus"}, `unknown mutant "bogus"`},
		{[]string{"mutants", "-only", "bogus"}, `unknown mutant "bogus"`},
		{[]string{"mutants", "-cases", "-1"}, "must not be negative"},
		{[]string{"mutants", "extra"}, "unexpected arguments"},
	} {
		code, _, stderr := gmplab(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("gmplab %s: exit %d, stderr %q; want exit 2 and %q", strings.Join(c.args, " "), code, stderr, c.want)
		}
	}

	// The model with steal-half-plus-one fails at seed 3 (found by the
	// report); the printed replay line names the same case.
	args := []string{"mutants", "-replay", "mechanisms", "-form", "model", "-seed", "3", "-mutants", "steal-half-plus-one"}
	code, out, stderr := gmplab(t, args...)
	if code != 1 || !strings.Contains(out, "mechanism/steal-amount broke") || !strings.Contains(out, "replay: gmplab "+strings.Join(args, " ")) {
		t.Errorf("gmplab %s: exit %d\n%s%s", strings.Join(args, " "), code, out, stderr)
	}
	code, out, _ = gmplab(t, "mutants", "-replay", "mechanisms", "-form", "model", "-seed", "3")
	if code != 0 || !strings.HasPrefix(out, "passed: ") {
		t.Errorf("the same case without the mutant: exit %d, %q", code, out)
	}

	code, out, stderr = gmplab(t, "mutants", "-only", "steal-half-plus-one,runnext-new-slice")
	if code != 0 || !regexp.MustCompile(`(?m)^steal-half-plus-one +impl +- +mechanisms: mechanism/steal-amount`).MatchString(out) || !strings.Contains(out, "4 mutants, 4 killed, 0 survived") {
		t.Errorf("gmplab mutants -only: exit %d\n%s%s", code, out, stderr)
	}

	// One case per check is too little for copy-no-adjust on the model
	// (seed 1 of each model check grows no stack with a pointer in it): it
	// survives there, and the exit status says so. (On impl, seed 1 of
	// the refine check, on the concurrent engine, usually grows one and
	// kills it.)
	code, out, stderr = gmplab(t, "mutants", "-only", "copy-no-adjust", "-cases", "1")
	if code != 1 || !strings.Contains(out, "SURVIVED") || !strings.Contains(stderr, "survived: copy-no-adjust (model)") {
		t.Errorf("gmplab mutants -only copy-no-adjust -cases 1: exit %d\n%s%s", code, out, stderr)
	}
}

// TestImplMutantsFlag: -mutants takes impl's mutants on run -engine impl;
// on the model, a mutant that only impl has is a usage error that says so.
func TestImplMutantsFlag(t *testing.T) {
	code, out, stderr := gmplab(t, "run", "-engine", "impl", "-time-scale", "0.01", "-mutants", "runnext-clear-no-cas", "spawn10")
	if code != 0 || !strings.Contains(out, "outcome: exited") {
		t.Errorf("run -engine impl -mutants runnext-clear-no-cas: exit %d\n%s%s", code, out, stderr)
	}
	for _, args := range [][]string{
		{"run", "-mutants", "head-plain-store", "spawn10"},
		{"explore", "-mutants", "head-plain-store"},
	} {
		code, _, stderr := gmplab(t, args...)
		if code != 2 || !strings.Contains(stderr, "only impl has it") {
			t.Errorf("gmplab %s: exit %d, %q", strings.Join(args, " "), code, stderr)
		}
	}
	code, _, stderr = gmplab(t, "run", "-mutants", "no-such-bug", "spawn10")
	if code != 2 || !strings.Contains(stderr, `unknown mutant "no-such-bug"`) {
		t.Errorf("an unknown mutant: exit %d, %q", code, stderr)
	}
}

// TestReplayTLCMalformed: TLC output cut short (a value that does not
// parse) is bad input, exit 2, not a diverging model (found in review).
func TestReplayTLCMalformed(t *testing.T) {
	src, err := os.ReadFile("../../model/testdata/tlc/spill-drops-kicked.out")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(src), "\n")
	cut := filepath.Join(t.TempDir(), "cut.out")
	os.WriteFile(cut, []byte(strings.Join(lines[:60], "")), 0o644)
	code, out, stderr := gmplab(t, "replay", "-tlc", cut, "-workload", "../../tla/MCGMP_small.gmp", "-config", "procs=2 runq-size=2")
	if code != 2 || !strings.Contains(stderr, "cut.out:") {
		t.Fatalf("replay -tlc of truncated output: exit %d\n%s%s", code, out, stderr)
	}
}

// TestReplayOutOfRange: a trace naming an M or P the state does not have
// is a diverging replay (exit 1, "not enabled"), never a panic (found in
// review: Schedule m=m99 indexed out of range).
func TestReplayOutOfRange(t *testing.T) {
	for _, line := range []string{
		"Schedule m=m99", "Steal m=m99 victim=p0 round=3", "Spawn m=m99", "Gosched m=m99",
		"Ready m=m99 waiter=g1", "GC m=m99", "Goexit m=m99", "SysmonPreempt p=p99", "SysmonRetake p=p99",
	} {
		trace := filepath.Join(t.TempDir(), "t.trace")
		os.WriteFile(trace, []byte("# workload: spawn10\n# config: procs=2\n"+line+"\n"), 0o644)
		code, out, stderr := gmplab(t, "replay", "-q", trace)
		if code != 1 || !strings.Contains(stderr, "diverges at step 1") {
			t.Errorf("replay of %q: exit %d\n%s%s", line, code, out, stderr)
		}
	}
}
