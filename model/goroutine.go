package model

import (
	"fmt"
	"strconv"

	"github.com/gmplab/gmplab/spec"
)

// running returns the G that m runs, if m holds a P and runs a G in
// GRunning, with its current instruction.
func (x *stepper) running(m spec.MID) (spec.GID, spec.Instr, string) {
	if int(m) < 0 || int(m) >= len(x.s.Ms) {
		return 0, spec.Instr{}, "no such M"
	}
	mm := x.m(m)
	if mm.Curg == spec.NoG || mm.P == spec.NoP || x.g(mm.Curg).Status != spec.GRunning {
		return 0, spec.Instr{}, "the M runs no G"
	}
	return mm.Curg, x.instr(mm.Curg), ""
}

// instr returns g's current instruction.
func (x *stepper) instr(g spec.GID) spec.Instr {
	f := x.g(g).Stack.Top
	return x.code.Funcs[f.Fn].Instrs[f.PC]
}

// top returns a writable copy of g's innermost frame, installed in place
// of the old one (which other States may share).
func (x *stepper) top(g spec.GID) *Frame {
	gg := x.gw(g)
	n := *gg.Stack.Top
	gg.Stack.Top = &n
	return &n.Frame
}

// advancePC moves g past its current instruction and runs the local
// instructions that follow.
func (x *stepper) advancePC(g spec.GID) {
	x.gw(g).Fresh = false
	x.top(g).PC++
	x.normalize(g)
}

// normalize runs g's local instructions (set, ref, store, check, repeat,
// return from a callee, descend with n = 0) until g rests on one that
// another thread could observe. A failed check or a bad pointer ends the
// run with a fatal error. It also loads Left for a compute.
func (x *stepper) normalize(g spec.GID) {
	for x.s.Fatal == "" {
		gg := x.g(g)
		f := gg.Stack.Top
		depth := f.Depth
		fc := &x.code.Funcs[f.Fn]
		in := fc.Instrs[f.PC]
		switch in.Op {
		case spec.OpSet:
			x.setSlot(g, depth-1, in.Slot, spec.Word{Val: uint64(in.N)})
		case spec.OpRef:
			target := depth - 1 - in.Up
			if target < 0 {
				x.fatal(g, "bad-ref", fmt.Sprintf("%s: ref %d %d:%d: there is no frame %d up (depth %d)", x.pos(in), in.Slot, in.Up, in.To, in.Up, depth))
				return
			}
			tn := gg.Stack.Node(target)
			if slots := x.code.Funcs[tn.Fn].Slots; in.To >= slots {
				x.fatal(g, "bad-ref", fmt.Sprintf("%s: ref %d %d:%d: frame %s has %d slots", x.pos(in), in.Slot, in.Up, in.To, x.code.Funcs[tn.Fn].Name, slots))
				return
			}
			addr := slotAddr(&gg.Stack, tn, in.To)
			x.setSlot(g, depth-1, in.Slot, spec.Word{Ptr: true, Val: addr, Target: spec.Ref{Frame: target, Slot: in.To}})
		case spec.OpStore:
			w := f.Slot(in.Slot)
			fi, si, ok := x.resolve(&gg.Stack, w)
			if !ok {
				x.fatal(g, "bad-pointer", fmt.Sprintf("%s: store through slot %d: %s", x.pos(in), in.Slot, describeBadPtr(w, &gg.Stack)))
				return
			}
			x.setSlot(g, fi, si, spec.Word{Val: uint64(in.N)})
		case spec.OpCheck:
			w := f.Slot(in.Slot)
			what := fmt.Sprintf("slot %d", in.Slot)
			if in.Deref {
				fi, si, ok := x.resolve(&gg.Stack, w)
				if !ok {
					x.fatal(g, "bad-pointer", fmt.Sprintf("%s: check *%d: %s", x.pos(in), in.Slot, describeBadPtr(w, &gg.Stack)))
					return
				}
				w = gg.Stack.Node(fi).Slot(si)
				what = "*" + what
			}
			if w.Ptr || int64(w.Val) != in.N {
				x.fatal(g, "check-failed", fmt.Sprintf("%s: check failed: %s = %s, want %d", x.pos(in), what, describeWord(w), in.N))
				return
			}
		case spec.OpRepeat:
			if in.N == 0 {
				x.top(g).PC = in.Jump
				continue
			}
			t := x.top(g)
			t.Loops = push(t.Loops, in.N)
		case spec.OpEnd:
			t := x.top(g)
			n := len(t.Loops)
			if t.Loops[n-1] > 1 {
				t.Loops = push(t.Loops[:n-1], t.Loops[n-1]-1)
				t.PC = in.Jump + 1
				continue
			}
			t.Loops = t.Loops[:n-1]
		case spec.OpReturn:
			if depth == 1 {
				return // Goexit
			}
			x.gw(g).Stack.Top = f.Up
			continue // the caller's PC is already past its call
		case spec.OpDescend:
			if f.N > 0 {
				return // Call
			}
		case spec.OpCompute:
			if gg.Left == 0 {
				x.gw(g).Left = in.Dur
			}
			return
		default:
			return
		}
		x.top(g).PC++
	}
}

