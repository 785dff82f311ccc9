package model

import "testing"

// TestStealRunnextCheck: the transition check CheckStealRunnext holds on
// the correct model and catches the mutant steal-runnext-nonempty, which
// breaks no state invariant (TestExploreMutantsDigestOnly).
func TestStealRunnextCheck(t *testing.T) {
	only := ExploreOptions{Invariants: []string{CheckStealRunnext}}
	good := explore(t, initState(t, "w.gmp", wlSteal, smallConfig(2, 4), 0, Boot{}), only)
	if good.Violation != nil || !good.Complete {
		t.Fatalf("correct model: want no violation, got\n%s", good)
	}
	bad := explore(t, initState(t, "w.gmp", wlSteal, smallConfig(2, 4), MutStealRunnextNonEmpty, Boot{}), only)
	if bad.Violation == nil || bad.Violation.Invariant != CheckStealRunnext {
		t.Fatalf("steal-runnext-nonempty: want a %s violation, got\n%s", CheckStealRunnext, bad)
	}
	t.Logf("%s: %s", CheckStealRunnext, bad.Violation.Message)
	// The last action of the trace is the steal that took runnext.
	if last := bad.Violation.Trace[len(bad.Violation.Trace)-1]; last.Kind() != "Steal" {
		t.Errorf("the violating step is %v, want a Steal", last)
	}
}
