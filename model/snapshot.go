package model

import (
	"slices"

	"github.com/gmplab/gmplab/spec"
)

// Snapshot projects s onto the abstract state that model and impl share.
func (s State) Snapshot() spec.Snapshot {
	code := s.Env.Code
	snap := spec.Snapshot{
		Procs:        s.Procs,
		Global:       slices.Clone(s.Global),
		IdleP:        reversed(s.IdleP),
		IdleM:        reversed(s.IdleM),
		NMSpinning:   s.NMSpinning,
		NeedSpinning: s.NeedSpinning,
		StackMin:     s.Env.Cfg.StackMin,
		StackMax:     s.Env.Cfg.StackMax,
		RunqSize:     s.Env.Cfg.RunqSize,
	}
	for i, p := range s.Ps {
		snap.Ps = append(snap.Ps, spec.PState{
			ID: spec.PID(i), Status: p.Status, M: p.M, Runnext: p.Runnext,
			Runq: slices.Clone(p.Runq), Schedtick: p.Schedtick, Syscalltick: p.Syscalltick,
		})
	}
	for i, m := range s.Ms {
		snap.Ms = append(snap.Ms, spec.MState{ID: spec.MID(i), P: m.P, Curg: m.Curg, Spinning: m.Spinning, OldP: m.OldP})
	}
	for i, g := range s.Gs {
		gs := spec.GState{
			ID: spec.GID(i + 1), Status: g.Status, M: g.M,
			Func: code.Funcs[g.Fn].Name, Preempt: g.Preempt,
		}
		if g.WaitKey >= 0 && g.Status == spec.GWaiting {
			gs.WaitKey = code.Keys[g.WaitKey]
		}
		if g.Status != spec.GDead {
			gs.Stack = g.Stack.project(code)
		}
		snap.Gs = append(snap.Gs, gs)
	}
	for i, k := range s.Keys {
		snap.Keys = append(snap.Keys, spec.KeyState{Key: code.Keys[i], Permits: k.Permits, Waiters: slices.Clone(k.Waiters)})
	}
	return snap
}

func (st *Stack) project(code *spec.Code) spec.Stack {
	out := spec.Stack{Lo: st.Lo, Hi: st.Hi, SP: st.SP(code)}
	for _, f := range st.Frames() {
		slots := slices.Clone(f.Slots)
		if slots == nil {
			slots = make([]spec.Word, code.Funcs[f.Fn].Slots)
		}
		out.Frames = append(out.Frames, spec.Frame{
			Func: code.Funcs[f.Fn].Name, Size: code.Funcs[f.Fn].Frame, Slots: slots,
		})
	}
	return out
}

func reversed[T any](q []T) []T {
	out := make([]T, len(q))
	for i, v := range q {
		out[len(q)-1-i] = v
	}
	return out
}
