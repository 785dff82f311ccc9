package model

import (
	"fmt"
	"strconv"

	"github.com/gmplab/gmplab/spec"
)

// call: the G calls a function. The prologue check comes first: a pending
// preemption request stops it (Preempt is enabled instead); a frame that
// does not fit above Lo + StackGuard grows the stack by doubling and
// copying; growing past StackMax is a fatal "stack overflow".
//
// Reference: stack.go:1055-1222 newstack (newsize doubles until the frame
// and the guard fit, 1177-1191; overflow is a throw, 1200-1208).
func (x *stepper) call(m spec.MID) string {
	g, in, why := x.running(m)
	if why != "" {
		return why
	}
	var n int64
	switch in.Op {
	case spec.OpCall:
		n = in.N
	case spec.OpDescend:
		n = x.g(g).Stack.Top.N - 1
	default:
		return "the G's next statement is not a call"
	}
	if x.g(g).Preempt {
		return "a preemption request is pending: the prologue preempts"
	}
	frame := x.code.Funcs[in.Fn].Frame
	st := &x.g(g).Stack
	used := st.used()
	sp := st.Hi - uint64(used)
	if int64(sp-st.Lo)-frame < x.cfg.StackGuard {
		size := st.Size() * 2
		for size-used < frame+x.cfg.StackGuard {
			size *= 2
		}
		if size > x.cfg.StackMax {
			x.fatal(g, "stack-overflow", fmt.Sprintf("runtime: goroutine stack exceeds %d-byte limit; fatal error: stack overflow (%v calling %s, stack %d bytes)", x.cfg.StackMax, g, x.code.Funcs[in.Fn].Name, st.Size()))
			return ""
		}
		x.copystack(g, size, "Grow", m)
	}
	x.top(g).PC++
	gw := x.gw(g)
	gw.Fresh = false
	gw.Stack.Top = pushFrame(gw.Stack.Top, Frame{Fn: in.Fn, N: n}, x.code)
	x.normalize(g)
	return ""
}

// copystack moves g's stack to a new one of newsize bytes at the next
// generation's address window, keeping the used part top-aligned and
// moving every pointer into the old stack by delta = new.hi - old.hi.
//
// Reference: stack.go:929-1032 copystack, 610-632 adjustpointer.
func (x *stepper) copystack(g spec.GID, newsize int64, kind string, m spec.MID) {
	gw := x.gw(g)
	old := gw.Stack
	gen := old.Gen + 1
	lo, hi := spec.StackRegion(g, gen, newsize)
	delta := hi - old.Hi
	var top *FrameNode
	for _, n := range old.Frames() {
		f := n.Frame
		if f.Slots != nil && !x.mut.Has(MutCopyNoAdjust) {
			f.Slots = append([]spec.Word(nil), f.Slots...)
			for j, w := range f.Slots {
				if w.Ptr && w.Val >= old.Lo && w.Val < old.Hi {
					f.Slots[j].Val = w.Val + delta
				}
			}
		}
		top = pushFrame(top, f, x.code)
	}
	gw.Stack = Stack{Gen: gen, Lo: lo, Hi: hi, Top: top}
	p := spec.NoP
	if m != spec.NoM {
		p = x.m(m).P
	}
	x.emit(kind, g, p, m, "from", strconv.FormatInt(old.Size(), 10), "to", strconv.FormatInt(newsize, 10))
}

// shrinkstack halves g's stack if used + StackShrinkReserve < size/4 and
// the half is at least StackMin.
//
// Reference: stack.go:1286-1335 shrinkstack.
func (x *stepper) shrinkstack(g spec.GID, m spec.MID) {
	st := &x.g(g).Stack
	size := st.Size()
	newsize := size / 2
	if newsize < x.cfg.StackMin {
		return
	}
	if st.used()+x.cfg.StackShrinkReserve >= size/4 {
		return
	}
	x.copystack(g, newsize, "Shrink", m)
}
