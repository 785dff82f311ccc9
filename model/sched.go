package model

import (
	"strconv"

	"github.com/gmplab/gmplab/spec"
)

// execute makes g run on m (which holds a P): a new time slice unless
// inherit. src says where g came from, for the trace.
//
// Reference: proc.go:3331-3386 execute (schedtick++ only if !inheritTime;
// clears gp.preempt).
func (x *stepper) execute(m spec.MID, g spec.GID, inherit bool, src string) {
	p := x.m(m).P
	gg := x.gw(g)
	gg.Status = spec.GRunning
	gg.M = m
	gg.Preempt = false
	gg.Fresh = true
	x.mw(m).Curg = g
	if !inherit {
		x.pw(p).Schedtick++
	}
	x.emit("Run", g, p, m, "src", src, "inherit", strconv.FormatBool(inherit), "tick", strconv.FormatUint(uint64(x.p(p).Schedtick), 10))
	if x.m(m).Spinning {
		// resetspinning (proc.go:4021-4035): the last spinner to find
		// work wakes another.
		x.mw(m).Spinning = false
		x.s.NMSpinning--
		if !x.mut.Has(MutResetspinningNoWakep) { // the mutant breaks work conservation (golang/go#45867)
			// (resetspinning, proc.go:4021-4035)
			x.wakep(m)
		}
	}
	x.normalize(g)
}

// wakep starts a spinning M on an idle P if no M is spinning.
//
// Reference: proc.go:3212-3246 wakep, 7430-7443 pidlegetSpinning (sets
// needspinning when there is no idle P).
func (x *stepper) wakep(by spec.MID) {
	if x.s.NMSpinning != 0 {
		return
	}
	if len(x.s.IdleP) == 0 {
		x.s.NeedSpinning = true
		return
	}
	x.s.NMSpinning++
	x.startm(x.pidleget(), true, by)
}

// pidleget pops the most recently idled P.
//
// Reference: proc.go:7402-7418 pidleget.
func (x *stepper) pidleget() spec.PID {
	n := len(x.s.IdleP)
	p := x.s.IdleP[n-1]
	x.s.IdleP = x.s.IdleP[:n-1]
	return p
}

// pidleput puts p, whose local queue must be empty, on the idle list.
//
// Reference: proc.go:7373-7393 pidleput (throws on a non-empty queue).
func (x *stepper) pidleput(p spec.PID, by spec.MID) {
	if !x.p(p).localEmpty() {
		panic("pidleput: P has non-empty run queue")
	}
	pp := x.pw(p)
	pp.Status = spec.PIdle
	pp.M = spec.NoM
	x.s.IdleP = push(x.s.IdleP, p)
	x.emit("IdleP", spec.NoG, p, by)
}

// startm gives p to an idle M, or to a new M if none is idle.
//
// Reference: proc.go:3035-3125 startm (mget, else newm).
func (x *stepper) startm(p spec.PID, spinning bool, by spec.MID) spec.MID {
	var m spec.MID
	if n := len(x.s.IdleM); n > 0 {
		m = x.s.IdleM[n-1]
		x.s.IdleM = x.s.IdleM[:n-1]
	} else {
		m = spec.MID(len(x.s.Ms))
		x.s.Ms = push(x.s.Ms, M{P: spec.NoP, Curg: spec.NoG, OldP: spec.NoP})
		x.ownMs = true
	}
	x.acquirep(m, p)
	x.mw(m).Spinning = spinning
	x.emit("StartM", spec.NoG, p, m, "spinning", strconv.FormatBool(spinning), "by", by.String())
	return m
}

// acquirep wires p to m.
func (x *stepper) acquirep(m spec.MID, p spec.PID) {
	pp := x.pw(p)
	pp.Status = spec.PRunning
	pp.M = m
	x.mw(m).P = p
}

// stopm parks m, which holds no P, on the idle-M list.
//
// Reference: proc.go:2992-3011 stopm.
func (x *stepper) stopm(m spec.MID) {
	mm := x.mw(m)
	mm.P = spec.NoP
	mm.Curg = spec.NoG
	mm.Spinning = false
	x.s.IdleM = push(x.s.IdleM, m)
	x.emit("StopM", spec.NoG, spec.NoP, m)
}

// handoffp passes on p, which no M holds, after its M blocked in a
// syscall: start an M wherever findRunnable would find a G on p.
//
// Reference: proc.go:3131-3197 handoffp. Netpoll is not modelled, so
// sched.lastpoll is never 0 and rule 6 ("someone must poll") always applies.
func (x *stepper) handoffp(p spec.PID, by spec.MID) {
	pp := x.p(p)
	x.emit("Handoff", spec.NoG, p, by)
	if !pp.localEmpty() || len(x.s.Global) > 0 {
		x.startm(p, false, by)
		return
	}
	if x.s.NMSpinning+len(x.s.IdleP) == 0 {
		x.s.NMSpinning++
		x.s.NeedSpinning = false
		x.startm(p, true, by)
		return
	}
	if len(x.s.IdleP) == x.s.Procs-1 {
		x.startm(p, false, by)
		return
	}
	x.pidleput(p, by)
}

// stealable reports whether a spinning thief on p could take anything
// from some other P: a non-empty ring, or a runnext that some round may
// take.
func (x *stepper) stealable(p spec.PID) bool {
	for v := range x.s.Procs {
		vp := x.p(spec.PID(v))
		if spec.PID(v) == p || vp.Status != spec.PRunning {
			continue
		}
		if len(vp.Runq) > 0 || vp.Runnext != spec.NoG {
			return true
		}
	}
	return false
}