func (x *stepper) pos(in spec.Instr) string {
	f := x.code.Prog.File
	if f == "" {
		f = "<input>"
	}
	return fmt.Sprintf("%s:%d:%d", f, in.Pos.Line, in.Pos.Col)
}

// setSlot writes w into slot s of frame f (counted from the outermost) of
// g, copying the nodes from the top down to that frame.
func (x *stepper) setSlot(g spec.GID, f, s int, w spec.Word) {
	gg := x.gw(g)
	var path []*FrameNode
	n := gg.Stack.Top
	for n.Depth-1 > f {
		path = append(path, n)
		n = n.Up
	}
	c := *n
	if c.Slots == nil {
		c.Slots = make([]spec.Word, x.code.Funcs[c.Fn].Slots)
	} else {
		c.Slots = append([]spec.Word(nil), c.Slots...)
	}
	c.Slots[s] = w
	below := &c
	for i := len(path) - 1; i >= 0; i-- {
		p := *path[i]
		p.Up = below
		below = &p
	}
	gg.Stack.Top = below
}

// slotAddr is the address of slot s of frame node n (frames grow down from
// Hi; n.Used counts n and every frame above it).
func slotAddr(st *Stack, n *FrameNode, s int) uint64 {
	return st.Hi - uint64(n.Used) + uint64(8*s)
}

// resolve finds the frame (counted from the outermost) and slot at the
// address held in w, by address alone (as a real store would), so that a
// pointer a broken copy left behind is caught here.
func (x *stepper) resolve(st *Stack, w spec.Word) (int, int, bool) {
	if !w.Ptr || w.Val < st.Lo || w.Val >= st.Hi || w.Val%8 != 0 {
		return 0, 0, false
	}
	for n := st.Top; n != nil; n = n.Up {
		lo := st.Hi - uint64(n.Used)
		if w.Val >= lo && w.Val < lo+uint64(x.code.Funcs[n.Fn].Frame) {
			return n.Depth - 1, int((w.Val - lo) / 8), true
		}
	}
	return 0, 0, false
}

func describeWord(w spec.Word) string {
	if w.Ptr {
		return fmt.Sprintf("pointer %#x", w.Val)
	}
	return strconv.FormatInt(int64(w.Val), 10)
}

func describeBadPtr(w spec.Word, st *Stack) string {
	if !w.Ptr {
		return fmt.Sprintf("it holds %s, not a pointer", describeWord(w))
	}
	return fmt.Sprintf("pointer %#x is outside the live frames of the stack [%#x, %#x)", w.Val, st.Lo, st.Hi)
}

// fatal ends the run: a fatal error on g.
func (x *stepper) fatal(g spec.GID, reason, msg string) {
	x.s.Fatal = msg
	x.s.FatalG = g
	x.s.FatalReason = reason
	m := x.g(g).M
	p := spec.NoP
	if m != spec.NoM {
		p = x.m(m).P
	}
	x.emit("Fatal", g, p, m, "reason", reason)
}

