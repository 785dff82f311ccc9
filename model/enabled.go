package model

import (
	"github.com/gmplab/gmplab/spec"
)

// Enabled lists the actions enabled in s, in a fixed order (by M, then by
// P, then the global actions). Every action listed changes the state.
// An ended or deadlocked run has none.
func Enabled(s State) []Action {
	if s.Ended() || s.Deadlocked() {
		return nil
	}
	var out []Action
	cfg := &s.Env.Cfg
	code := s.Env.Code
	for i := range s.Ms {
		m := spec.MID(i)
		mm := &s.Ms[i]
		if mm.Curg == spec.NoG {
			if mm.P == spec.NoP {
				continue // idle M
			}
			out = appendSchedule(out, &s, m)
			continue
		}
		g := &s.Gs[mm.Curg-1]
		if g.Status == spec.GSyscall {
			if !s.Env.Timed || g.Left == 0 {
				out = append(out, ExitSyscall{m})
			}
			continue
		}
		f := g.Stack.Top
		in := code.Funcs[f.Fn].Instrs[f.PC]
		if g.Preempt {
			switch in.Op {
			case spec.OpCall, spec.OpDescend:
				out = append(out, Preempt{m})
				continue
			case spec.OpCompute:
				if cfg.AsyncPreempt {
					out = append(out, Preempt{m})
					continue
				}
			}
		}
		switch in.Op {
		case spec.OpCompute:
			if !s.Env.Timed || g.Left == 0 {
				out = append(out, Compute{m})
			}
		case spec.OpCall, spec.OpDescend:
			out = append(out, Call{m})
		case spec.OpSpawn:
			out = append(out, Spawn{m})
		case spec.OpGosched:
			out = append(out, Gosched{m})
		case spec.OpPark:
			out = append(out, Park{m})
		case spec.OpReady:
			cands := s.readyCandidates(in.Key)
			if len(cands) == 0 {
				out = append(out, Ready{m, spec.NoG})
			}
			for _, w := range cands {
				out = append(out, Ready{m, w})
			}
		case spec.OpSyscall:
			out = append(out, EnterSyscall{m})
		case spec.OpGC:
			out = append(out, GC{m})
		case spec.OpExit, spec.OpReturn:
			out = append(out, Goexit{m})
		case spec.OpGomaxprocs:
			out = append(out, Gomaxprocs{m})
		}
	}
	if s.Env.Timed {
		if s.Now == s.Sysmon.Next {
			out = append(out, SysmonTick{})
		}
		if d := s.nextDeadline(); d > 0 {
			out = append(out, Advance{d})
		}
		return out
	}
	for i := range s.Procs {
		p := spec.PID(i)
		pp := &s.Ps[i]
		if pp.Status != spec.PRunning || pp.M == spec.NoM {
			continue
		}
		g := s.Ms[pp.M].Curg
		if g == spec.NoG {
			continue
		}
		switch s.Gs[g-1].Status {
		case spec.GRunning:
			if !s.Gs[g-1].Preempt && !s.Gs[g-1].Fresh {
				out = append(out, SysmonPreempt{p})
			}
		case spec.GSyscall:
			out = append(out, SysmonRetake{p})
		}
	}
	return out
}

// appendSchedule adds the findRunnable actions of m, which holds a P and
// runs no G: Schedule unless m is spinning with work to steal (Schedule
// would change nothing), and a Steal per victim and kind of take.
func appendSchedule(out []Action, s *State, m spec.MID) []Action {
	mm := &s.Ms[m]
	x := stepper{s: *s, cfg: &s.Env.Cfg}
	stealable := x.stealable(mm.P)
	pp := &s.Ps[mm.P]
	localWork := !pp.localEmpty() || len(s.Global) > 0
	if !mm.Spinning || !stealable || localWork {
		out = append(out, Schedule{m})
	}
	if !mm.Spinning {
		return out
	}
	last := s.Env.Cfg.StealRounds - 1
	for v := range s.Procs {
		vp := &s.Ps[v]
		if spec.PID(v) == mm.P || vp.Status != spec.PRunning {
			continue
		}
		if len(vp.Runq) > 0 || (vp.Runnext != spec.NoG && !s.Env.Cfg.StealRunnextLastRoundOnly) {
			out = append(out, Steal{m, spec.PID(v), 0})
		}
		if vp.Runnext != spec.NoG && last > 0 {
			out = append(out, Steal{m, spec.PID(v), last})
		}
	}
	return out
}
