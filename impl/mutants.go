package impl

import "github.com/gmplab/gmplab/spec"

// Mutants is a set of deliberate bugs switched into the implementation, to
// prove that the checks catch them (properties' mutation report, gmplab
// mutants). The zero value is the correct implementation. Every name is in
// spec.Mutants, with the rule it breaks and, for the historical Go bugs,
// its golang/go issue; the model's mutants (model.Mutants) use the same
// names.
//
// A mutant is set when a run starts (NewDrive, RunOptions.Mutants) and
// never changes during it: Sched.mut and each runq's mut are immutable
// after init. Each mutant's code sits next to the rule it breaks and is one
// branch on that field, which the CPU predicts (it never changes), so a
// correct run pays about nothing for it (BenchmarkRunqPutGet).
type Mutants uint32

// The implementation's mutants. The first five have the model's bit
// values too (not required, but it keeps the two sets easy to compare).
const (
	// MutSpillDropsKicked: runqputslow moves the batch but loses the G
	// that did not fit (proc.go:7539 appends it).
	MutSpillDropsKicked Mutants = 1 << iota
	// MutStealRunnextNonEmpty: runqgrab takes runnext although the ring
	// is not empty (it may only when n == 0, proc.go:7668).
	MutStealRunnextNonEmpty
	// MutStealHalfPlusOne: a steal takes one more than ceil(half)
	// (proc.go:7667).
	MutStealHalfPlusOne
	// MutCopyNoAdjust: copystack does not adjust the pointers into the
	// old stack (adjustpointers, stack.go:652-698).
	MutCopyNoAdjust
	// MutNoGlobalCheck: the schedtick % 61 fairness check never fires
	// (proc.go:3443).
	MutNoGlobalCheck
	// MutRunnextClearNoCAS: runqget clears runnext with a load and a
	// plain store instead of a CAS (proc.go:7604): a thief that CASes the
	// same G out in between runs it too.
	MutRunnextClearNoCAS
	// MutHeadPlainStore: runqget advances head with a plain store instead
	// of a CAS (proc.go:7615): a thief's concurrent grab is undone and its
	// Gs are taken twice.
	MutHeadPlainStore
	// MutGlobrunqNoLock (historical, golang/go#40457): runqputslow puts
	// its batch on the global queue without sched.lock, as runqputbatch
	// did in Go 1.15 before the fix (globrunqputbatch asserts the lock,
	// proc.go:7272).
	MutGlobrunqNoLock
	// MutSpinWithRunnext (historical, golang/go#10573): runqget does not
	// look at runnext, so an M whose only local work is in runnext goes
	// spinning or idles its P (proc.go:7600-7606).
	MutSpinWithRunnext
	// MutResetspinningNoWakep (historical, golang/go#45867): the last
	// spinner to find work does not wake another (resetspinning,
	// proc.go:4021-4035): a P stays idle while Gs wait in local queues.
	MutResetspinningNoWakep
	// MutRunnextNewSlice (historical, golang/go#52934): a G taken from
	// runnext starts a new slice instead of inheriting it (execute's
	// inheritTime, proc.go:3331-3386), hiding a runnext chain from sysmon.
	MutRunnextNewSlice
	numMutants = iota
)

var mutantNames = map[Mutants]string{
	MutSpillDropsKicked:     "spill-drops-kicked",
	MutStealRunnextNonEmpty: "steal-runnext-nonempty",
	MutStealHalfPlusOne:     "steal-half-plus-one",
	MutCopyNoAdjust:         "copy-no-adjust",
	MutNoGlobalCheck:        "no-global-check",
	MutRunnextClearNoCAS:    "runnext-clear-no-cas",
	MutHeadPlainStore:       "head-plain-store",
	MutGlobrunqNoLock:       "globrunq-no-lock",
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