// newG creates a runnable-to-be G running fn with argument n and a
// StackMin stack holding fn's frame (doubled until the frame and the
// guard fit, as fn's first prologue would grow it).
//
// Reference: proc.go:5313-5427 newproc1, malg(stackMin).
func (x *stepper) newG(fn int, n int64) spec.GID {
	id := spec.GID(len(x.s.Gs) + 1)
	size, _ := x.cfg.InitialStack(x.code.Funcs[fn].Frame) // callers check it fits
	lo, hi := spec.StackRegion(id, 0, size)
	g := G{
		Status:  spec.GRunnable,
		M:       spec.NoM,
		Fn:      fn,
		WaitKey: -1,
		Stack:   Stack{Lo: lo, Hi: hi, Top: pushFrame(nil, Frame{Fn: fn, N: n}, x.code)},
	}
	x.s.Gs = push(x.s.Gs, g)
	x.ownGs = true
	return id
}

// spawn: newproc. The new G goes to runnext (kicking the old one), then
// wakep.
//
// Reference: proc.go:5295-5308 newproc, 7478-7520 runqput(pp, newg, true).
func (x *stepper) spawn(m spec.MID) string {
	g, in, why := x.running(m)
	if why != "" {
		return why
	}
	if in.Op != spec.OpSpawn {
		return "the G's next statement is not spawn"
	}
	f := &x.code.Funcs[in.Fn]
	if _, ok := x.cfg.InitialStack(f.Frame); !ok {
		x.fatal(g, "stack-overflow", x.cfg.FirstFrameOverflow(f.Name, f.Frame))
		return ""
	}
	ng := x.newG(in.Fn, in.N)
	p := x.m(m).P
	if x.trace {
		x.events[0].Args = append(x.events[0].Args, spec.Arg{Key: "new", Val: ng.String()})
	}
	x.runqput(p, ng, true, m)
	x.wakep(m)
	x.advancePC(g)
	return ""
}

// compute: the G finishes its compute statement. In timed mode only once
// Advance has used up its duration.
func (x *stepper) compute(m spec.MID) string {
	g, in, why := x.running(m)
	if why != "" {
		return why
	}
	if in.Op != spec.OpCompute {
		return "the G's next statement is not compute"
	}
	gg := x.g(g)
	if gg.Preempt && x.cfg.AsyncPreempt {
		return "a preemption request is pending at an async safe point"
	}
	if x.s.Env.Timed && gg.Left > 0 {
		return "the compute has time left"
	}
	x.gw(g).Left = 0
	x.advancePC(g)
	return ""
}

// gosched: the G yields (Gosched) or honours a preemption request
// (Preempt); either way it goes to the global tail and m schedules.
//
// Reference: proc.go:4307-4346 goschedImpl; gopreempt_m at a call
// (stack.go:1151-1175) or an async safe point (preempt.go:317-344).
func (x *stepper) gosched(m spec.MID, preempted bool) string {
	g, in, why := x.running(m)
	if why != "" {
		return why
	}
	gg := x.g(g)
	if preempted {
		if !gg.Preempt {
			return "no preemption request is pending"
		}
		if !x.atSafePoint(g, in) {
			return "the G is not at a safe point"
		}
	} else if in.Op != spec.OpGosched {
		return "the G's next statement is not gosched"
	}
	gw := x.gw(g)
	gw.Status = spec.GRunnable
	gw.M = spec.NoM
	gw.Preempt = false
	x.mw(m).Curg = spec.NoG
	x.s.Global = push(x.s.Global, g)
	if !preempted {
		x.top(g).PC++ // normalized when it runs again
	}
	x.wakep(m)
	return ""
}

// atSafePoint reports whether a pending preemption request stops g at its
// next instruction: a call's prologue, or (async preemption) a compute.
func (x *stepper) atSafePoint(g spec.GID, in spec.Instr) bool {
	switch in.Op {
	case spec.OpCall, spec.OpDescend:
		return true
	case spec.OpCompute:
		return x.cfg.AsyncPreempt
	}
	return false
}