// schedule is findRunnable's local part for m, which holds a P and runs
// no G. In order: the fairness check (one global G when schedtick %
// GlobalCheckPeriod == 0), runnext (inheriting the slice), the ring, a
// global batch. With nothing found, m becomes spinning if stealing is
// possible and allowed (at most half the busy Ps spin, unless
// needspinning), else m drops its P and parks.
//
// Reference: proc.go:3389-3798 findRunnable, steps e, g, h, j, n, o, q.
// The spinning re-checks of the "delicate dance" (3622-3700) find nothing
// here: this step is atomic and has just seen every queue empty.
func (x *stepper) schedule(m spec.MID) string {
	if int(m) < 0 || int(m) >= len(x.s.Ms) {
		return "no such M"
	}
	mm := x.m(m)
	if mm.P == spec.NoP || mm.Curg != spec.NoG {
		return "the M must hold a P and run no G"
	}
	p := mm.P
	pp := x.p(p)
	switch {
	case x.cfg.GlobalCheckPeriod > 0 && pp.Schedtick%uint32(x.cfg.GlobalCheckPeriod) == 0 && len(x.s.Global) > 0 && !x.mut.Has(MutNoGlobalCheck):
		g := x.s.Global[0]
		x.s.Global = x.s.Global[1:]
		x.execute(m, g, false, "global")
	case pp.Runnext != spec.NoG && !x.mut.Has(MutSpinWithRunnext):
		// runqget: runnext first, inheriting the slice. The mutant
		// MutSpinWithRunnext skips this case (golang/go#10573); the
		// mutant MutRunnextNewSlice starts a new slice (golang/go#52934).
		g := pp.Runnext
		x.pw(p).Runnext = spec.NoG
		x.execute(m, g, !x.mut.Has(MutRunnextNewSlice), "runnext")
	case len(pp.Runq) > 0:
		g := pp.Runq[0]
		x.pw(p).Runq = pp.Runq[1:]
		x.execute(m, g, false, "ring")
	case len(x.s.Global) > 0:
		g := x.globrunqgetbatch(p, m)
		x.execute(m, g, false, "batch")
	default:
		stealable := x.stealable(p)
		canSpin := mm.Spinning || 2*x.s.NMSpinning < x.s.Procs-len(x.s.IdleP)
		if mm.Spinning && stealable {
			return "a spinning M with work to steal must Steal"
		}
		if !mm.Spinning && (canSpin || x.s.NeedSpinning) {
			x.mw(m).Spinning = true
			x.s.NMSpinning++
			x.s.NeedSpinning = false
			x.emit("Spinning", spec.NoG, p, m)
			if stealable {
				return ""
			}
		}
		// Nothing anywhere: release the P (pidleput), stop spinning
		// (nmspinning--), re-check (nothing), stopm.
		x.mw(m).P = spec.NoP
		x.pidleput(p, m)
		if x.m(m).Spinning {
			x.mw(m).Spinning = false
			x.s.NMSpinning--
		}
		x.stopm(m)
	}
	return ""
}

// steal takes work from a.Victim for the spinning thief a.M: ceil(half)
// of the ring (the youngest stolen G runs, the others go to the thief's
// ring), or, with an empty ring in a round that may take it, runnext.
//
// Reference: proc.go:3828-3895 stealWork, 7662-7725 runqgrab, 7730-7747
// runqsteal. The thief runs the G with a new slice.
func (x *stepper) steal(a Steal) string {
	if int(a.M) < 0 || int(a.M) >= len(x.s.Ms) {
		return "no such M"
	}
	mm := x.m(a.M)
	if !mm.Spinning || mm.P == spec.NoP || mm.Curg != spec.NoG {
		return "the M must be spinning with a P and no G"
	}
	if a.Victim < 0 || int(a.Victim) >= x.s.Procs || a.Victim == mm.P {
		return "the victim must be another P in allp"
	}
	if a.Round < 0 || a.Round >= x.cfg.StealRounds {
		return "round out of range"
	}
	vp := x.p(a.Victim)
	if vp.Status != spec.PRunning {
		return "the victim is idle"
	}
	runnextRound := a.Round == x.cfg.StealRounds-1 || !x.cfg.StealRunnextLastRoundOnly
	var g spec.GID
	var n int
	switch {
	case len(vp.Runq) > 0 && !(x.mut.Has(MutStealRunnextNonEmpty) && runnextRound && vp.Runnext != spec.NoG):
		n = x.cfg.StealCount(len(vp.Runq))
		if x.mut.Has(MutStealHalfPlusOne) && n < len(vp.Runq) {
			n++
		}
		stolen := vp.Runq[:n]
		x.pw(a.Victim).Runq = vp.Runq[n:]
		g = stolen[n-1]
		if n > 1 {
			thief := mm.P
			if len(x.p(thief).Runq)+n-1 > x.cfg.RunqSize {
				panic("runqsteal: runq overflow")
			}
			x.pw(thief).Runq = push(x.p(thief).Runq, stolen[:n-1]...)
		}
	case vp.Runnext != spec.NoG && runnextRound:
		g = vp.Runnext
		n = 1
		x.pw(a.Victim).Runnext = spec.NoG
	default:
		return "nothing to steal from the victim in this round"
	}
	if x.trace {
		x.events[0].Args = append(x.events[0].Args, spec.Arg{Key: "n", Val: strconv.Itoa(n)}, spec.Arg{Key: "run", Val: g.String()})
	}
	x.execute(a.M, g, false, "steal")
	return ""
}
