package model

import (
	"testing"

	"github.com/gmplab/gmplab/spec"
)

// TestMutantNamesMatchSpec checks the one vocabulary: every mutant of the
// model is in spec.Mutants marked Model, and the reverse, and
// ParseMutants reads back what String prints.
func TestMutantNamesMatchSpec(t *testing.T) {
	mine := map[string]bool{}
	for _, n := range MutantNames() {
		mine[n] = true
		info, ok := spec.MutantByName(n)
		if !ok || !info.Model {
			t.Errorf("model mutant %q is not in spec.Mutants with Impl set", n)
		}
		m, err := ParseMutants(n)
		if err != nil || m.String() != n {
			t.Errorf("ParseMutants(%q) = %v (%q), %v", n, m, m.String(), err)
		}
	}
	for _, info := range spec.Mutants {
		if info.Model && !mine[info.Name] {
			t.Errorf("spec.Mutants lists %q for the model, but the model has no such mutant", info.Name)
		}
	}
	if len(mine) != numMutants {
		t.Errorf("%d names for %d mutants", len(mine), numMutants)
	}
	if _, err := ParseMutants("no-such-mutant"); err == nil {
		t.Error("ParseMutants accepted an unknown name")
	}
}
