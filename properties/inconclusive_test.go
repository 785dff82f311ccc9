package properties

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// withChecks runs f with Checks replaced by cs.
func withChecks(t *testing.T, cs []Check, f func()) {
	t.Helper()
	saved := Checks
	Checks = cs
	defer func() { Checks = saved }()
	f()
}

// fakeCheck is a check on both forms whose case for seed is outcome(seed).
func fakeCheck(name string, outcome func(seed uint64) *caseFailure) Check {
	return Check{Name: name, Model: true, Impl: true, Tries: 1,
		run: func(form, mutants string, seed uint64) (*caseFailure, error) { return outcome(seed), nil }}
}

// TestInconclusiveIsNeverAKill: a case that decided nothing (a harness
// error, a timeout, porcupine undecided) does not kill a mutant; the
// report shows it, goes on with the next seeds and checks, and a mutant
// with nothing but inconclusive cases is undecided, not killed.
func TestInconclusiveIsNeverAKill(t *testing.T) {
	unknown := fakeCheck("fake-unknown", func(uint64) *caseFailure {
		return inconclusive("lin/porcupine-unknown", "porcupine did not decide")
	})
	pass := fakeCheck("fake-pass", func(uint64) *caseFailure { return nil })
	withChecks(t, []Check{unknown, pass}, func() {
		rows := MutationReport(Budget{Cases: 10}, 1, "steal-half-plus-one")
		if len(rows) == 0 {
			t.Fatal("no rows")
		}
		for _, r := range rows {
			if r.Killer != nil {
				t.Errorf("%s (%s): an inconclusive case counted as a kill: %v", r.Mutant, r.Form, r.Killer)
			}
			if !r.Undecided() || len(r.Inconclusive) != maxInconclusive {
				t.Errorf("%s (%s): want %d inconclusive cases, undecided; got %v", r.Mutant, r.Form, maxInconclusive, r.Inconclusive)
			}
		}
		if got := len(Survivors(rows)); got != len(rows) {
			t.Errorf("Survivors: %d of %d rows, want every row (none was killed)", got, len(rows))
		}
		var b strings.Builder
		if err := WriteMutantTable(&b, rows); err != nil {
			t.Fatal(err)
		}
		if out := b.String(); !strings.Contains(out, "INCONCLUSIVE fake-unknown: lin/porcupine-unknown") || !strings.Contains(out, "never a kill") || strings.Contains(out, "SURVIVED") {
			t.Errorf("the table does not show the inconclusive cases:\n%s", out)
		}
	})

	// An inconclusive seed is skipped; a later violation is the kill.
	later := fakeCheck("fake-later", func(seed uint64) *caseFailure {
		switch seed {
		case 2:
			return inconclusive("setup", "could not start")
		case 4:
			return &caseFailure{Property: "mechanism/fake", Detail: "broke"}
		}
		return nil
	})
	withChecks(t, []Check{later}, func() {
		for _, r := range MutationReport(Budget{Cases: 10}, 1, "steal-half-plus-one") {
			if r.Killer == nil || r.Killer.Seed != 4 || r.KillCases != 4 || len(r.Inconclusive) != 1 || r.Inconclusive[0].Seed != 2 {
				t.Errorf("%s (%s): want a kill at seed 4 after an inconclusive seed 2; got killer %v, inconclusive %v", r.Mutant, r.Form, r.Killer, r.Inconclusive)
			}
		}
	})

	// RunCheck and ReplayCheck return it as an *Inconclusive, not a
	// *Violation and not a pass.
	withChecks(t, []Check{unknown}, func() {
		_, err := RunCheck("fake-unknown", "model", "", 1, Budget{Cases: 5})
		var inc *Inconclusive
		var v *Violation
		if !errors.As(err, &inc) || errors.As(err, &v) {
			t.Errorf("RunCheck: %v, want an *Inconclusive", err)
		}
		err = ReplayCheck("fake-unknown", "model", "", 7)
		if !errors.As(err, &inc) || errors.As(err, &v) || inc.Seed != 7 {
			t.Errorf("ReplayCheck: %v, want an *Inconclusive at seed 7", err)
		}
	})
}

// TestCheckerPanicIsInconclusive: a panic inside a mechanism rule is the
// checker's bug: reported as checker-panic, inconclusive, never as a
// panic of the form under test.
func TestCheckerPanicIsInconclusive(t *testing.T) {
	saved := Mechanisms
	Mechanisms = append([]Mechanism{{Name: "nil-deref", Rule: "a buggy rule", New: func() func(*Transition) error {
		return func(tr *Transition) error {
			var p *Transition
			_ = p.Cfg // nil dereference
			return nil
		}
	}}}, saved...)
	defer func() { Mechanisms = saved }()
	for _, f := range []*caseFailure{mechanismCaseModel(1, 0), mechanismCaseImpl(1, 0)} {
		if f == nil || !f.Inconclusive || !strings.HasPrefix(f.Property, "checker-panic: ") {
			t.Errorf("a panicking rule gave %v, want an inconclusive checker-panic", f)
		}
	}
	_, err := RunCheck("mechanisms", "model", "", 1, Budget{Cases: 3})
	var inc *Inconclusive
	if !errors.As(err, &inc) {
		t.Errorf("RunCheck with a panicking rule: %v, want an *Inconclusive (a failure of the test on the correct form)", err)
	}
}

// TestRunCheckRunsACase: a budget too small for any case still runs one:
// zero cases are not a pass.
func TestRunCheckRunsACase(t *testing.T) {
	n, err := RunCheck("mechanisms", "model", "", 1, Budget{Time: time.Nanosecond})
	if err != nil || n != 1 {
		t.Fatalf("RunCheck with a 1ns budget: %d cases, %v; want 1 case", n, err)
	}
	if _, err := RunCheck("mechanisms", "model", "", 1, Budget{}); err == nil {
		t.Error("RunCheck with no budget: no error")
	}
	if _, err := RunCheck("mechanisms", "model", "", 1, Budget{Cases: -1}); err == nil {
		t.Error("RunCheck with a negative budget: no error")
	}
}
