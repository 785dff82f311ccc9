package model

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/gmplab/gmplab/spec"
)

// tlcSpillInit is the initial state of tla/MCGMP_bug_spill_drops_kicked.cfg
// on the Go side: tla/MCGMP_small.gmp, procs=2 runq-size=2, the
// spill-drops-kicked mutant (tla/manifest.json).
func tlcSpillInit(t *testing.T) State {
	return tlaInit(t, "MCGMP_small", "procs=2 runq-size=2", MutSpillDropsKicked)
}

// tlaInit is the initial state of the workload tla/<name>.gmp under the
// config cfgText and mut, as a tla/manifest.json entry names them.
func tlaInit(t *testing.T, name, cfgText string, mut Mutants) State {
	t.Helper()
	src, err := os.ReadFile("../tla/" + name + ".gmp")
	if err != nil {
		t.Fatal(err)
	}
	code, err := spec.ParseCode(name, src)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := spec.ParseConfig(cfgText)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Init(&Env{Cfg: cfg, Code: code, Mutants: mut}, Boot{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func readSpillTrace(t *testing.T) *TLCTrace {
	t.Helper()
	f, err := os.Open("testdata/tlc/spill-drops-kicked.out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr, err := ReadTLCTrace("spill-drops-kicked.out", f)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestReadTLCTrace(t *testing.T) {
	tr := readSpillTrace(t)
	if tr.Violation != "GInOnePlace" {
		t.Errorf("Violation = %q, want GInOnePlace", tr.Violation)
	}
	if len(tr.States) != 5 {
		t.Fatalf("%d states, want 5", len(tr.States))
	}
	if tr.States[0].Action != InitialPredicate || tr.States[1].Action != "Next" {
		t.Errorf("actions %q, %q", tr.States[0].Action, tr.States[1].Action)
	}
	for _, st := range tr.States {
		if len(st.Vars) != 10 || len(st.Order) != 10 {
			t.Errorf("state %d: %d variables, want 10: %v", st.Num, len(st.Vars), st.Order)
		}
	}
	if got := tr.States[4].Vars["Global"]; got != "<<2>>" {
		t.Errorf("state 5 Global = %q", got)
	}
	if got := tr.States[1].Vars["Ms"]; !strings.Contains(got, "\n") || !strings.Contains(got, "spin |-> TRUE") {
		t.Errorf("state 2 Ms = %q: want the whole multi-line value", got)
	}
}

func TestReplayTLC(t *testing.T) {
	tr := readSpillTrace(t)
	init := tlcSpillInit(t)
	actions, err := ReplayTLC(init, tr)
	if err != nil {
		t.Fatal(err)
	}
	if len(actions) != len(tr.States)-1 {
		t.Fatalf("%d actions for %d TLC states", len(actions), len(tr.States))
	}
	states, err := Replay(init, actions)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range states[:len(states)-1] {
		if err := CheckState(s); err != nil {
			t.Fatalf("state %d already breaks an invariant: %v", i, err)
		}
	}
	err = CheckState(states[len(states)-1])
	var ie *spec.InvariantError
	if !errors.As(err, &ie) || ie.Name != tr.Violation {
		t.Fatalf("final state: %v; want %s violated", err, tr.Violation)
	}

	// On the correct model the trace diverges: the spill keeps the kicked G.
	good := init
	env := *init.Env
	env.Mutants = 0
	good.Env = &env
	acts, err := ReplayTLC(good, tr)
	var d *TLCDivergence
	if !errors.As(err, &d) || d.Step != 5 || len(acts) != 3 {
		t.Fatalf("correct model: %d actions, %v; want a divergence at TLC state 5", len(acts), err)
	}
}

func TestReadTLCTraceErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"TLC2 Version\nModel checking completed. No error has been found.\n", "no error trace"},
		{"Error: The behavior up to this point is:\n", "has no states"},
		{"Error: The behavior up to this point is:\nState 1: <Initial predicate>\n/\\ Ps 3\n", `expected "/\ Var = value"`},
		{"Error: The behavior up to this point is:\nState 2: <Next line 1, col 1 to line 2, col 2 of module GMP>\n/\\ Ps = 3\n", "state 2 out of order"},
		{"Error: The behavior up to this point is:\nState 1: <Next line 1, col 1 to line 2, col 2 of module GMP>\n/\\ Ps = 3\n", "not the <Initial predicate>"},
		{"Error: The behavior up to this point is:\nState 1: <Initial predicate>\n/\\ Ps = 3\n\nState x: <Next>\n", "expected \"State N:"},
		{"Error: The behavior up to this point is:\nState 1: <Initial predicate>\n/\\ Ps = 3\n/\\ Ps = 4\n", "Ps assigned twice"},
		{"Error: The behavior up to this point is:\nState 1: <Initial predicate>\n/\\ Ps = 3\n\nState 2: Stuttering\n", "not supported"},
	} {
		_, err := ReadTLCTrace("x.out", strings.NewReader(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.in, err, c.want)
		}
	}
	// A trace whose values do not parse, or lack a variable, is refused by ReplayTLC.
	init := tlcSpillInit(t)
	for _, c := range []struct{ in, want string }{
		{"Error: The behavior up to this point is:\nState 1: <Initial predicate>\n/\\ Ps = 3\n", "has no variable Ms"},
		{"Error: The behavior up to this point is:\nState 1: <Initial predicate>\n/\\ Ps = <<1,\n/\\ Ms = 1\n/\\ Global = 1\n/\\ IdleP = 1\n/\\ IdleM = 1\n/\\ NMSpinning = 1\n/\\ NeedSpinning = 1\n/\\ Exited = 1\n", "Ps: expected"},
	} {
		tr, err := ReadTLCTrace("x.out", strings.NewReader(c.in))
		if err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		_, err = ReplayTLC(init, tr)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: ReplayTLC error %v, want %q", c.in, err, c.want)
		}
	}
}

func TestCanonTLA(t *testing.T) {
	a, err := canonTLA("( 1 :> [b |-> <<1, 2>>, a |-> \"x\"] @@\n 0 :> [a |-> \"y\", b |-> <<>>] )")
	if err != nil {
		t.Fatal(err)
	}
	b, err := canonTLA("(0 :> [b |-> <<>>, a |-> \"y\"] @@ 1 :> [a |-> \"x\", b |-> <<1,2>>])")
	if err != nil || a != b {
		t.Errorf("%q vs %q (%v)", a, b, err)
	}
}

// TestReplayTLCWholeState: a trace of the whole-language GMP.tla (every
// variable of TLCStateVars) is compared on every variable. Compared on
// TLCViewVars alone, its third state was ambiguous: Call and SysmonPreempt
// change only Gs, so both reached it (a regression found replaying
// MCGMP_bug_copy_no_adjust's trace).
func TestReplayTLCWholeState(t *testing.T) {
	f, err := os.Open("testdata/tlc/copy-no-adjust.out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr, err := ReadTLCTrace("copy-no-adjust.out", f)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Violation != "StackPointersValid" || len(tr.States) != 3 {
		t.Fatalf("violation %q, %d states; want StackPointersValid, 3", tr.Violation, len(tr.States))
	}
	acts, err := ReplayTLC(tlcCallsInit(t, MutCopyNoAdjust), tr)
	if err != nil {
		t.Fatalf("ReplayTLC: %v (mapped %v)", err, acts)
	}
	if len(acts) != 2 || acts[0].String() != "Spawn m=m0" || acts[1].String() != "Call m=m0" {
		t.Fatalf("mapped %v, want [Spawn m=m0 Call m=m0]", acts)
	}
}
