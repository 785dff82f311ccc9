package main

import (
	"strings"
	"testing"

	"github.com/gmplab/gmplab/properties"
)

// gmplab mutants: flags that would be ignored, an -only that names no
// mutant and a negative -parallel are usage errors (exit 2), not a run of
// every mutant.
func TestMutantsFlagMisuse(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"mutants", "-only", ","}, "names no mutant"},
		{[]string{"mutants", "-only", ""}, "names no mutant"},
		{[]string{"mutants", "-form", "model"}, "-form goes with -replay"},
		{[]string{"mutants", "-mutants", "steal-half-plus-one"}, "-mutants goes with -replay"},
		{[]string{"mutants", "-seed", "3"}, "-seed goes with -replay"},
		{[]string{"mutants", "-parallel", "-1"}, "-parallel must not be negative"},
		{[]string{"mutants", "-replay", "mechanisms", "-form", "model"}, "-replay needs -form and -seed"},
		{[]string{"mutants", "-replay", "mechanisms", "-seed", "0"}, "-replay needs -form and -seed"},
		{[]string{"mutants", "-replay", "mechanisms", "-form", "model", "-seed", "1", "-only", "steal-half-plus-one"}, "-only does not apply to -replay"},
		{[]string{"mutants", "-replay", "mechanisms", "-form", "model", "-seed", "1", "-cases", "5"}, "-cases does not apply to -replay"},
	} {
		code, _, stderr := gmplab(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("gmplab %s: exit %d, stderr %q; want exit 2 and %q", strings.Join(c.args, " "), code, stderr, c.want)
		}
	}
}

// Seed 0 is a seed like any other (a campaign from -campaign.seed=0
// prints it in its replay line): -replay takes it.
func TestMutantsReplaySeedZero(t *testing.T) {
	code, out, stderr := gmplab(t, "mutants", "-replay", "mechanisms", "-form", "model", "-seed", "0")
	if code != 0 || !strings.HasPrefix(out, "passed: gmplab mutants -replay mechanisms -form model -seed 0") {
		t.Errorf("gmplab mutants -replay mechanisms -form model -seed 0: exit %d\n%s%s", code, out, stderr)
	}
}

// A replayed case that decides nothing (here a checker that panics) is
// neither "passed" nor a broken property: it prints the inconclusive case
// and exits 1.
func TestMutantsReplayInconclusive(t *testing.T) {
	saved := properties.Mechanisms
	properties.Mechanisms = append([]properties.Mechanism{{Name: "nil-deref", Rule: "a buggy rule", New: func() func(*properties.Transition) error {
		return func(tr *properties.Transition) error {
			var p *properties.Transition
			_ = p.Cfg
			return nil
		}
	}}}, saved...)
	defer func() { properties.Mechanisms = saved }()
	code, out, stderr := gmplab(t, "mutants", "-replay", "mechanisms", "-form", "model", "-seed", "1", "-mutants", "steal-half-plus-one")
	if code != 1 || !strings.Contains(out, "inconclusive: checker-panic") || strings.Contains(out, "passed") || strings.Contains(out, " broke ") || !strings.Contains(stderr, "inconclusive") {
		t.Errorf("replay with a panicking checker: exit %d\n%s%s", code, out, stderr)
	}
}
