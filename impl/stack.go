package impl

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"sort"
	"strconv"
	"sync"

	"github.com/gmplab/gmplab/spec"
)

// Goroutine stacks.
//
// A G's stack is real memory: mem holds the bytes of [lo, hi), where lo
// and hi are virtual addresses laid out by spec.StackRegion (generation
// gen of the G's stack). Frames grow down from hi exactly as in the model
// and in spec.Stack: frame 0 is the outermost, directly below hi, and word
// i of frame f is the 8 bytes at hi - used(f) + 8*i, where used(f) is the
// size of frame f and of every frame above it. Words are little-endian;
// a pointer is stored as the virtual address it points to.
//
// Beside the bytes, each frame keeps what the compiler and the unwinder
// give the runtime: a pointer map (which slots hold pointers, the
// stackmap bitvector that adjustpointers walks) and the interpreter state
// of the activation (function, program counter, argument n, repeat
// counters), so that any M can resume the G. The ghost target of each
// pointer (the slot a ref made it point at) is kept beside the bytes too;
// it is never used to find a pointer's target, only projected (spec.Word's
// Target) so that spec.StackPointersValid can check that the address in
// the bytes still is that slot's address.
//
// Growth (push) and shrinking (shrink) move the stack with copystack: new
// memory at the next generation's address window, the used part copied
// top-aligned, and every pointer word whose value lies in the old stack
// moved by delta = new.hi - old.hi. A pointer a broken copy left behind
// is caught: it resolves against no live frame (loadAt, storeAt: a
// bad-pointer fault), and the old memory, poisoned and returned to the
// stack pool, no longer holds the values.
//
// Ownership: a stack belongs to its G. Every method is called only by the
// M that runs the G, or by the garbage collector with the world stopped
// (shrink); no two threads ever use a stack at the same time, so there are
// no atomics here. Handing a G from one M to another goes through the run
// queues, whose atomics order the stack's accesses.
//
// Reference: stack.go:929-1032 copystack, 610-698 adjustpointer(s),
// 1055-1222 newstack, 1286-1335 shrinkstack.

// stackPoisonOld is the byte a stack is filled with when it is freed, by
// a copy or by stackfree (stack.go:1028-1030: fillstack(old, 0xfc) under
// stackPoisonCopy, which the runtime leaves off by default; here it is
// always on).
const stackPoisonOld = 0xfc

// Stack memory is recycled, as the runtime's stack pools recycle it
// (stack.go:146-556: per-P stackcache in front of the global stackpool and
// stackLarge): a stack freed by a copy or by stackfree goes to the pool of
// its size (a sync.Pool, per-P caches in front of a shared one) and the
// next stackalloc of that size takes it back. A recycled stack is not
// zeroed (stackalloc does not zero either): it holds the poison it was
// freed with, and push zeroes each frame.
var stackPools [64]sync.Pool // index: log2 of the size

// stackMem is a block of stack memory (one allocation, pooled as is).
type stackMem struct{ b []byte }

// stackalloc returns size bytes of stack memory, from the pool if one is
// free. Can be executed by any M.
func stackalloc(size int64) *stackMem {
	if size > 0 && size&(size-1) == 0 {
		if m, ok := stackPools[bits.TrailingZeros64(uint64(size))].Get().(*stackMem); ok {
			return m
		}
	}
	return &stackMem{b: make([]byte, size)}
}

// stackfreeMem returns m to its pool, first poisoning it with
// stackPoisonOld if poison is set (after a copy, so that a pointer left
// into the old stack reads garbage). The caller must not use m again.
// Can be executed by any M.
func stackfreeMem(m *stackMem, poison bool) {
	b := m.b
	if len(b) == 0 {
		return
	}
	if poison {
		// Fill by doubling copies (memmove speed, not a byte loop).
		b[0] = stackPoisonOld
		for n := 1; n < len(b); n *= 2 {
			copy(b[n:], b[:n])
		}
	}
	if n := int64(len(b)); n&(n-1) == 0 {
		stackPools[bits.TrailingZeros64(uint64(n))].Put(m)
	}
}

// stackMutant is a set of deliberate bugs in the stack code, for the
// mutation tests. The zero value is the correct code.
type stackMutant uint32

