package properties

import (
	"testing"

	"github.com/gmplab/gmplab/impl"
	"github.com/gmplab/gmplab/model"
	"github.com/gmplab/gmplab/spec"
)

// TestMutantVocabulary checks the one vocabulary of mutants: every mutant
// of the model and of impl is in spec.Mutants marked for that form, and
// the reverse, and each form's ParseMutants reads back what its String
// prints and refuses an unknown name.
func TestMutantVocabulary(t *testing.T) {
	forms := []struct {
		name  string
		names []string
		has   func(spec.MutantInfo) bool
		parse func(string) (string, error)
	}{
		{"model", model.MutantNames(), func(i spec.MutantInfo) bool { return i.Model }, func(s string) (string, error) {
			m, err := model.ParseMutants(s)
			return m.String(), err
		}},
		{"impl", impl.MutantNames(), func(i spec.MutantInfo) bool { return i.Impl }, func(s string) (string, error) {
			m, err := impl.ParseMutants(s)
			return m.String(), err
		}},
	}
	for _, f := range forms {
		mine := map[string]bool{}
		for _, n := range f.names {
			mine[n] = true
			if info, ok := spec.MutantByName(n); !ok || !f.has(info) {
				t.Errorf("%s mutant %q is not in spec.Mutants for %s", f.name, n, f.name)
			}
			if back, err := f.parse(n); err != nil || back != n {
				t.Errorf("%s: ParseMutants(%q) prints %q, %v", f.name, n, back, err)
			}
		}
		for _, info := range spec.Mutants {
			if f.has(info) && !mine[info.Name] {
				t.Errorf("spec.Mutants lists %q for %s, but %s has no such mutant", info.Name, f.name, f.name)
			}
		}
		if _, err := f.parse("no-such-mutant"); err == nil {
			t.Errorf("%s: ParseMutants accepted an unknown name", f.name)
		}
	}
}
