package impl

import "github.com/gmplab/gmplab/spec"

// snapshot projects the state onto spec.Snapshot, in the same canonical
// forms as the model's projection. Called with the world stopped (drive
// mode: between steps).
func (s *Sched) snapshot() spec.Snapshot {
	s.lock.Lock()
	defer s.lock.Unlock()
	sn := spec.Snapshot{
		Procs:        s.procs,
		NMSpinning:   int(s.nmspinning.Load()), // world stopped: the atomics here are stable
		NeedSpinning: s.needspinning.Load(),
		StackMin:     s.cfg.StackMin,
		StackMax:     s.cfg.StackMax,
		RunqSize:     s.cfg.RunqSize,
	}
	for _, gp := range s.glob.runq.slice() {
		sn.Global = append(sn.Global, gp.id)
	}
	for i := len(s.pidle) - 1; i >= 0; i-- {
		sn.IdleP = append(sn.IdleP, s.pidle[i].id)
	}
	for i := len(s.midle) - 1; i >= 0; i-- {
		sn.IdleM = append(sn.IdleM, s.midle[i].id)
	}
	for _, pp := range s.allp {
		runnext, ring := pp.runq.snapshot()
		ps := spec.PState{ID: pp.id, Status: spec.PStatus(pp.status.Load()), M: mid(pp.m.Load()), Runnext: gid(runnext), // loads, world stopped
			Schedtick: pp.schedtick.Load(), Syscalltick: pp.syscalltick.Load()}
		for _, gp := range ring {
			ps.Runq = append(ps.Runq, gp.id)
		}
		sn.Ps = append(sn.Ps, ps)
	}
	for _, mp := range s.allm {
		ms := spec.MState{ID: mp.id, P: pid(mp.p.Load()), Curg: gid(mp.curg.Load()), Spinning: mp.spinning, OldP: pid(mp.oldp)} // loads, world stopped
		sn.Ms = append(sn.Ms, ms)
	}
	s.allglock.Lock()
	for i := range s.gids.len() {
		rec := s.gids.at(i)
		gp := s.gidG(rec)
		if gp == nil { // exited; its struct may be free or running another ID
			sn.Gs = append(sn.Gs, spec.GState{ID: spec.GID(i + 1), Status: spec.GDead, M: spec.NoM,
				Func: s.code.Funcs[rec.fn].Name, Preempt: rec.preempt})
			continue
		}
		gs := spec.GState{ID: gp.id, Status: gp.getStatus(), M: mid(gp.m), Func: s.code.Funcs[gp.fn].Name, Preempt: gp.preempt.Load()} // loads, world stopped
		if gs.Status == spec.GWaiting {
			gs.WaitKey = s.code.Keys[gp.waitKey]
		}
		if gs.Status != spec.GDead {
			gs.Stack = gp.stack.project()
		}
		sn.Gs = append(sn.Gs, gs)
	}
	s.allglock.Unlock()
	for i, k := range s.keys {
		ks := spec.KeyState{Key: s.code.Keys[i], Permits: k.permits}
		for _, w := range k.waiters {
			ks.Waiters = append(ks.Waiters, w.id)
		}
		sn.Keys = append(sn.Keys, ks)
	}
	return sn
}

func gid(gp *g) spec.GID {
	if gp == nil {
		return spec.NoG
	}
	return gp.id
}

func pid(pp *p) spec.PID {
	if pp == nil {
		return spec.NoP
	}
	return pp.id
}