const (
	// stackMutCopyNoAdjust: copystack copies the bytes but does not adjust
	// the pointers into the old stack (adjustpointers, stack.go:652-698).
	// A pointer then keeps its old address, which resolves against no live
	// frame of the new stack: the next store or deref through it is a
	// bad-pointer fatal error, and spec.StackPointersValid fails.
	stackMutCopyNoAdjust stackMutant = 1 << iota
)

// stackMutants is the mutant set newStack gives every new stack. It is off
// (zero) by default; a mutation test sets it before it starts a run and
// clears it after, never while Gs are being created. A single stack's set
// is its mut field.
var stackMutants stackMutant

// Fault reasons of stack operations (StackError.Reason); the same words as
// the model's State.FatalReason.
const (
	stackFaultOverflow    = "stack-overflow"
	stackFaultBadPointer  = "bad-pointer"
	stackFaultBadRef      = "bad-ref"
	stackFaultCheckFailed = "check-failed"
)

// StackError is a fatal error of a G's stack or of a statement on it: a
// stack overflow, a store or deref through a bad pointer, a ref to a frame
// or slot that does not exist, a failed check. It ends the run of the
// workload; it is a value, never a panic.
//
// Msg is the model's message for the same fault. For a stack overflow it
// is the whole message; for the statement faults it is what follows the
// model's "file:line:col: " position, which the interpreter prefixes.
type StackError struct {
	Reason string // stack-overflow, bad-pointer, bad-ref or check-failed
	Msg    string
}

func (e *StackError) Error() string { return e.Msg }

// frame is one activation record on a stack.
type frame struct {
	fn   int   // the function (index into spec.Code.Funcs)
	size int64 // bytes, a multiple of 8
	used int64 // bytes of this frame and of every frame above it: slot 0 is at hi - used

	// Interpreter state, so that any M can resume the G.
	pc    int     // index of the next instruction of fn
	n     int64   // the argument n (call F N, descend)
	loops []int64 // remaining counts of the repeat blocks it is inside, innermost last

	// ptrs is the frame's pointer map: bit i is set when slot i holds a
	// pointer. Empty (len 0) while no slot has ever held one.
	ptrs []uint64
	// ghosts are the ghost targets of the pointer slots, sorted by slot.
	ghosts []ptrGhost
}

// ptrGhost records the slot a pointer was made to point at.
type ptrGhost struct {
	slot int
	ref  spec.Ref
}

func (f *frame) slots() int { return int(f.size / 8) }

func (f *frame) isPtr(i int) bool {
	w := i / 64
	return w < len(f.ptrs) && f.ptrs[w]&(1<<(i%64)) != 0
}

// ghostIndex returns where slot i's ghost is or would go.
func (f *frame) ghostIndex(i int) (int, bool) {
	k := sort.Search(len(f.ghosts), func(k int) bool { return f.ghosts[k].slot >= i })
	return k, k < len(f.ghosts) && f.ghosts[k].slot == i
}

// markPtr sets slot i's pointer bit and ghost target.
func (f *frame) markPtr(i int, target spec.Ref) {
	if len(f.ptrs) == 0 {
		n := (f.slots() + 63) / 64
		if cap(f.ptrs) >= n {
			f.ptrs = f.ptrs[:n]
			clear(f.ptrs)
		} else {
			f.ptrs = make([]uint64, n)
		}
	}
	f.ptrs[i/64] |= 1 << (i % 64)
	k, ok := f.ghostIndex(i)
	if ok {
		f.ghosts[k].ref = target
		return
	}
	f.ghosts = append(f.ghosts, ptrGhost{})
	copy(f.ghosts[k+1:], f.ghosts[k:])
	f.ghosts[k] = ptrGhost{slot: i, ref: target}
}

// clearPtr clears slot i's pointer bit and ghost target.
func (f *frame) clearPtr(i int) {
	if !f.isPtr(i) {
		return
	}
	f.ptrs[i/64] &^= 1 << (i % 64)
	if k, ok := f.ghostIndex(i); ok {
		f.ghosts = append(f.ghosts[:k], f.ghosts[k+1:]...)
	}
}

