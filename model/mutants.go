package model

import (
	"fmt"
	"sort"
	"strings"
)

// Mutants is a set of deliberate bugs switched into the model, to prove
// that the checks catch them. The zero value is the correct model.
type Mutants uint32

// The model's mutants. Each names the rule it breaks.
const (
	// MutSpillDropsKicked: runqputslow moves the batch but loses the G that
	// did not fit (proc.go:7539 appends it).
	MutSpillDropsKicked Mutants = 1 << iota
	// MutStealRunnextNonEmpty: a thief in a runnext round takes runnext even
	// though the victim's ring is not empty (runqgrab takes runnext only when
	// n == 0, proc.go:7668).
	MutStealRunnextNonEmpty
	// MutStealHalfPlusOne: a steal takes one more than ceil(half).
	MutStealHalfPlusOne
	// MutCopyNoAdjust: copystack copies the frames but does not adjust the
	// pointers into the old stack (adjustpointers, stack.go:652-698).
	MutCopyNoAdjust
	// MutNoGlobalCheck: the schedtick % 61 fairness check never fires
	// (proc.go:3443).
	MutNoGlobalCheck
	numMutants = iota
)

var mutantNames = map[Mutants]string{
	MutSpillDropsKicked:     "spill-drops-kicked",
	MutStealRunnextNonEmpty: "steal-runnext-nonempty",
	MutStealHalfPlusOne:     "steal-half-plus-one",
	MutCopyNoAdjust:         "copy-no-adjust",
	MutNoGlobalCheck:        "no-global-check",
}

// Has reports whether m includes all of o.
func (m Mutants) Has(o Mutants) bool { return m&o == o && o != 0 }

func (m Mutants) String() string {
	var names []string
	for b, n := range mutantNames {
		if m.Has(b) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

// MutantNames lists every mutant's name, sorted.
func MutantNames() []string {
	var names []string
	for _, n := range mutantNames {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ParseMutants reads a comma-separated list of mutant names.
func ParseMutants(s string) (Mutants, error) {
	var m Mutants
	for _, w := range strings.Split(s, ",") {
		w = strings.TrimSpace(w)
		if w == "" {
			continue
		}
		found := false
		for b, n := range mutantNames {
			if n == w {
				m |= b
				found = true
			}
		}
		if !found {
			return 0, fmt.Errorf("unknown mutant %q (known: %s)", w, strings.Join(MutantNames(), ", "))
		}
	}
	return m, nil
}
