package model

import (
	"strconv"

	"github.com/gmplab/gmplab/spec"
)

// gomaxprocs: the G on m changes GOMAXPROCS to its statement's N, in one
// atomic step: stop the world, procresize, start the world.
//
// Stop: every other running G is preempted into its own P's runnext
// (goschedImpl with gcwaiting, proc.go:4331-4334); every P held by an M in
// a syscall is taken; every other M with a P stops (gcstopm); idle Ps
// leave the idle list.
//
// procresize (proc.go:6030-6251): Ps n..old-1 are destroyed in increasing
// order, each pushing its ring (tail first) and then its runnext onto the
// global head (p.destroy, 5947-6020); the caller keeps its P if it
// survives, else takes p0; Ps with local work get an M (the one that held
// them before the stop if it is idle, else mget, else a new M) and the
// rest go idle in increasing order. Start: wakep.
func (x *stepper) gomaxprocs(m spec.MID) string {
	g, in, why := x.running(m)
	if why != "" {
		return why
	}
	if in.Op != spec.OpGomaxprocs {
		return "the G's next statement is not gomaxprocs"
	}
	old := x.s.Procs
	n := int(in.N)
	oldm := x.stopTheWorld(m, max(n, old))
	x.procresize(m, n, oldm)
	if x.trace {
		x.events[0].Args = append(x.events[0].Args, spec.Arg{Key: "from", Val: strconv.Itoa(old)}, spec.Arg{Key: "to", Val: strconv.Itoa(n)})
	}
	// Start the world.
	x.wakep(m)
	x.advancePC(g)
	return ""
}

// stopTheWorld stops every M but m (see gomaxprocs) and returns, for each
// P below np, the M that held it (NoM if none).
//
// Reference: proc.go:1628-1752 stopTheWorldWithSema, 4331-4334.
func (x *stepper) stopTheWorld(m spec.MID, np int) []spec.MID {
	oldm := make([]spec.MID, np)
	for i := range oldm {
		oldm[i] = spec.NoM
	}
	// Stop the world.
	for i := range x.s.Ms {
		om := spec.MID(i)
		if om == m {
			continue
		}
		mm := x.m(om)
		if mm.P == spec.NoP {
			continue
		}
		p := mm.P
		oldm[p] = om
		if mm.Curg != spec.NoG {
			og := mm.Curg
			if x.g(og).Status == spec.GSyscall {
				// gcstopP on a P whose M is in a syscall.
				x.mw(om).P = spec.NoP
				x.pw(p).Syscalltick++
				x.pw(p).M = spec.NoM
				continue
			}
			gw := x.gw(og)
			gw.Status = spec.GRunnable
			gw.M = spec.NoM
			gw.Preempt = false
			x.mw(om).Curg = spec.NoG
			x.runqput(p, og, true, om)
		}
		if x.m(om).Spinning {
			x.mw(om).Spinning = false
			x.s.NMSpinning--
		}
		x.pw(p).M = spec.NoM
		x.stopm(om)
	}
	x.s.IdleP = nil
	x.s.NeedSpinning = false
	return oldm
}

// procresize sets GOMAXPROCS to n with the world stopped by m; oldm is
// stopTheWorld's record of who held each P.
//
// Reference: proc.go:6030-6251 procresize.
func (x *stepper) procresize(m spec.MID, n int, oldm []spec.MID) {
	old := x.s.Procs
	for len(x.s.Ps) < n {
		x.s.Ps = push(x.s.Ps, P{Status: spec.PIdle, M: spec.NoM})
		x.ownPs = true
	}
	for i := old; i < n; i++ {
		x.pw(spec.PID(i)).Status = spec.PIdle
	}
	for i := n; i < old; i++ {
		p := spec.PID(i)
		pp := x.p(p)
		for j := len(pp.Runq) - 1; j >= 0; j-- {
			x.s.Global = prepend(x.s.Global, pp.Runq[j])
		}
		if pp.Runnext != spec.NoG {
			x.s.Global = prepend(x.s.Global, pp.Runnext)
		}
		w := x.pw(p)
		w.Runq = nil
		w.Runnext = spec.NoG
		w.Status = spec.PDead
		w.M = spec.NoM
	}
	myp := x.m(m).P
	if int(myp) >= n {
		x.pw(myp).M = spec.NoM
		x.acquirep(m, 0)
		myp = 0
	}
	x.s.Procs = n
	var runnable, needM []spec.PID
	for i := n - 1; i >= 0; i-- {
		p := spec.PID(i)
		if p == myp {
			continue
		}
		x.pw(p).Status = spec.PIdle
		if x.p(p).localEmpty() {
			continue
		}
		if om := oldm[p]; om != spec.NoM && x.takeIdleM(om) {
			x.acquirep(om, p)
			runnable = append(runnable, p)
			continue
		}
		needM = append(needM, p)
	}
	// runtime builds runnablePsNeedM by prepending in the descending loop,
	// so Ms are handed out in increasing P order.
	for i := len(needM) - 1; i >= 0; i-- {
		x.startm(needM[i], false, m)
	}
	for i := 0; i < n; i++ {
		p := spec.PID(i)
		if p != myp && x.p(p).Status == spec.PIdle && x.p(p).M == spec.NoM {
			x.pidleput(p, m)
		}
	}
}

// takeIdleM removes m from the idle-M list if it is there (mgetSpecific).
func (x *stepper) takeIdleM(m spec.MID) bool {
	for i, im := range x.s.IdleM {
		if im == m {
			x.s.IdleM = remove(x.s.IdleM, i)
			return true
		}
	}
	return false
}