// stack is a G's stack (see the comment at the top of this file).
type stack struct {
	gid    spec.GID
	gen    uint32    // incremented by every copy; selects the address window
	lo, hi uint64    // virtual bounds, spec.StackRegion(gid, gen, hi-lo)
	buf    *stackMem // the memory; nil once freed
	mem    []byte    // buf.b: len hi-lo; mem[a-lo] is the byte at address a

	// frames[0] is the outermost frame; len(frames) is the depth. Popped
	// records stay in the backing array and are reused by the next push.
	frames []frame

	names func(fn int) string // function names, for messages and project
	mut   stackMutant         // deliberate bugs (mutation tests); zero = correct
}

// codeNames returns a name lookup for newStack over code's functions.
func codeNames(code *spec.Code) func(int) string {
	return func(fn int) string { return code.Funcs[fn].Name }
}

// newStack returns the stack of a new G gid that runs function fn (frame
// of frameSize bytes) with argument n: StackMin bytes, doubled until the
// frame and the guard fit, as fn's first prologue would grow it, at
// generation 0 of gid's address range. names gives function names for
// messages and for project (nil: "fn<index>").
//
// The size is spec.Config.InitialStack's; the caller has checked that it
// fits StackMax (a first frame that does not is a fatal stack overflow,
// which the scheduler reports without creating the G).
//
// Reference: proc.go:5313-5427 newproc1, malg(stackMin).
//
// Called by the M creating the G, before the G is published.
func newStack(gid spec.GID, fn int, frameSize, n int64, cfg *spec.Config, names func(int) string) stack {
	var s stack
	s.init(gid, fn, frameSize, n, cfg, names)
	return s
}

// init is newStack in place, for a recycled G (gfget): it reuses the frame
// records (and their pointer maps) of the stack's previous life, and its
// memory if stackfreeKeep kept it and it has the size needed. The stack
// must be empty (new, or released by stackfree or stackfreeKeep).
//
// Called by the M creating the G, before the G is published.
func (s *stack) init(gid spec.GID, fn int, frameSize, n int64, cfg *spec.Config, names func(int) string) {
	if len(s.frames) > 0 {
		panic("impl: stack.init of a stack in use")
	}
	// Callers check that the size fits StackMax (spec.Config.InitialStack)
	// and report a fatal stack overflow otherwise.
	size, _ := cfg.InitialStack(frameSize)
	lo, hi := spec.StackRegion(gid, 0, size)
	buf := s.buf
	if buf == nil || int64(len(buf.b)) != size {
		if buf != nil {
			stackfreeMem(buf, false)
		}
		buf = stackalloc(size)
	}
	*s = stack{gid: gid, lo: lo, hi: hi, buf: buf, mem: buf.b, frames: s.frames[:0], names: names, mut: stackMutants}
	s.pushFrame(fn, frameSize, n)
}

// stackfree releases the stack's memory when its G dies (gfput's
// stackfree); the stack is empty afterwards, its projection zero, and
// init may reuse it. The memory is not poisoned: no pointer outlives its
// G (the runtime poisons freed stacks only under stackPoisonCopy, a debug
// switch); init zeroes each frame as it pushes it.
//
// Called only by the M on which the G exits.
func (s *stack) stackfree() {
	if s.buf != nil {
		stackfreeMem(s.buf, false)
	}
	*s = stack{frames: s.frames[:0]}
}

// stackfreeKeep is stackfree for a G whose struct goes to a free list
// (gfput): memory of the starting size startSize stays with it for its
// next life, other sizes go back to the pool.
//
// Called only by the M on which the G exits.
func (s *stack) stackfreeKeep(startSize int64) {
	buf := s.buf
	if buf != nil && int64(len(buf.b)) != startSize {
		stackfreeMem(buf, false)
		buf = nil
	}
	*s = stack{buf: buf, frames: s.frames[:0]}
}

func (s *stack) name(fn int) string {
	if s.names == nil {
		return "fn" + strconv.Itoa(fn)
	}
	return s.names(fn)
}

// size is hi - lo.
func (s *stack) size() int64 { return int64(s.hi - s.lo) }

// used is the bytes of all frames: hi - sp.
func (s *stack) used() int64 {
	if len(s.frames) == 0 {
		return 0
	}
	return s.frames[len(s.frames)-1].used
}

// sp is the stack pointer: hi minus the frame sizes.
func (s *stack) sp() uint64 { return s.hi - uint64(s.used()) }

