package model

import (
	"fmt"
	"strings"

	"github.com/gmplab/gmplab/spec"
)

// Describe renders s as deterministic text, one line per part (the form
// golden files diff):
//
//	sched procs=2 global=[g5 g6] idlep=[p1] idlem=[] nmspinning=0 needspinning=false
//	p0 running m=m0 runnext=g4 runq=[g2 g3] schedtick=5 syscalltick=0
//	m0 p=p0 curg=g1
//	g1 running m=m0 main:3 stack=2048 frames=1
//	key done permits=0 waiters=[g1]
func Describe(s State) string {
	var b strings.Builder
	fmt.Fprintf(&b, "sched procs=%d global=%s idlep=%s idlem=%s nmspinning=%d needspinning=%t",
		s.Procs, ids(s.Global), ids(reversed(s.IdleP)), ids(reversed(s.IdleM)), s.NMSpinning, s.NeedSpinning)
	if s.Env.Timed {
		fmt.Fprintf(&b, " now=%v", s.Now)
	}
	b.WriteByte('\n')
	for i := range s.Ps {
		b.WriteString(DescribeP(s, spec.PID(i)))
		b.WriteByte('\n')
	}
	for i := range s.Ms {
		b.WriteString(DescribeM(s, spec.MID(i)))
		b.WriteByte('\n')
	}
	for i := range s.Gs {
		b.WriteString(DescribeG(s, spec.GID(i+1)))
		b.WriteByte('\n')
	}
	for i, k := range s.Keys {
		fmt.Fprintf(&b, "key %s permits=%d waiters=%s\n", s.Env.Code.Keys[i], k.Permits, ids(k.Waiters))
	}
	if s.Exited {
		b.WriteString("exited\n")
	}
	if s.Fatal != "" {
		fmt.Fprintf(&b, "fatal %v: %s\n", s.FatalG, s.Fatal)
	}
	return b.String()
}

// DescribeP renders one P.
func DescribeP(s State, p spec.PID) string {
	pp := &s.Ps[p]
	return fmt.Sprintf("%v %v m=%v runnext=%v runq=%s schedtick=%d syscalltick=%d",
		p, pp.Status, pp.M, pp.Runnext, ids(pp.Runq), pp.Schedtick, pp.Syscalltick)
}

// DescribeM renders one M.
func DescribeM(s State, m spec.MID) string {
	mm := &s.Ms[m]
	out := fmt.Sprintf("%v p=%v curg=%v", m, mm.P, mm.Curg)
	if mm.Spinning {
		out += " spinning"
	}
	if mm.OldP != spec.NoP {
		out += fmt.Sprintf(" oldp=%v", mm.OldP)
	}
	return out
}

// DescribeG renders one G: status, M, where it is, its stack.
func DescribeG(s State, g spec.GID) string {
	gg := &s.Gs[g-1]
	code := s.Env.Code
	out := fmt.Sprintf("%v %v", g, gg.Status)
	if gg.M != spec.NoM {
		out += fmt.Sprintf(" m=%v", gg.M)
	}
	if gg.Status == spec.GDead {
		return out + " " + code.Funcs[gg.Fn].Name
	}
	f := gg.Stack.Top
	in := code.Funcs[f.Fn].Instrs[f.PC]
	out += fmt.Sprintf(" %s:%d(%v)", code.Funcs[f.Fn].Name, in.Pos.Line, in.Op)
	if gg.Preempt {
		out += " preempt"
	}
	if gg.Status == spec.GWaiting {
		out += fmt.Sprintf(" wait=%s/%d", code.Keys[gg.WaitKey], gg.WaitN)
	}
	if s.Env.Timed && gg.Left > 0 {
		out += fmt.Sprintf(" left=%v", gg.Left)
	}
	out += fmt.Sprintf(" stack=%d gen=%d frames=%d used=%d", gg.Stack.Size(), gg.Stack.Gen, gg.Stack.Depth(), gg.Stack.used())
	return out
}

// ids renders a queue; a run of three or more consecutive IDs is written
// first..last (g2..g257), so that a full ring stays readable.
func ids[T interface {
	fmt.Stringer
	~int32
}](q []T) string {
	var parts []string
	for i := 0; i < len(q); {
		j := i
		for j+1 < len(q) && q[j+1] == q[j]+1 {
			j++
		}
		if j-i >= 2 {
			parts = append(parts, q[i].String()+".."+q[j].String())
		} else {
			for k := i; k <= j; k++ {
				parts = append(parts, q[k].String())
			}
		}
		i = j + 1
	}
	return "[" + strings.Join(parts, " ") + "]"
}
