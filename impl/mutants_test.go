package impl

import (
	"testing"
	"time"

	"github.com/gmplab/gmplab/examples"
	"github.com/gmplab/gmplab/spec"
)

// TestMutantNamesMatchSpec checks the one vocabulary: every mutant of the
// implementation is in spec.Mutants marked Impl, and the reverse, and
// ParseMutants reads back what String prints.
func TestMutantNamesMatchSpec(t *testing.T) {
	mine := map[string]bool{}
	for _, n := range MutantNames() {
		mine[n] = true
		info, ok := spec.MutantByName(n)
		if !ok || !info.Impl {
			t.Errorf("impl mutant %q is not in spec.Mutants with Impl set", n)
		}
		m, err := ParseMutants(n)
		if err != nil || m.String() != n {
			t.Errorf("ParseMutants(%q) = %v (%q), %v", n, m, m.String(), err)
		}
	}
	for _, info := range spec.Mutants {
		if info.Impl && !mine[info.Name] {
			t.Errorf("spec.Mutants lists %q for impl, but impl has no such mutant", info.Name)
		}
	}
	if len(mine) != numMutants {
		t.Errorf("%d names for %d mutants", len(mine), numMutants)
	}
	if _, err := ParseMutants("no-such-mutant"); err == nil {
		t.Error("ParseMutants accepted an unknown name")
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