// depth is the number of frames.
func (s *stack) depth() int { return len(s.frames) }

// top is the innermost frame. Called only by the M running the G.
func (s *stack) top() *frame { return &s.frames[len(s.frames)-1] }

// slotAddr is the address of slot i of frame f.
func (s *stack) slotAddr(f, i int) uint64 {
	return s.hi - uint64(s.frames[f].used) + uint64(8*i)
}

// off is the index in mem of slot i of frame f.
func (s *stack) off(f, i int) int64 {
	return s.size() - s.frames[f].used + int64(8*i)
}

// push calls function fn, whose frame is frameSize bytes, with argument n.
// The prologue check comes first: if SP - frameSize < lo + StackGuard,
// the stack grows (newstack): the size doubles until size - used >=
// frameSize + StackGuard, and the stack is copied (copystack). A size past
// StackMax is a fatal stack overflow: push returns a *StackError and
// leaves the stack as it was. Then the frame is pushed, zeroed. grew
// reports whether the stack was copied.
//
// A pending preemption request, which the real prologue also checks, is
// the caller's business (the scheduler looks at it before calling push).
//
// Reference: stack.go:1055-1222 newstack (1177-1191 the doubling,
// 1200-1208 the overflow throw).
//
// Called only by the M running the G.
func (s *stack) push(fn int, frameSize, n int64, cfg *spec.Config) (grew bool, fatal error) {
	used := s.used()
	sp := s.hi - uint64(used)
	if int64(sp-s.lo)-frameSize < cfg.StackGuard {
		size := s.size() * 2
		// The model doubles without the StackMax bound; the bound only
		// stops the loop early once the result is an overflow anyway.
		for size-used < frameSize+cfg.StackGuard && size <= cfg.StackMax {
			size *= 2
		}
		if size > cfg.StackMax {
			return false, &StackError{Reason: stackFaultOverflow, Msg: fmt.Sprintf(
				"runtime: goroutine stack exceeds %d-byte limit; fatal error: stack overflow (%v calling %s, stack %d bytes)",
				cfg.StackMax, s.gid, s.name(fn), s.size())}
		}
		s.copystack(size)
		grew = true
	}
	s.pushFrame(fn, frameSize, n)
	return grew, nil
}

// pushFrame pushes a zeroed frame without the prologue check; the caller
// made sure it fits.
func (s *stack) pushFrame(fn int, frameSize, n int64) {
	if frameSize < 0 || frameSize%8 != 0 {
		panic(fmt.Sprintf("impl: frame of %d bytes", frameSize))
	}
	used := s.used() + frameSize
	if used > s.size() {
		panic(fmt.Sprintf("impl: frame of %d bytes does not fit a %d-byte stack using %d", frameSize, s.size(), s.used()))
	}
	d := len(s.frames)
	if d < cap(s.frames) {
		s.frames = s.frames[:d+1]
	} else {
		s.frames = append(s.frames, frame{})
	}
	f := &s.frames[d]
	*f = frame{fn: fn, size: frameSize, used: used, n: n,
		loops: f.loops[:0], ptrs: f.ptrs[:0], ghosts: f.ghosts[:0]}
	clear(s.mem[s.size()-used : s.size()-used+frameSize])
}

// pop returns from the innermost frame. Its bytes stay below SP, as on a
// real stack; the next push zeroes them.
//
// Called only by the M running the G.
func (s *stack) pop() {
	s.frames = s.frames[:len(s.frames)-1]
}

