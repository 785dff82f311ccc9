package model

import "github.com/gmplab/gmplab/spec"

// Mutants is a set of deliberate bugs switched into the model, to prove
// that the checks catch them. The zero value is the correct model. Every
// name is in spec.Mutants, with the rule it breaks; impl.Mutants uses the
// same names. The mutants that break an atomic protocol (a CAS, a lock)
// exist only in impl: the model's steps are atomic.
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
	// MutSpinWithRunnext (historical, golang/go#10573): findRunnable's
	// runqget does not look at runnext, so an M whose only local work is
	// in runnext goes spinning (or idles its P) with that work in hand
	// (runqget takes runnext first, proc.go:7600-7606).
	MutSpinWithRunnext
	// MutResetspinningNoWakep (historical, golang/go#45867, broken work
	// conservation): the last spinning M to find work does not wake
	// another, so a P stays idle while Gs wait in local queues
	// (resetspinning's wakep, proc.go:4021-4035).
	MutResetspinningNoWakep
	// MutRunnextNewSlice (historical, golang/go#52934, runnext
	// starvation): a G taken from runnext starts a new time slice instead
	// of inheriting it, so sysmon never finds the slice of a runnext chain
	// old and the ring starves (execute's inheritTime, proc.go:3331-3386).
	MutRunnextNewSlice
	numMutants = iota
)

var mutantNames = map[Mutants]string{
	MutSpillDropsKicked:     "spill-drops-kicked",
	MutStealRunnextNonEmpty: "steal-runnext-nonempty",
	MutStealHalfPlusOne:     "steal-half-plus-one",
	MutCopyNoAdjust:         "copy-no-adjust",
	MutNoGlobalCheck:        "no-global-check",
	MutSpinWithRunnext:      "spin-with-runnext",
	MutResetspinningNoWakep: "resetspinning-no-wakep",
	MutRunnextNewSlice:      "runnext-new-slice",
}

// Has reports whether m includes all of o.
func (m Mutants) Has(o Mutants) bool { return m&o == o && o != 0 }

func (m Mutants) String() string { return spec.FormatMutants(m, mutantNames) }

// MutantNames lists every mutant's name, sorted.
func MutantNames() []string { return spec.MutantNamesOf(mutantNames) }

// ParseMutants reads a comma-separated list of mutant names.
func ParseMutants(s string) (Mutants, error) { return spec.ParseMutantSet(s, mutantNames) }
