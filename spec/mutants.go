package spec

import (
	"fmt"
	"sort"
	"strings"
)

// MutantInfo describes one deliberate bug that model and impl can switch on
// (model.Mutants, impl.Mutants) to prove that the checks catch it. Name is
// the mutant's one name in both forms, on the command line (gmplab
// mutants) and in the docs.
type MutantInfo struct {
	Name string
	// Rule is the rule the mutant breaks, with its source reference.
	Rule string
	// Issue is the golang/go issue of a historical scheduler bug the mutant
	// re-creates ("#40457"), or "" for a synthetic mutant.
	Issue string
	// Model and Impl say which forms have it. The model's steps are atomic,
	// so the mutants that break an atomic protocol (a CAS, a lock) exist
	// only in the implementation.
	Model, Impl bool
}

// Mutants lists every mutant, in the order reports print them.
var Mutants = []MutantInfo{
	{Name: "spill-drops-kicked", Model: true, Impl: true,
		Rule: "runqputslow appends the G that did not fit after the batch (proc.go:7539)"},
	{Name: "steal-runnext-nonempty", Model: true, Impl: true,
		Rule: "runqgrab takes runnext only from an empty ring (proc.go:7668)"},
	{Name: "steal-half-plus-one", Model: true, Impl: true,
		Rule: "a steal takes ceil(n/2) = n - n/2 (proc.go:7667)"},
	{Name: "copy-no-adjust", Model: true, Impl: true,
		Rule: "copystack moves every pointer into the old stack by the delta (stack.go:652-698)"},
	{Name: "no-global-check", Model: true, Impl: true,
		Rule: "findRunnable takes one global G when schedtick % 61 == 0 (proc.go:3443)"},
	{Name: "runnext-clear-no-cas", Impl: true,
		Rule: "runqget clears runnext by CAS, racing thieves (proc.go:7604)"},
	{Name: "head-plain-store", Impl: true,
		Rule: "consumers advance runqhead by CAS (proc.go:7615)"},
	{Name: "globrunq-no-lock", Issue: "#40457", Impl: true,
		Rule: "the global queue is touched only under sched.lock (globrunqputbatch asserts it, proc.go:7272; runqputslow takes it, 7555)"},
	{Name: "spin-with-runnext", Issue: "#10573", Model: true, Impl: true,
		Rule: "runqget looks at runnext before the ring; an M with local work never spins (proc.go:7600-7606)"},
	{Name: "resetspinning-no-wakep", Issue: "#45867", Model: true, Impl: true,
		Rule: "the last spinner to find work wakes another (resetspinning, proc.go:4021-4035): no idle P while Gs wait"},
	{Name: "runnext-new-slice", Issue: "#52934", Model: true, Impl: true,
		Rule: "a G taken from runnext inherits the time slice: schedtick unchanged (proc.go:3331-3386, 7604-7605)"},
}

// MutantByName returns the MutantInfo called name.
func MutantByName(name string) (MutantInfo, bool) {
	for _, m := range Mutants {
		if m.Name == name {
			return m, true
		}
	}
	return MutantInfo{}, false
}

// FormatMutants prints the set m of a form's mutants (model.Mutants,
// impl.Mutants: one bit each, named by names) as their sorted names,
// comma-separated.
func FormatMutants[M ~uint32](m M, names map[M]string) string {
	var out []string
	for b, n := range names {
		if m&b == b {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// MutantNamesOf lists the names of a form's mutants, sorted.
func MutantNamesOf[M ~uint32](names map[M]string) []string {
	var out []string
	for _, n := range names {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ParseMutantSet reads a comma-separated list of a form's mutant names
// ("" is the empty set); an unknown name is an error naming the known ones.
func ParseMutantSet[M ~uint32](s string, names map[M]string) (M, error) {
	var m M
	for _, w := range strings.Split(s, ",") {
		w = strings.TrimSpace(w)
		if w == "" {
			continue
		}
		found := false
		for b, n := range names {
			if n == w {
				m |= b
				found = true
			}
		}
		if !found {
			return 0, fmt.Errorf("unknown mutant %q (known: %s)", w, strings.Join(MutantNamesOf(names), ", "))
		}
	}
	return m, nil
}