// copystack moves the stack to new memory of newsize bytes (a power of
// two, at least the used part) at the next generation's address window.
// The used part is copied top-aligned: the byte at old.hi - k moves to
// new.hi - k. Then every frame's pointer map is walked and each pointer
// word whose value p lies in the old stack, old.lo <= p < old.hi, is
// rewritten to p + delta with delta = new.hi - old.hi (uint64 arithmetic:
// it wraps when the new window is below the old one). Other words and
// pointers outside the old stack are left alone. Last the old memory is
// poisoned with stackPoisonOld, so that anything still reading it reads
// garbage, and freed to its pool.
//
// Reference: stack.go:929-1032 copystack, 610-632 adjustpointer,
// 652-698 adjustpointers, 1028-1030 the poisoning.
//
// Called only by the M running the G (growth), or by the GC with the world
// stopped (shrink).
func (s *stack) copystack(newsize int64) {
	used := s.used()
	if newsize < used {
		panic(fmt.Sprintf("impl: copystack to %d bytes with %d used", newsize, used))
	}
	oldlo, oldhi, old, oldbuf := s.lo, s.hi, s.mem, s.buf
	gen := s.gen + 1
	lo, hi := spec.StackRegion(s.gid, gen, newsize)
	buf := stackalloc(newsize)
	mem := buf.b
	copy(mem[newsize-used:], old[int64(len(old))-used:])
	s.lo, s.hi, s.buf, s.mem, s.gen = lo, hi, buf, mem, gen

	if s.mut&stackMutCopyNoAdjust == 0 {
		delta := hi - oldhi
		for fi := range s.frames {
			f := &s.frames[fi]
			base := newsize - f.used
			for w, b := range f.ptrs {
				for b != 0 {
					i := w*64 + bits.TrailingZeros64(b)
					b &= b - 1
					word := mem[base+int64(8*i):][:8]
					p := binary.LittleEndian.Uint64(word)
					if oldlo <= p && p < oldhi {
						binary.LittleEndian.PutUint64(word, p+delta)
					}
				}
			}
		}
	}

	stackfreeMem(oldbuf, true)
}

// shrink halves the stack if its used part plus StackShrinkReserve is
// below a quarter of its size and the half is at least StackMin; it
// reports whether it did. One halving per call.
//
// Whether shrinking is safe (not in a syscall, isShrinkStackSafe) is the
// caller's business.
//
// Reference: stack.go:1286-1335 shrinkstack.
//
// Called by the GC with the world stopped, or by the M running the G at a
// synchronous safe point.
func (s *stack) shrink(cfg *spec.Config) bool {
	size := s.size()
	newsize := size / 2
	if newsize < cfg.StackMin {
		return false
	}
	if s.used()+cfg.StackShrinkReserve >= size/4 {
		return false
	}
	s.copystack(newsize)
	return true
}

// setWord stores the plain value val in slot i of frame f (0 = outermost);
// the slot is no longer a pointer.
//
// Called only by the M running the G.
func (s *stack) setWord(f, i int, val uint64) {
	fr := &s.frames[f]
	s.checkSlot(fr, i)
	binary.LittleEndian.PutUint64(s.mem[s.off(f, i):], val)
	fr.clearPtr(i)
}

// setPtr stores in slot i of frame f the address of slot ti of frame tf,
// marks the slot as a pointer and records (tf, ti) as its ghost target.
//
// Called only by the M running the G.
func (s *stack) setPtr(f, i, tf, ti int) {
	fr := &s.frames[f]
	s.checkSlot(fr, i)
	s.checkSlot(&s.frames[tf], ti)
	binary.LittleEndian.PutUint64(s.mem[s.off(f, i):], s.slotAddr(tf, ti))
	fr.markPtr(i, spec.Ref{Frame: tf, Slot: ti})
}

func (s *stack) checkSlot(fr *frame, i int) {
	if i < 0 || i >= fr.slots() {
		panic(fmt.Sprintf("impl: slot %d outside a frame of %d slots", i, fr.slots()))
	}
}

// load returns slot i of frame f: its value read from the bytes, whether
// the pointer map marks it, and the ghost target of a pointer.
//
// Called only by the M running the G, or by the GC with the world stopped.
func (s *stack) load(f, i int) spec.Word {
	fr := &s.frames[f]
	s.checkSlot(fr, i)
	w := spec.Word{Val: binary.LittleEndian.Uint64(s.mem[s.off(f, i):])}
	if fr.isPtr(i) {
		w.Ptr = true
		if k, ok := fr.ghostIndex(i); ok {
			w.Target = fr.ghosts[k].ref
		}
	}
	return w
}

