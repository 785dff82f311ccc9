//go:build gmplabsched || race

package impl

import (
	"sync/atomic"
	"unsafe"
)

// This file is the instrumented build of the atomic layer (atomic.go),
// selected by -tags gmplabsched (a deterministic schedule controller) and
// by -race.
//
// Under gmplabsched every operation of the layer first calls the hook a
// controller installs with setSchedHook; the controller may block the
// calling thread there until it is that thread's turn. Under -race without
// a controller the hook is nil, and the only difference from a normal
// build is that ring slots are atomic pointers: the race detector must see
// the stale speculative slot read of runqgrab (a deliberate race,
// validated by the head CAS) as synchronized, or it would report it.

// instrumented reports whether the atomic layer calls a controller hook
// and makes ring slots atomic. True here.
const instrumented = true

// schedHook is the installed controller hook, or nil.
var schedHook atomic.Pointer[func(op opKind, addr unsafe.Pointer)]

// yield calls the controller's hook, if any, before the operation op on
// the variable at addr (see "Atomics" in atomic.go).
func yield(op opKind, addr unsafe.Pointer) {
	if h := schedHook.Load(); h != nil { // load, synchronizes with setSchedHook's swap or restore's store
		(*h)(op, addr)
	}
}

// setSchedHook installs h as the hook called before every shared-memory
// operation of the atomic layer, from whichever thread performs it, and
// returns a function that restores the previous hook. h must not itself
// use the atomic layer.
// Can be executed by any goroutine, one controller at a time (the
// restores must nest).
func setSchedHook(h func(op opKind, addr unsafe.Pointer)) (restore func()) {
	var p *func(opKind, unsafe.Pointer)
	if h != nil {
		p = &h
	}
	old := schedHook.Swap(p)               // swap, read by every thread's yield
	return func() { schedHook.Store(old) } // store, read by every thread's yield
}

// gptrSlot is one slot of a P's ring (the runtime's guintptr in p.runq).
// Only the ring's owner stores into it, published to consumers by its
// later store-release of tail; consumers load it speculatively after a
// load-acquire of tail and commit the read with their cas-release of
// head. The protocol needs only plain accesses (atomic_plain.go); here the
// slot is atomic so that the race detector accepts the stale read a
// failing head CAS discards, and so that a controller sees slot accesses.
type gptrSlot struct {
	p atomic.Pointer[g]
}

// load is the slot load (plain in the protocol); the caller's load-acquire
// of tail made the contents visible, and its cas-release of head validates
// it (or the owner reads its own slot).
func (s *gptrSlot) load() *g {
	yield(opSlotLoad, unsafe.Pointer(s))
	return s.p.Load()
}

// store is the owner's slot store (plain in the protocol); published by
// the owner's following store-release of tail.
func (s *gptrSlot) store(gp *g) {
	yield(opSlotStore, unsafe.Pointer(s))
	s.p.Store(gp)
}
