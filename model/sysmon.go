package model

import (
	"time"

	"github.com/gmplab/gmplab/spec"
)

// inSyscall returns the G in a syscall on the M that holds p, if any.
func (x *stepper) inSyscall(p spec.PID) spec.GID {
	pp := x.p(p)
	if pp.Status != spec.PRunning || pp.M == spec.NoM {
		return spec.NoG
	}
	g := x.m(pp.M).Curg
	if g != spec.NoG && x.g(g).Status == spec.GSyscall {
		return g
	}
	return spec.NoG
}

// preemptone sets the preempt flag of the G running on p.
//
// Reference: proc.go:6843-6895 preemptone (gives up if the P has no M, the
// M runs no G, or the G is in a syscall).
func (x *stepper) preemptone(p spec.PID) bool {
	pp := x.p(p)
	if pp.Status != spec.PRunning || pp.M == spec.NoM {
		return false
	}
	g := x.m(pp.M).Curg
	if g == spec.NoG || x.g(g).Status != spec.GRunning {
		return false
	}
	x.gw(g).Preempt = true
	x.emit("PreemptRequest", g, p, spec.NoM)
	return true
}

// retake takes p from the M blocked in a syscall on it and hands it off.
//
// Reference: proc.go:6710-6716 (takeP, syscalltick++, handoffp).
func (x *stepper) retake(p spec.PID) {
	m := x.p(p).M
	g := x.m(m).Curg
	x.mw(m).P = spec.NoP
	pp := x.pw(p)
	pp.M = spec.NoM
	pp.Syscalltick++
	x.emit("Retake", g, p, spec.NoM, "from", m.String())
	x.handoffp(p, spec.NoM)
}

// sysmonPreempt (untimed): sysmon finds p's slice old and requests
// preemption of its G. Whether 10 ms have passed is this action's choice.
func (x *stepper) sysmonPreempt(p spec.PID) string {
	if x.s.Env.Timed {
		return "timed mode: sysmon acts through SysmonTick"
	}
	if p < 0 || int(p) >= x.s.Procs {
		return "no such P"
	}
	pp := x.p(p)
	if pp.Status != spec.PRunning || pp.M == spec.NoM {
		return "the P runs no G"
	}
	g := x.m(pp.M).Curg
	if g == spec.NoG || x.g(g).Status != spec.GRunning || x.g(g).Preempt {
		return "the P runs no G without a pending request"
	}
	if x.g(g).Fresh {
		return "the G has not run a statement in its slice yet"
	}
	x.preemptone(p)
	return ""
}

// sysmonRetake (untimed): sysmon retakes p from a syscall. The syscall's
// age is this action's choice, so under go1.26's rule the retake is always
// possible (it is delayed at most RetakeGrace).
func (x *stepper) sysmonRetake(p spec.PID) string {
	if x.s.Env.Timed {
		return "timed mode: sysmon acts through SysmonTick"
	}
	if p < 0 || int(p) >= x.s.Procs {
		return "no such P"
	}
	if x.inSyscall(p) == spec.NoG {
		return "the P's M is not blocked in a syscall"
	}
	x.retake(p)
	return ""
}

// sysmonTick (timed): one iteration of sysmon's loop at its wake-up time:
// retake over every P, then the next sleep.
//
// Reference: proc.go:6486-6617 sysmon (delay 20 µs while idle == 0,
// doubling once idle > 50, at most 10 ms; idle counts rounds without a
// syscall retake) and 6630-6725 retake.
func (x *stepper) sysmonTick() string {
	if !x.s.Env.Timed {
		return "untimed mode: use SysmonPreempt and SysmonRetake"
	}
	if x.s.Now != x.s.Sysmon.Next {
		return "sysmon is asleep"
	}
	now := x.s.Now
	retaken := 0
	for i := range x.s.Procs {
		p := spec.PID(i)
		if x.p(p).Status != spec.PRunning {
			continue
		}
		sysretake := false
		pp := x.p(p)
		if pp.Schedtick != pp.SeenSchedtick {
			w := x.pw(p)
			w.SeenSchedtick = pp.Schedtick
			w.SchedWhen = now
		} else if pp.SchedWhen+x.cfg.ForcePreempt <= now {
			x.preemptone(p)
			sysretake = true
		}
		if x.inSyscall(p) == spec.NoG {
			continue
		}
		pp = x.p(p)
		if !sysretake && pp.Syscalltick != pp.SeenSyscalltick {
			w := x.pw(p)
			w.SeenSyscalltick = pp.Syscalltick
			w.SyscallWhen = now
			continue
		}
		young := pp.SyscallWhen+x.cfg.RetakeGrace > now
		switch x.cfg.RetakePolicy {
		case spec.RetakeGo126:
			if pp.localEmpty() && x.s.NMSpinning+len(x.s.IdleP) > 0 && young {
				continue
			}
		case spec.RetakeAfter:
			if young {
				continue
			}
		}
		x.retake(p)
		retaken++
	}
	sm := &x.s.Sysmon
	if retaken > 0 {
		sm.Idle = 0
	} else {
		sm.Idle++
	}
	switch {
	case sm.Idle == 0:
		sm.Delay = x.cfg.SysmonMinDelay
	case sm.Idle > x.cfg.SysmonIdleRounds:
		sm.Delay *= 2
	}
	sm.Delay = min(sm.Delay, x.cfg.SysmonMaxDelay)
	sm.Next = now + sm.Delay
	return ""
}

// advance (timed): d of logical time passes. Running computes and
// syscalls progress; d may not pass any of their ends or sysmon's wake-up.
func (x *stepper) advance(d time.Duration) string {
	if !x.s.Env.Timed {
		return "untimed mode has no clock"
	}
	if d <= 0 {
		return "d must be positive"
	}
	if max := x.s.nextDeadline(); max < 0 || d > max {
		return "d passes a compute's or syscall's end or sysmon's wake-up"
	}
	x.s.Now += d
	// Only an M's curg computes or is in a syscall.
	for i := range x.s.Ms {
		if g := x.s.Ms[i].Curg; g != spec.NoG && x.g(g).Left > 0 && x.s.progresses(g) {
			x.gw(g).Left -= d
		}
	}
	return ""
}

// progresses reports whether g's current compute or syscall uses time now:
// a running G at a compute, or a G in a syscall.
func (s *State) progresses(g spec.GID) bool {
	gg := &s.Gs[g-1]
	switch gg.Status {
	case spec.GSyscall:
		return true
	case spec.GRunning:
		f := gg.Stack.Top
		return s.Env.Code.Funcs[f.Fn].Instrs[f.PC].Op == spec.OpCompute
	}
	return false
}

// nextDeadline is the longest Advance allowed: the time until the first
// running compute or syscall ends or sysmon wakes; -1 if none.
func (s *State) nextDeadline() time.Duration {
	d := s.Sysmon.Next - s.Now
	for i := range s.Ms {
		g := s.Ms[i].Curg
		if g != spec.NoG && s.Gs[g-1].Left > 0 && s.progresses(g) && s.Gs[g-1].Left < d {
			d = s.Gs[g-1].Left
		}
	}
	return d
}
