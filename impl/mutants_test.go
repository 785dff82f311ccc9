package impl

import (
	"testing"
	"time"

	"github.com/gmplab/gmplab/examples"
	"github.com/gmplab/gmplab/spec"
)

// TestMutantNamesCount: every mutant constant has a name (the names
// themselves are checked against spec.Mutants, for both forms, by
// properties' TestMutantVocabulary).
func TestMutantNamesCount(t *testing.T) {
	if n := len(MutantNames()); n != numMutants {
		t.Errorf("%d names for %d mutants", n, numMutants)
	}
}

// TestRunOptionsMutants checks that RunOptions.Mutants reaches the
// concurrent engine: spawn300 on one P spills (a ring of 4), and with
// spill-drops-kicked a spilled-over G is lost, so main never collects all
// its permits and the run cannot exit normally; without the mutant it
// exits.
func TestRunOptionsMutants(t *testing.T) {
	src, err := examples.FS.ReadFile("spawn300.gmp")
	if err != nil {
		t.Fatal(err)
	}
	code := compileSrc(t, "spawn300.gmp", string(src))
	cfg := spec.Default(1).WithRunqSize(4)
	for _, mut := range []Mutants{0, MutSpillDropsKicked} {
		opts := runOpts()
		opts.Timeout = 20 * time.Second
		opts.Mutants = mut
		res, err := Run(cfg, code, Boot{}, opts)
		if err != nil {
			t.Fatal(err)
		}
		if exited := res.Outcome == OutcomeExited; exited != (mut == 0) {
			t.Errorf("mutants %q: outcome %v (%s)", mut, res.Outcome, res.Message)
		} else {
			t.Logf("mutants %q: %v", mut, res.Outcome)
		}
	}
}
