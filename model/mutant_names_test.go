package model

import "testing"

// TestMutantNamesCount: every mutant constant has a name (the names
// themselves are checked against spec.Mutants, for both forms, by
// properties' TestMutantVocabulary).
func TestMutantNamesCount(t *testing.T) {
	if n := len(MutantNames()); n != numMutants {
		t.Errorf("%d names for %d mutants", n, numMutants)
	}
}
