package model

import (
	"encoding/binary"
	"hash/fnv"

	"github.com/gmplab/gmplab/spec"
)

// AppendKey appends the canonical binary encoding of s to b: every field
// that distinguishes states (Env excluded, since it is fixed for a run).
// Two States have the same key exactly when they are the same state.
func (s *State) AppendKey(b []byte) []byte {
	u := func(v uint64) { b = binary.AppendUvarint(b, v) }
	i := func(v int64) { b = binary.AppendVarint(b, v) }
	gids := func(q []spec.GID) {
		u(uint64(len(q)))
		for _, g := range q {
			u(uint64(g))
		}
	}
	i(int64(s.Now))
	u(uint64(s.Procs))
	gids(s.Global)
	u(uint64(len(s.IdleP)))
	for _, p := range s.IdleP {
		u(uint64(p))
	}
	u(uint64(len(s.IdleM)))
	for _, m := range s.IdleM {
		u(uint64(m))
	}
	u(uint64(s.NMSpinning))
	b = append(b, boolByte(s.NeedSpinning), boolByte(s.Exited))
	b = append(b, s.Fatal...)
	b = append(b, 0)
	u(uint64(len(s.Ps)))
	for k := range s.Ps {
		p := &s.Ps[k]
		b = append(b, byte(p.Status))
		i(int64(p.M))
		u(uint64(p.Runnext))
		gids(p.Runq)
		u(uint64(p.Schedtick))
		u(uint64(p.Syscalltick))
		u(uint64(p.SeenSchedtick))
		i(int64(p.SchedWhen))
		u(uint64(p.SeenSyscalltick))
		i(int64(p.SyscallWhen))
	}
	u(uint64(len(s.Ms)))
	for k := range s.Ms {
		m := &s.Ms[k]
		i(int64(m.P))
		u(uint64(m.Curg))
		b = append(b, boolByte(m.Spinning))
		i(int64(m.OldP))
	}
	u(uint64(len(s.Gs)))
	for k := range s.Gs {
		g := &s.Gs[k]
		b = append(b, byte(g.Status), boolByte(g.Preempt), boolByte(g.Fresh))
		i(int64(g.M))
		u(uint64(g.Fn))
		i(int64(g.WaitKey))
		i(g.WaitN)
		i(int64(g.Left))
		u(uint64(g.Stack.Gen))
		u(g.Stack.Lo)
		u(g.Stack.Hi)
		u(uint64(g.Stack.Depth()))
		for f := g.Stack.Top; f != nil; f = f.Up {
			u(uint64(f.Fn))
			u(uint64(f.PC))
			i(f.N)
			u(uint64(len(f.Loops)))
			for _, l := range f.Loops {
				i(l)
			}
			// A nil Slots and an all-zero one are the same frame.
			nz := 0
			for k, w := range f.Slots {
				if w != (spec.Word{}) {
					nz = k + 1
				}
			}
			u(uint64(nz))
			for _, w := range f.Slots[:nz] {
				b = append(b, boolByte(w.Ptr))
				u(w.Val)
				if w.Ptr {
					u(uint64(w.Target.Frame))
					u(uint64(w.Target.Slot))
				}
			}
		}
	}
	u(uint64(len(s.Keys)))
	for k := range s.Keys {
		i(s.Keys[k].Permits)
		gids(s.Keys[k].Waiters)
	}
	i(int64(s.Sysmon.Next))
	i(int64(s.Sysmon.Delay))
	u(uint64(s.Sysmon.Idle))
	return b
}

// Fingerprint is a 64-bit FNV-1a hash of the state's key.
func (s *State) Fingerprint() uint64 {
	h := fnv.New64a()
	h.Write(s.AppendKey(nil))
	return h.Sum64()
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}