// park: the G takes WaitN permits from its key if they are there and goes
// on; otherwise it parks on the key and m schedules.
//
// Reference: proc.go:4275 park_m; a park whose condition already holds
// does not block (as gopark's unlockf cancelling it, 4286-4296).
func (x *stepper) park(m spec.MID) string {
	g, in, why := x.running(m)
	if why != "" {
		return why
	}
	if in.Op != spec.OpPark {
		return "the G's next statement is not park"
	}
	if k := x.s.Keys[in.Key]; k.Permits >= in.N {
		x.kw(in.Key).Permits -= in.N
		x.advancePC(g)
		return ""
	}
	gw := x.gw(g)
	gw.Status = spec.GWaiting
	gw.M = spec.NoM
	gw.WaitKey = in.Key
	gw.WaitN = in.N
	x.mw(m).Curg = spec.NoG
	x.kw(in.Key).Waiters = push(x.s.Keys[in.Key].Waiters, g)
	x.top(g).PC++
	return ""
}

// readyCandidates lists the waiters on key k that one more permit would
// satisfy, in the order they parked.
func (s *State) readyCandidates(k int) []spec.GID {
	key := s.Keys[k]
	var out []spec.GID
	for _, w := range key.Waiters {
		if s.Gs[w-1].WaitN <= key.Permits+1 {
			out = append(out, w)
		}
	}
	return out
}

// ready: the G adds a permit to its key; if a.Waiter is a waiter the
// permits now satisfy, it takes them and goes to this P's runnext.
//
// Reference: proc.go:1120-1140 ready (runqput next=true, wakep).
func (x *stepper) ready(a Ready) string {
	g, in, why := x.running(a.M)
	if why != "" {
		return why
	}
	if in.Op != spec.OpReady {
		return "the G's next statement is not ready"
	}
	cands := x.s.readyCandidates(in.Key)
	if a.Waiter == spec.NoG {
		if len(cands) > 0 {
			return "a waiter is satisfied: name the one to wake"
		}
		x.kw(in.Key).Permits++
		x.advancePC(g)
		return ""
	}
	i := -1
	for j, w := range x.s.Keys[in.Key].Waiters {
		if w == a.Waiter {
			i = j
		}
	}
	if i < 0 || x.g(a.Waiter).WaitN > x.s.Keys[in.Key].Permits+1 {
		return fmt.Sprintf("%v is not a waiter on this key that one more permit satisfies", a.Waiter)
	}
	k := x.kw(in.Key)
	k.Permits += 1 - x.g(a.Waiter).WaitN
	k.Waiters = remove(k.Waiters, i)
	w := x.gw(a.Waiter)
	w.Status = spec.GRunnable
	w.WaitKey = -1
	w.WaitN = 0
	p := x.m(a.M).P
	x.emit("Wake", a.Waiter, p, a.M, "by", g.String())
	x.runqput(p, a.Waiter, true, a.M)
	x.wakep(a.M)
	x.advancePC(g)
	return ""
}

// goexit: the G ends; when it is main, the run ends.
//
// Reference: proc.go:4507 goexit0 (_Grunning -> _Gdead); main returning
// exits the program.
func (x *stepper) goexit(m spec.MID) string {
	g, in, why := x.running(m)
	if why != "" {
		return why
	}
	if !(in.Op == spec.OpExit || in.Op == spec.OpReturn && x.g(g).Stack.Depth() == 1) {
		return "the G's next statement is neither exit nor its last return"
	}
	gw := x.gw(g)
	gw.Status = spec.GDead
	gw.M = spec.NoM
	gw.Left = 0
	gw.Stack = Stack{}
	x.mw(m).Curg = spec.NoG
	if g == 1 {
		x.s.Exited = true
		x.emit("Exit", g, x.m(m).P, m)
	}
	return ""
}

