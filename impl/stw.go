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
	if e.gcwaiting.Load() {
		// Another stopper won: stop at its barrier. (Taking sysmonlock
		// first would block this M outside the barrier while the winner
		// waits for it: a deadlock.)
		s.lock.Unlock()
		if mp != nil {
			e.barrierWithG(mp, mp.curg.Load())
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
			if og := om.curg.Load(); og != nil {
				if og.status.LoadAcq() == uint32(spec.GSyscall)|gScan && e.isBlocked(og) {
					continue
				}
				if og.setBlockOnExitSyscall() {
					e.blocked = append(e.blocked, og)
					continue
				}
				og.preempt.Store(true) // store, preemptall: seen at og's next safe point
			}
			stopped = false
		}
		s.lock.Unlock()
		if stopped {
			return true
		}
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
	if !e.gcwaiting.Load() {
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
	if gp != nil && mp.curg.Load() == gp {
		gp.preempt.Store(false) // store, as execute does
	}
}
