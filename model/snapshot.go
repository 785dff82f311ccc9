package model

import (
	"slices"

	"github.com/gmplab/gmplab/spec"
)

// Snapshot projects s onto the abstract state that model and impl share.
// The result shares nothing with s.
func (s State) Snapshot() spec.Snapshot {
	var b snapBuf
	sn := *b.project(&s)
	// project aliases s's queues and slots; copy them.
	sn.Global = slices.Clone(sn.Global)
	for i := range sn.Ps {
		sn.Ps[i].Runq = slices.Clone(sn.Ps[i].Runq)
	}
	for i := range sn.Gs {
		for j := range sn.Gs[i].Stack.Frames {
			f := &sn.Gs[i].Stack.Frames[j]
			f.Slots = slices.Clone(f.Slots)
		}
		if len(sn.Gs[i].Stack.Frames) == 0 {
			sn.Gs[i].Stack.Frames = nil
		}
	}
	for i := range sn.Keys {
		sn.Keys[i].Waiters = slices.Clone(sn.Keys[i].Waiters)
	}
	return sn
}

// snapBuf projects States onto a reused spec.Snapshot for the invariant
// checks. The projection is State.Snapshot's, but it aliases the State's
// queues and stack slots instead of copying them (the checks only read)
// and reuses its own slices, so that checking a state allocates nothing.
// A test checks that it equals State.Snapshot on every state of several
// searches.
type snapBuf struct {
	snap   spec.Snapshot
	frames []spec.Frame
	zeros  []spec.Word
}

func (b *snapBuf) project(s *State) *spec.Snapshot {
	code := s.Env.Code
	cfg := &s.Env.Cfg
	sn := &b.snap
	sn.Procs = s.Procs
	sn.Global = s.Global
	sn.IdleP = reverseInto(sn.IdleP[:0], s.IdleP)
	sn.IdleM = reverseInto(sn.IdleM[:0], s.IdleM)
	sn.NMSpinning = s.NMSpinning
	sn.NeedSpinning = s.NeedSpinning
	sn.StackMin, sn.StackMax, sn.RunqSize = cfg.StackMin, cfg.StackMax, cfg.RunqSize
	sn.Ps = sn.Ps[:0]
	for i := range s.Ps {
		p := &s.Ps[i]
		sn.Ps = append(sn.Ps, spec.PState{
			ID: spec.PID(i), Status: p.Status, M: p.M, Runnext: p.Runnext,
			Runq: p.Runq, Schedtick: p.Schedtick, Syscalltick: p.Syscalltick,
		})
	}
	sn.Ms = sn.Ms[:0]
	for i := range s.Ms {
		m := &s.Ms[i]
		sn.Ms = append(sn.Ms, spec.MState{ID: spec.MID(i), P: m.P, Curg: m.Curg, Spinning: m.Spinning, OldP: m.OldP})
	}
	// Every live G's frames go into one buffer, sized first so that the
	// sub-slices handed out stay valid.
	nframes := 0
	for i := range s.Gs {
		if s.Gs[i].Status != spec.GDead {
			nframes += s.Gs[i].Stack.Depth()
		}
	}
	if cap(b.frames) < nframes {
		b.frames = make([]spec.Frame, nframes, 2*nframes)
	}
	frames := b.frames[:nframes]
	sn.Gs = sn.Gs[:0]
	for i := range s.Gs {
		g := &s.Gs[i]
		gs := spec.GState{
			ID: spec.GID(i + 1), Status: g.Status, M: g.M,
			Func: code.Funcs[g.Fn].Name, Preempt: g.Preempt,
		}
		if g.WaitKey >= 0 && g.Status == spec.GWaiting {
			gs.WaitKey = code.Keys[g.WaitKey]
		}
		if g.Status != spec.GDead {
			st := &g.Stack
			gs.Stack = spec.Stack{Lo: st.Lo, Hi: st.Hi, SP: st.SP()}
			if d := st.Depth(); d > 0 {
				fs := frames[:d:d]
				frames = frames[d:]
				for n := st.Top; n != nil; n = n.Up {
					fc := &code.Funcs[n.Fn]
					slots := n.Slots
					if slots == nil {
						slots = b.zeroSlots(fc.Slots)
					}
					fs[n.Depth-1] = spec.Frame{Func: fc.Name, Size: fc.Frame, Slots: slots}
				}
				gs.Stack.Frames = fs
			}
		}
		sn.Gs = append(sn.Gs, gs)
	}
	sn.Keys = sn.Keys[:0]
	for i := range s.Keys {
		k := &s.Keys[i]
		sn.Keys = append(sn.Keys, spec.KeyState{Key: code.Keys[i], Permits: k.Permits, Waiters: k.Waiters})
	}
	return sn
}

// zeroSlots returns n zero words (shared: never written).
func (b *snapBuf) zeroSlots(n int) []spec.Word {
	if len(b.zeros) < n {
		b.zeros = make([]spec.Word, max(n, 2*len(b.zeros)))
	}
	return b.zeros[:n:n]
}

func reverseInto[T any](dst, q []T) []T {
	for i := len(q) - 1; i >= 0; i-- {
		dst = append(dst, q[i])
	}
	return dst
}

func reversed[T any](q []T) []T {
	out := make([]T, len(q))
	for i, v := range q {
		out[len(q)-1-i] = v
	}
	return out
}
