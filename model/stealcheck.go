package model

import (
	"fmt"

	"github.com/gmplab/gmplab/spec"
)

// CheckStealRunnext is a transition check (a property of each step, not
// of a state; tla/GMP.tla states it as the action property
// [][StealTakesRunnextOnly]_vars): a P's runnext G that starts running on
// another P in one step (a thief took it) was taken from a P whose ring was
// empty. runqgrab takes runnext only when it finds the ring empty
// (proc.go:7662-7725). The mutant steal-runnext-nonempty breaks it without
// breaking any state invariant: it changes which G runs, not where Gs are.
//
// The rule holds at the model's granularity, where a steal is one atomic
// step. At the granularity of the runtime's atomic operations it does not:
// runqgrab reads runnext after finding the ring empty and CASes it after a
// ~3 µs back-off, and the owner may fill its ring in between, so a thief
// can take runnext while the ring holds Gs. No G is lost or duplicated;
// tla/AbstractRunQueue.tla's StealNext and properties/linspec.go allow it
// (testdata/lin/20261204-runnext-steal-nonempty-ring-ok.hist is such a
// history, recorded on impl).
const CheckStealRunnext = "StealTakesRunnextOnlyFromEmptyRing"

// stealRunnextViolation checks CheckStealRunnext on the step from s to ns.
func stealRunnextViolation(s, ns *State) error {
	for v := range s.Ps {
		g := s.Ps[v].Runnext
		if g == spec.NoG || len(s.Ps[v].Runq) == 0 || int(g) > len(ns.Gs) {
			continue
		}
		ng := &ns.Gs[g-1]
		if ng.Status != spec.GRunning || ng.M == spec.NoM || int(ng.M) >= len(ns.Ms) {
			continue
		}
		if p := ns.Ms[ng.M].P; p != spec.PID(v) {
			return &spec.InvariantError{Name: CheckStealRunnext, Err: fmt.Errorf(
				"%v, p%d's runnext, now runs on %v (p%d), taken while p%d's ring held %d G(s)", g, v, ng.M, p, v, len(s.Ps[v].Runq))}
		}
	}
	return nil
}

// CheckStep checks the transition checks of the explorer (today
// CheckStealRunnext) on the step from s to ns, for the replays of traces
// and TLC counterexamples: it returns a *spec.InvariantError naming the
// check, or nil.
func CheckStep(s, ns State) error {
	return stealRunnextViolation(&s, &ns)
}