// resolve finds the frame and slot at address addr by the address alone,
// as a real store would (the model's resolve): addr must be 8-aligned and
// inside a live frame, that is in [sp, hi), since frames are contiguous.
func (s *stack) resolve(addr uint64) (f, i int, ok bool) {
	if addr < s.lo || addr >= s.hi || addr%8 != 0 || addr < s.sp() {
		return 0, 0, false
	}
	d := int64(s.hi - addr) // 1..used
	// The outermost frame f with used(f) >= d holds addr: frames with
	// used < d lie wholly above addr.
	f = sort.Search(len(s.frames), func(k int) bool { return s.frames[k].used >= d })
	if f == len(s.frames) {
		return 0, 0, false
	}
	return f, int((addr - s.slotAddr(f, 0)) / 8), true
}

func (s *stack) badPointer(addr uint64) *StackError {
	return &StackError{Reason: stackFaultBadPointer, Msg: fmt.Sprintf(
		"pointer %#x is outside the live frames of the stack [%#x, %#x)", addr, s.lo, s.hi)}
}

// storeAt stores the plain value val at address addr, which must be a slot
// of a live frame; otherwise it returns a bad-pointer *StackError (the
// model's fault for a pointer that does not reach a live frame), which is
// how a pointer that a copy failed to adjust is caught.
//
// Called only by the M running the G.
func (s *stack) storeAt(addr, val uint64) error {
	f, i, ok := s.resolve(addr)
	if !ok {
		return s.badPointer(addr)
	}
	s.setWord(f, i, val)
	return nil
}

// loadAt returns the word at address addr, which must be a slot of a live
// frame; otherwise a bad-pointer *StackError.
//
// Called only by the M running the G.
func (s *stack) loadAt(addr uint64) (spec.Word, error) {
	f, i, ok := s.resolve(addr)
	if !ok {
		return spec.Word{}, s.badPointer(addr)
	}
	return s.load(f, i), nil
}

// The local statements of the workload language on the innermost frame,
// with the model's semantics and fault messages (model/goroutine.go
// normalize). A returned *StackError's Msg lacks the statement's position.

// execSet runs "set slot v".
//
// Called only by the M running the G.
func (s *stack) execSet(slot int, v int64) {
	s.setWord(len(s.frames)-1, slot, uint64(v))
}

// execRef runs "ref slot up:to": slot := the address of slot to of the
// frame up levels out (0 = this frame). A frame that does not exist or has
// no such slot is a bad-ref fault.
//
// Called only by the M running the G.
func (s *stack) execRef(slot, up, to int) error {
	depth := len(s.frames)
	target := depth - 1 - up
	if target < 0 {
		return &StackError{Reason: stackFaultBadRef, Msg: fmt.Sprintf(
			"ref %d %d:%d: there is no frame %d up (depth %d)", slot, up, to, up, depth)}
	}
	tf := &s.frames[target]
	if to >= tf.slots() {
		return &StackError{Reason: stackFaultBadRef, Msg: fmt.Sprintf(
			"ref %d %d:%d: frame %s has %d slots", slot, up, to, s.name(tf.fn), tf.slots())}
	}
	s.setPtr(depth-1, slot, target, to)
	return nil
}

// deref resolves the pointer in slot of the innermost frame: a slot that
// is not a pointer, or whose address reaches no live frame, is a
// bad-pointer fault described as the model does.
func (s *stack) deref(slot int) (f, i int, err string) {
	w := s.load(len(s.frames)-1, slot)
	if !w.Ptr {
		return 0, 0, "it holds " + stackDescribeWord(w) + ", not a pointer"
	}
	f, i, ok := s.resolve(w.Val)
	if !ok {
		return 0, 0, s.badPointer(w.Val).Msg
	}
	return f, i, ""
}

// execStore runs "store slot v": the plain value v goes where the pointer
// in slot points.
//
// Called only by the M running the G.
func (s *stack) execStore(slot int, v int64) error {
	f, i, why := s.deref(slot)
	if why != "" {
		return &StackError{Reason: stackFaultBadPointer, Msg: fmt.Sprintf("store through slot %d: %s", slot, why)}
	}
	s.setWord(f, i, uint64(v))
	return nil
}

