package impl

import (
	"runtime"

	"github.com/gmplab/gmplab/spec"
)

// Stop-the-world for the concurrent engine (GOMAXPROCS changes and GC).
//
// The stopper sets gcwaiting under sched.lock (a second would-be stopper
// sees it and stops at the barrier instead), takes sysmonlock (sysmon does
// not run a round during a STW) and then, until every other M is stopped,
// repeatedly: requests the preemption of every running G (preemptall),
// and takes the scan bit of every G in a syscall (setBlockOnExitSyscall),
// which it keeps until the world starts, so those Gs cannot leave their
// syscalls meanwhile. An M is stopped when it is parked at the barrier
// (at a safe point: between statements, at a compute unit, or before
// schedule), idle on the idle-M list, or blocked in a syscall by the
// stopper. Then the drive-mode step (gomaxprocs, gc) runs as if single-
// threaded, and startTheWorld releases everyone.

// stopTheWorld stops every M but mp; false if another G is stopping the
// world (mp then stopped at the barrier; the caller retries its
// statement) or the run ended.
//
// Reference: proc.go:1628-1752 stopTheWorldWithSema.
// Executed only by mp, which runs a G, or with mp nil by sysmon (for a
// snapshot), not holding sysmonlock.
func (e *engine) stopTheWorld(mp *m) bool {
	s := e.s
	s.lock.Lock()
	if e.gcwaiting.Load() { // load under sched.lock, which orders every store to it
		// Another stopper won: stop at its barrier. (Taking sysmonlock
		// first would block this M outside the barrier while the winner
		// waits for it: a deadlock.)
		s.lock.Unlock()
		if mp != nil {
			e.barrierWithG(mp, mp.curg.Load()) // load, mp's own curg
		}
		return false
	}
	e.gcwaiting.Store(true) // store (under sched.lock), seen by Ms at safe points
	e.worldStarted = make(chan struct{})
	s.lock.Unlock()
	// Wait for sysmon's current round (it holds sysmonlock while it
	// retakes); it runs no other round until startTheWorld.
	e.sysmonlock.Lock()
	for {
		if e.over() {
			e.startTheWorld()
			return false
		}
		s.tr.lockAct() // with tracing on, Ms and sysmon take scan bits only inside actions
		s.lock.Lock()
		idle := make(map[*m]bool, len(s.midle))
		for _, im := range s.midle {
			idle[im] = true
		}
		stopped := true
		for _, om := range s.allm {
			if om == mp || om.atBarrier || idle[om] {
				continue
			}
			if og := om.curg.Load(); og != nil { // load, synchronizes with om's execute/stopm stores
				// Load-acquire, synchronizes with the M's setStatus(GSyscall)
				// store-release (isBlocked tells whether the scan bit is ours).
				if og.status.LoadAcq() == uint32(spec.GSyscall)|gScan && e.isBlocked(og) {
					continue
				}
				if og.setBlockOnExitSyscall() {
					e.blocked = append(e.blocked, og)
					continue
				}
				if og.preempt.CompareAndSwap(false, true) { // cas, preemptall: seen at og's next safe point
					// Reading og.id is race-free: og's struct cannot be
					// recycled while we hold sched.lock. If og exits now,
					// gfput keeps the struct on om's P, and om, seeing
					// gcwaiting (already set), stops at the barrier
					// instead of reaching a spawn; the global free list
					// needs sched.lock, which we hold.
					e.preempted = append(e.preempted, stwPreempted{og, og.id})
				}
			}
			stopped = false
		}
		s.lock.Unlock()
		if stopped {
			// Withdraw the requests of preemptall: the Gs still on their
			// Ms are at safe points (the step moves them to runnext, or
			// they run on), and those that parked, yielded or exited
			// meanwhile keep no stop-the-world request, which is not a
			// request of sysmon's (and the model has none).
			for _, x := range e.preempted {
				e.s.withdrawPreempt(x.gp, x.id)
			}
			e.preempted = e.preempted[:0]
			s.tr.unlockAct()
			return true
		}
		s.tr.unlockAct()
		runtime.Gosched()
	}
}

// isBlocked reports whether the stopper holds gp's scan bit.
// Executed only by the stopper.
func (e *engine) isBlocked(gp *g) bool {
	for _, b := range e.blocked {
		if b == gp {
			return true
		}
	}
	return false
}

// startTheWorld releases the Gs blocked in syscalls and the Ms at the
// barrier, and lets sysmon run again.
//
// Reference: proc.go:1760-1827 startTheWorldWithSema.
// Executed only by the stopper.
func (e *engine) startTheWorld() {
	s := e.s
	for _, gp := range e.blocked {
		gp.resumeSyscall()
	}
	e.blocked = e.blocked[:0]
	s.lock.Lock()
	for _, om := range s.allm {
		om.atBarrier = false
	}
	e.gcwaiting.Store(false) // store (under sched.lock)
	close(e.worldStarted)
	s.lock.Unlock()
	e.sysmonlock.Unlock()
}

// barrier parks mp at the stop-the-world barrier until the world starts
// (gcstopm); it returns at once if no stop is pending.
// Executed only by mp.
func (e *engine) barrier(mp *m) {
	s := e.s
	s.lock.Lock()
	if !e.gcwaiting.Load() { // load under sched.lock, which orders every store to it
		s.lock.Unlock()
		return
	}
	mp.atBarrier = true
	ch := e.worldStarted
	s.lock.Unlock()
	select {
	case <-ch: // closed by startTheWorld, which cleared atBarrier
	case <-e.done:
	}
}

// barrierWithG stops mp at the barrier while gp is at a safe point. A GC
// or GOMAXPROCS change moves gp to its P's runnext meanwhile
// (Sched.stopTheWorld); after a stop that changes nothing (sysmon's
// snapshot) gp is still mp's and its stop-the-world preemption request is
// dropped (the runtime re-executes it from runnext, which clears
// gp.preempt).
// Executed only by mp, running gp.
func (e *engine) barrierWithG(mp *m, gp *g) {
	e.barrier(mp)
	if gp != nil && mp.curg.Load() == gp { // load: a world stopper may have stored nil (Sched.stopTheWorld) while mp was at the barrier
		gp.preempt.Store(false) // store, as execute does
	}
}

// stwPreempted is a G whose preempt flag preemptall set: its struct and
// the ID it ran then.
type stwPreempted struct {
	gp *g
	id spec.GID
}
