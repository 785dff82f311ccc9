package impl

import "github.com/gmplab/gmplab/spec"

// gomaxprocs: the G on mp changes GOMAXPROCS to its statement's N: stop
// the world, procresize, start the world, with the model's rules (see
// model/procresize.go): running Gs are preempted into their own P's
// runnext; Ps held by Ms in syscalls are taken; every other M with a P
// stops; destroyed Ps push their ring (tail first) and then their runnext
// onto the global head; Ps with local work get an M (their previous one if
// idle), the others go idle in increasing order; then wakep.
//
// Reference: proc.go:4331-4334, 5947-6020 p.destroy, 6030-6251 procresize.
// Executed only by mp. Drive mode runs one step at a time, so the world is
// stopped by construction; the concurrent engine must stop it first.
func (s *Sched) gomaxprocs(mp *m) (string, int, int) {
	gp, in, why := s.running(mp)
	if why != "" {
		return why, 0, 0
	}
	if in.Op != spec.OpGomaxprocs {
		return "the G's next statement is not gomaxprocs", 0, 0
	}
	n := int(in.N)
	old := s.procs
	oldm := s.stopTheWorld(mp)
	s.procresize(mp, n, oldm)
	// Start the world.
	s.wakep(mp)
	s.advancePC(mp, gp)
	return "", old, n
}

// stopTheWorld is the state change of a stop-the-world by mp (see
// gomaxprocs): running Gs to their own P's runnext, Ps taken from
// syscalls, every other M with a P stopped, the idle P list emptied. It
// returns which M held each P.
//
// Its atomics ("world stopped") are ordered by the stop: sysmon waits on
// sysmonlock, and every other M is at the barrier, on the idle list (its
// parkCheck runs under sched.lock and reads queues only through runq's
// lock-free functions), or blocked in a syscall under the stopper's scan
// bit; each reads what the stopper stored after the world starts. They
// are atomics because the same fields are read lock-free while the world
// runs. In drive mode nothing runs concurrently.
//
// Reference: proc.go:1628-1752 stopTheWorldWithSema, 4331-4334.
// Executed only by mp, with the world stopped (drive mode: always).
func (s *Sched) stopTheWorld(mp *m) map[*p]*m {
	oldm := map[*p]*m{}
	for _, om := range s.allm {
		if om == mp || om.p.Load() == nil { // world stopped: om's fields are stable
			continue
		}
		pp := om.p.Load() // world stopped
		oldm[pp] = om
		if og := om.curg.Load(); og != nil { // world stopped
			if og.getStatus() == spec.GSyscall {
				om.p.Store(nil)       // store, om reads it after its casFromSyscall (the stopper's resumeSyscall)
				pp.syscalltick.Add(1) // add, world stopped
				pp.m.Store(nil)       // store, world stopped
				continue
			}
			og.m = nil
			og.preempt.Store(false) // store, world stopped (execute clears it anyway)
			om.curg.Store(nil)      // store, om reads it after the barrier (worldStarted's close)
			og.setStatus(spec.GRunnable)
			// pp is om's, not ours: runqput by a world stopper while
			// its owner is stopped (runqput's caller rule).
			s.runqput(pp, og, true, om)
		}
		if om.spinning {
			om.spinning = false
			s.nmspinning.Add(-1) // add, world stopped
		}
		pp.m.Store(nil) // store, world stopped
		s.stopm(om)
	}
	s.lock.Lock()
	s.pidle = s.pidle[:0]
	s.npidle.Store(0)           // store (under sched.lock)
	s.needspinning.Store(false) // store (under sched.lock)
	s.lock.Unlock()
	return oldm
}

// procresize sets GOMAXPROCS to n after stopTheWorld. Its atomics are
// ordered as stopTheWorld's.
//
// Reference: proc.go:6030-6251 procresize.
// Executed only by mp, with the world stopped.
func (s *Sched) procresize(mp *m, n int, oldm map[*p]*m) {
	old := s.procs
	s.lock.Lock()
	for len(s.allp) < n {
		s.allp = append(s.allp, s.newP(spec.PID(len(s.allp))))
	}
	for i := old; i < n; i++ {
		s.allp[i].status.Store(uint32(spec.PIdle)) // store, world stopped
	}
	for i := n; i < old; i++ {
		pp := s.allp[i]
		dq := pp.runq.runqdrain() // perhaps another M's P: allowed with its owner stopped
		drained := dq.slice()     // runnext first, then the ring
		for j := len(drained) - 1; j >= 0; j-- {
			s.glob.putHead(drained[j])
		}
		pp.m.Store(nil) // store, world stopped
		s.gfpurge(pp)
		pp.status.Store(uint32(spec.PDead)) // store, world stopped
	}
	myp := mp.p.Load() // load, the stopper's own P
	if int(myp.id) >= n {
		myp.m.Store(nil) // store, world stopped
		s.acquirep(mp, s.allp[0])
		myp = s.allp[0]
	}
	s.procs = n
	s.glob.setProcs(n)
	var needM []*p
	for i := n - 1; i >= 0; i-- {
		pp := s.allp[i]
		if pp == myp {
			continue
		}
		pp.status.Store(uint32(spec.PIdle)) // store, world stopped
		if pp.runq.runqempty() {
			continue
		}
		if om := oldm[pp]; om != nil && s.takeIdleM(om) {
			s.acquirep(om, pp)
			continue
		}
		needM = append(needM, pp)
	}
	s.lock.Unlock()
	// runtime hands out Ms in increasing P order (runnablePsNeedM).
	for i := len(needM) - 1; i >= 0; i-- {
		s.startm(needM[i], false, mp)
	}
	s.lock.Lock()
	for i := range n {
		pp := s.allp[i]
		if pp != myp && spec.PStatus(pp.status.Load()) == spec.PIdle && pp.m.Load() == nil { // loads, world stopped (startm above may have wired pp)
			s.pidleput(pp, mp)
		}
	}
	s.lock.Unlock()
}

// takeIdleM removes mp from the idle-M list if it is there (mgetSpecific).
// sched.lock must be held.
func (s *Sched) takeIdleM(mp *m) bool {
	for i, im := range s.midle {
		if im == mp {
			s.midle = append(s.midle[:i:i], s.midle[i+1:]...)
			return true
		}
	}
	return false
}

// isIdleM reports whether mp is on the idle-M list.
// sched.lock must be held.
func (s *Sched) isIdleM(mp *m) bool {
	for _, im := range s.midle {
		if im == mp {
			return true
		}
	}
	return false
}