// enterSyscall: the G enters a syscall; in go1.26 its P stays wired to m.
//
// Reference: proc.go:4627-4716 reentersyscall.
func (x *stepper) enterSyscall(m spec.MID) string {
	g, in, why := x.running(m)
	if why != "" {
		return why
	}
	if in.Op != spec.OpSyscall {
		return "the G's next statement is not syscall"
	}
	gw := x.gw(g)
	gw.Status = spec.GSyscall
	gw.Left = in.Dur
	x.mw(m).OldP = x.m(m).P
	return ""
}

// exitSyscall: the G's syscall returns. Fast path: m still holds its P.
// Else it takes back its old P if another M blocked in a syscall holds it,
// else an idle P; with a P the G runs on in the same slice. With none, the
// G goes to the global tail and m stops.
//
// Reference: proc.go:4883-5025 exitsyscall, 5033-5059 exitsyscallTryGetP,
// 5067-5116 exitsyscallNoP.
func (x *stepper) exitSyscall(m spec.MID) string {
	if int(m) < 0 || int(m) >= len(x.s.Ms) {
		return "no such M"
	}
	g := x.m(m).Curg
	if g == spec.NoG || x.g(g).Status != spec.GSyscall {
		return "the M is not blocked in a syscall"
	}
	if x.s.Env.Timed && x.g(g).Left > 0 {
		return "the syscall has time left"
	}
	oldp := x.m(m).OldP
	x.mw(m).OldP = spec.NoP
	x.gw(g).Left = 0
	p := x.m(m).P
	path := "fast"
	if p == spec.NoP {
		path = "idle-p"
		if oldp != spec.NoP && int(oldp) < x.s.Procs && x.p(oldp).Status == spec.PRunning {
			if holder := x.p(oldp).M; holder != spec.NoM && holder != m {
				if hg := x.m(holder).Curg; hg != spec.NoG && x.g(hg).Status == spec.GSyscall {
					x.mw(holder).P = spec.NoP
					x.pw(oldp).Syscalltick++
					x.emit("Retake", hg, oldp, m, "from", holder.String())
					p = oldp
					path = "old-p"
				}
			}
		}
		if p == spec.NoP && len(x.s.IdleP) > 0 {
			p = x.pidleget()
		}
		if p == spec.NoP {
			gw := x.gw(g)
			gw.Status = spec.GRunnable
			gw.M = spec.NoM
			x.top(g).PC++
			x.s.Global = push(x.s.Global, g)
			x.mw(m).Curg = spec.NoG
			if x.trace {
				x.events[0].Args = append(x.events[0].Args, spec.Arg{Key: "path", Val: "no-p"})
			}
			x.stopm(m)
			return ""
		}
		x.acquirep(m, p)
	}
	if x.trace {
		x.events[0].Args = append(x.events[0].Args, spec.Arg{Key: "path", Val: path})
		x.events[0].P = p
	}
	x.pw(p).Syscalltick++
	x.gw(g).Status = spec.GRunning
	x.advancePC(g)
	return ""
}

// gc: a garbage collection under a stop-the-world: the world stops as for
// a GOMAXPROCS change (stopTheWorld: other running Gs go to their own P's
// runnext), every stack that is safe to shrink and uses less than a
// quarter of its size is halved, and the world starts again (procresize
// at the same count, wakep).
//
// Reference: stack.go:1286-1335 shrinkstack, called from scanstack
// (mgcmark.go:944-950). Stacks of Gs in syscalls are not shrunk
// (isShrinkStackSafe).
func (x *stepper) gc(m spec.MID) string {
	g, in, why := x.running(m)
	if why != "" {
		return why
	}
	if in.Op != spec.OpGC {
		return "the G's next statement is not gc"
	}
	oldm := x.stopTheWorld(m, x.s.Procs)
	for i := range x.s.Gs {
		id := spec.GID(i + 1)
		gg := x.g(id)
		if gg.Status == spec.GDead || gg.Status == spec.GSyscall {
			continue
		}
		x.shrinkstack(id, m)
	}
	x.procresize(m, x.s.Procs, oldm)
	x.wakep(m) // start the world
	x.advancePC(g)
	return ""
}
