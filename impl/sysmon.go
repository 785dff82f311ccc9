package impl

import "github.com/gmplab/gmplab/spec"

// inSyscall returns the G in a syscall on the M that holds pp, or nil.
// Can be executed by any M or sysmon (the answer may be stale at once in
// the concurrent engine; retake re-checks under the G's status).
func (s *Sched) inSyscall(pp *p) *g {
	mp := pp.m.Load()                                                 // load, synchronizes with acquirep/retake
	if spec.PStatus(pp.status.Load()) != spec.PRunning || mp == nil { // load, a hint
		return nil
	}
	if gp := mp.curg.Load(); gp != nil && gp.getStatus() == spec.GSyscall { // load, synchronizes with execute's store; a hint (retake re-checks under the scan bit)
		return gp
	}
	return nil
}

// preemptone sets the preempt flag of the G running on pp.
//
// Reference: proc.go:6843-6895 preemptone (gives up if the P has no M, the
// M runs no G, or the G is in a syscall).
// Called only by sysmon (or the world stopper); the G may change under
// it (best effort, as in the runtime).
func (s *Sched) preemptone(pp *p) bool {
	mp := pp.m.Load()                                                 // load, synchronizes with acquirep/retake
	if spec.PStatus(pp.status.Load()) != spec.PRunning || mp == nil { // load, a hint: preemptone is best effort
		return false
	}
	gp := mp.curg.Load() // load, synchronizes with execute's store
	if gp == nil || gp.getStatus() != spec.GRunning {
		return false
	}
	gp.preempt.Store(true) // store, read by the G's M at its next safe point
	if s.tr.on {           // gp.id only then: gp may have exited meanwhile and be running another ID
		s.tr.emit("PreemptRequest", gp.id, pp.id, spec.NoM)
	}
	return true
}

// retake takes pp from the M blocked in a syscall on it and hands it off
// (drive mode, where nothing runs concurrently). The concurrent engine's
// sysmon calls takeP holding the G's scan bit (setBlockOnExitSyscall, so
// the M cannot leave the syscall meanwhile), releases the bit, and then
// calls handoffp, in the runtime's order.
//
// Reference: proc.go:6710-6716 (takeP, syscalltick++, handoffp).
// Called only by sysmon.
func (s *Sched) retake(pp *p) {
	s.takeP(pp)
	s.handoffp(pp, nil)
}

// takeP unwires pp from the M blocked in a syscall on it (takeP,
// releaseP: syscalltick++). The caller holds the G's scan bit, and
// hands pp off after releasing it, as the runtime does.
//
// Reference: proc.go:6810-6831 takeP.
// Called only by sysmon.
func (s *Sched) takeP(pp *p) {
	mp := pp.m.Load()     // load under the G's scan bit (engine): pp's wiring cannot change
	gp := mp.curg.Load()  // load, likewise
	mp.p.Store(nil)       // store, mp reads it after its casFromSyscall (resumeSyscall's store-release)
	pp.m.Store(nil)       // store, read by world stoppers' and exitsyscall's pp.m loads
	pp.syscalltick.Add(1) // add, under the scan bit; sysmon only compares it
	s.tr.emit("Retake", gp.id, pp.id, spec.NoM, "from", mp.id.String())
}

// sysmonPreempt (untimed): sysmon finds pp's slice old and requests the
// preemption of its G, which must have run a statement in its slice.
// Called only by sysmon.
func (s *Sched) sysmonPreempt(pid spec.PID) string {
	if pid < 0 || int(pid) >= s.procs {
		return "no such P"
	}
	pp := s.allp[pid]
	if spec.PStatus(pp.status.Load()) != spec.PRunning || pp.m.Load() == nil { // loads (drive mode only: nothing runs concurrently)
		return "the P runs no G"
	}
	gp := pp.m.Load().curg.Load()                                          // loads (drive mode only)
	if gp == nil || gp.getStatus() != spec.GRunning || gp.preempt.Load() { // loads (drive mode only)
		return "the P runs no G without a pending request"
	}
	if gp.fresh {
		return "the G has not run a statement in its slice yet"
	}
	s.preemptone(pp)
	return ""
}

// sysmonRetake (untimed): sysmon retakes pp from the syscall of its M's G.
// Called only by sysmon.
func (s *Sched) sysmonRetake(pid spec.PID) string {
	if pid < 0 || int(pid) >= s.procs {
		return "no such P"
	}
	pp := s.allp[pid]
	if s.inSyscall(pp) == nil {
		return "the P's M is not blocked in a syscall"
	}
	s.retake(pp)
	return ""
}
