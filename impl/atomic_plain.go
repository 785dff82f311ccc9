//go:build !gmplabsched && !race

package impl

import "unsafe"

// This file is the normal build of the atomic layer (atomic.go): no
// controller, nothing between the program and sync/atomic.

// instrumented reports whether the atomic layer calls a controller hook
// and makes ring slots atomic (atomic_controlled.go). False here.
const instrumented = false

// yield is the controller's interposition point (see "Atomics" in
// atomic.go). In normal builds it is empty: every call inlines to nothing.
func yield(opKind, unsafe.Pointer) {}

// setSchedHook exists only so that tests compile in every build; a
// controller needs a build with -tags gmplabsched.
func setSchedHook(func(op opKind, addr unsafe.Pointer)) (restore func()) {
	panic("setSchedHook: built without -tags gmplabsched (or -race)")
}

// gptrSlot is one slot of a P's ring (the runtime's guintptr in
// p.runq). Only the ring's owner stores into it, with a plain store made
// visible to consumers by its later store-release of tail; consumers load
// it with a plain load after a load-acquire of tail, speculatively, and
// commit the read with their cas-release of head. A stale consumer may
// load a slot while the owner overwrites it (the ring wrapped under it);
// its head CAS then fails and the value is discarded. Go's memory model
// makes such a racing word-sized load return some value actually written,
// which is all the protocol needs, so in a normal build the slot is a
// plain pointer, as in the runtime.
type gptrSlot struct {
	p *g
}

// load is a plain load of the slot; the caller's load-acquire of tail
// made the slot's contents visible, and its cas-release of head validates
// it (or the owner reads its own slot).
func (s *gptrSlot) load() *g { return s.p }

// store is a plain store into the slot by the ring's owner; published by
// the owner's following store-release of tail.
func (s *gptrSlot) store(gp *g) { s.p = gp }
