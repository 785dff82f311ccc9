package model

import (
	"os"
	"strings"
	"testing"
)

// TestTLCStateText: the first states TLC dumped (tla/MCGMP_small.cfg run
// with -dump) are, canonically, the Go model's initial state and two of
// its successors, on every GMP.tla variable.
func TestTLCStateText(t *testing.T) {
	f, err := os.Open("testdata/tlc/MCGMP_small-head.dump")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dump, err := ReadTLCDump("MCGMP_small-head.dump", f)
	if err != nil {
		t.Fatal(err)
	}
	if len(dump) != 3 {
		t.Fatalf("read %d states, want 3", len(dump))
	}
	init := tlcSpillInit(t) // the mutant does not show before a spill
	if got := TLCStateText(init); got != dump[0] {
		t.Fatalf("initial state:\nGo:  %s\nTLC: %s", got, dump[0])
	}
	for _, v := range TLCStateVars {
		if !strings.Contains(dump[0], "\n"+v+"=") && !strings.HasPrefix(dump[0], v+"=") {
			t.Errorf("the canonical text has no %s", v)
		}
	}
	succ := map[string]bool{}
	for _, a := range Enabled(init) {
		ns, err := Step(init, a)
		if err != nil {
			t.Fatal(err)
		}
		succ[TLCStateText(ns)] = true
	}
	for i, d := range dump[1:] {
		if !succ[d] {
			t.Errorf("TLC's state %d is no successor of the Go initial state:\n%s", i+2, d)
		}
	}
	if TLCDigest([]string{"b", "a"}) != TLCDigest([]string{"a", "b"}) {
		t.Error("TLCDigest depends on the order")
	}
	if got := TLCDigest(nil); got != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("TLCDigest(nil) = %s", got)
	}
	if _, err := ReadTLCDump("bad", strings.NewReader("State 1:\n/\\ Ps = <<>>\n\n")); err == nil {
		t.Error("ReadTLCDump accepted a state without every GMP.tla variable")
	}
}

// TestTLCCanonDirect: the variables tlcFullView renders directly in
// canonical form are what canonTLA makes of them, on the states of a
// workload with frames, slots, pointers, loops and dead Gs.
func TestTLCCanonDirect(t *testing.T) {
	for _, mut := range []Mutants{0, MutCopyNoAdjust} { // with and without stale pointers
		testTLCCanonDirect(t, tlcCallsInit(t, mut))
	}
}

func testTLCCanonDirect(t *testing.T, s State) {
	n := 0
	seen := map[uint64]bool{}
	queue := []State{s}
	for len(queue) > 0 && n < 3000 {
		st := queue[0]
		queue = queue[1:]
		n++
		for v, text := range tlcFullView(st) {
			c, err := canonTLA(text)
			if err != nil {
				t.Fatalf("%s: canonTLA(%s): %v", v, text, err)
			}
			if c != text {
				t.Fatalf("%s is not rendered canonically:\n got  %s\n want %s", v, text, c)
			}
		}
		for _, a := range Enabled(st) {
			ns, err := Step(st, a)
			if err != nil {
				t.Fatal(err)
			}
			if fp := ns.Fingerprint(); !seen[fp] {
				seen[fp] = true
				queue = append(queue, ns)
			}
		}
	}
	t.Logf("%d states checked", n)
}

// tlcCallsInit is the initial state of tla/MCGMP_calls.gmp under its
// config (tla/manifest.json) and mut.
func tlcCallsInit(t *testing.T, mut Mutants) State {
	return tlaInit(t, "MCGMP_calls", "procs=2 runq-size=2 stack-min=128 stack-max=512 stack-guard=32 stack-shrink-reserve=16", mut)
}