// execCheck runs "check slot v" (deref false) or "check *slot v": the
// word must be the plain value v, else a check-failed fault.
//
// Called only by the M running the G.
func (s *stack) execCheck(slot int, deref bool, v int64) error {
	what := "slot " + strconv.Itoa(slot)
	var w spec.Word
	if deref {
		f, i, why := s.deref(slot)
		if why != "" {
			return &StackError{Reason: stackFaultBadPointer, Msg: fmt.Sprintf("check *%d: %s", slot, why)}
		}
		w = s.load(f, i)
		what = "*" + what
	} else {
		w = s.load(len(s.frames)-1, slot)
	}
	if w.Ptr || int64(w.Val) != v {
		return &StackError{Reason: stackFaultCheckFailed, Msg: fmt.Sprintf(
			"check failed: %s = %s, want %d", what, stackDescribeWord(w), v)}
	}
	return nil
}

func stackDescribeWord(w spec.Word) string {
	if w.Ptr {
		return fmt.Sprintf("pointer %#x", w.Val)
	}
	return strconv.FormatInt(int64(w.Val), 10)
}

// project returns the stack as spec.Stack: bounds, SP, and every frame
// with its function's name, size and words (values read from the bytes,
// pointer bits from the pointer maps, ghost targets). It shares nothing
// with s. A stack without frames projects with nil Frames.
//
// Called by the M running the G, or with the world stopped.
func (s *stack) project() spec.Stack {
	st := spec.Stack{Lo: s.lo, Hi: s.hi, SP: s.sp()}
	if len(s.frames) == 0 {
		return st
	}
	st.Frames = make([]spec.Frame, len(s.frames))
	for f := range s.frames {
		fr := &s.frames[f]
		pf := spec.Frame{Func: s.name(fr.fn), Size: fr.size}
		if n := fr.slots(); n > 0 {
			pf.Slots = make([]spec.Word, n)
			base := s.off(f, 0)
			for i := range pf.Slots {
				pf.Slots[i].Val = binary.LittleEndian.Uint64(s.mem[base+int64(8*i):])
			}
			for _, g := range fr.ghosts {
				pf.Slots[g.slot].Ptr = true
				pf.Slots[g.slot].Target = g.ref
			}
		}
		st.Frames[f] = pf
	}
	return st
}

// StackLab gives single-threaded access to one G's stack, for the lockstep
// tests in properties/ that run it beside the model. The scheduler does
// not use it.
type StackLab struct {
	s    stack
	cfg  spec.Config
	code *spec.Code
}

// NewStackLab returns the stack of a new G gid running function fn of
// code with argument n (see newStack).
func NewStackLab(gid spec.GID, code *spec.Code, cfg spec.Config, fn int, n int64) *StackLab {
	l := &StackLab{cfg: cfg, code: code}
	l.s = newStack(gid, fn, code.Funcs[fn].Frame, n, &l.cfg, codeNames(code))
	return l
}

// SetCopyNoAdjust switches the copy-no-adjust mutant on or off for this
// stack (see stackMutCopyNoAdjust).
func (l *StackLab) SetCopyNoAdjust(on bool) {
	if on {
		l.s.mut |= stackMutCopyNoAdjust
	} else {
		l.s.mut &^= stackMutCopyNoAdjust
	}
}

// Call pushes a frame of function fn with argument n after the prologue
// check (see push); the error is a *StackError (stack overflow).
func (l *StackLab) Call(fn int, n int64) (grew bool, err error) {
	return l.s.push(fn, l.code.Funcs[fn].Frame, n, &l.cfg)
}

// Return pops the innermost frame.
func (l *StackLab) Return() { l.s.pop() }

// Depth is the number of frames.
func (l *StackLab) Depth() int { return l.s.depth() }

// Set runs "set slot v" in the innermost frame.
func (l *StackLab) Set(slot int, v int64) { l.s.execSet(slot, v) }

// Ref runs "ref slot up:to" in the innermost frame.
func (l *StackLab) Ref(slot, up, to int) error { return l.s.execRef(slot, up, to) }

// Store runs "store slot v" in the innermost frame.
func (l *StackLab) Store(slot int, v int64) error { return l.s.execStore(slot, v) }

// Check runs "check slot v" or "check *slot v" in the innermost frame.
func (l *StackLab) Check(slot int, deref bool, v int64) error {
	return l.s.execCheck(slot, deref, v)
}

// Shrink is the GC's shrinkstack on this stack; it reports whether the
// stack was halved.
func (l *StackLab) Shrink() bool { return l.s.shrink(&l.cfg) }

// Stack is the projection onto spec.Stack.
func (l *StackLab) Stack() spec.Stack { return l.s.project() }
