package impl

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/gmplab/gmplab/spec"
)

// The stack's own tests: growth keeps every pointer reaching its value,
// the old stack is poisoned, overflow is an error value, the shrink
// thresholds, the mutant copy is caught. Equivalence with the model is in
// properties/stack_test.go (impl's tests never import model).

func testCfg() *spec.Config {
	c := spec.Default(1)
	return &c
}

func testNames(fn int) string {
	switch fn {
	case 0:
		return "main"
	case 1:
		return "f"
	}
	return fmt.Sprintf("fn%d", fn)
}

// checkStack checks the projection against the spec's stack invariants
// and, independently of the ghosts' bookkeeping, that every pointer word
// resolves by its address alone to a live slot, the slot its ghost names.
func checkStack(t testing.TB, s *stack, cfg *spec.Config) {
	t.Helper()
	if err := stackInvariants(s, cfg); err != nil {
		t.Fatal(err)
	}
}

func stackInvariants(s *stack, cfg *spec.Config) error {
	st := s.project()
	sn := spec.Snapshot{
		Gs:       []spec.GState{{ID: s.gid, Status: spec.GRunning, Stack: st}},
		StackMin: cfg.StackMin, StackMax: cfg.StackMax,
	}
	if err := spec.StackBounds(&sn); err != nil {
		return err
	}
	if err := spec.StackPointersValid(&sn); err != nil {
		return err
	}
	for f := range s.frames {
		for i := 0; i < s.frames[f].slots(); i++ {
			w := s.load(f, i)
			if !w.Ptr {
				continue
			}
			tf, ti, ok := s.resolve(w.Val)
			if !ok {
				return fmt.Errorf("frame %d slot %d: pointer %#x reaches no live slot of [%#x, %#x)", f, i, w.Val, s.lo, s.hi)
			}
			if (spec.Ref{Frame: tf, Slot: ti}) != w.Target {
				return fmt.Errorf("frame %d slot %d: pointer %#x reaches frame %d slot %d, its target is %+v", f, i, w.Val, tf, ti, w.Target)
			}
			if got, want := w.Val, st.SlotAddr(tf, ti); got != want {
				return fmt.Errorf("frame %d slot %d: pointer %#x, spec.SlotAddr %#x", f, i, got, want)
			}
		}
	}
	return nil
}

func TestNewStackSize(t *testing.T) {
	cfg := testCfg()
	for _, tc := range []struct {
		frame, want int64
	}{
		{0, 2048}, {8, 2048}, {1120, 2048}, {1128, 4096}, {1536, 4096},
		{4096, 8192}, {65536, 131072}, {1 << 20, 2 << 20},
	} {
		s := newStack(7, 0, tc.frame, 3, cfg, testNames)
		if s.size() != tc.want {
			t.Errorf("frame %d: stack %d bytes, want %d", tc.frame, s.size(), tc.want)
		}
		lo, hi := spec.StackRegion(7, 0, tc.want)
		if s.lo != lo || s.hi != hi || s.sp() != hi-uint64(tc.frame) || s.top().n != 3 {
			t.Errorf("frame %d: [%#x, %#x) sp %#x n %d; want [%#x, %#x) sp %#x n 3", tc.frame, s.lo, s.hi, s.sp(), s.top().n, lo, hi, hi-uint64(tc.frame))
		}
		checkStack(t, &s, cfg)
	}

	// A first frame that needs more than StackMax: the G's first prologue
	// would overflow. spec.Config.InitialStack says so, and the scheduler
	// reports the fatal error instead of calling newStack.
	small := testCfg()
	small.StackMin, small.StackGuard, small.StackMax = 128, 113, 129
	for _, tc := range []struct{ frame, want int64 }{{16, 256}, {1024, 2048}, {1000, 2048}} {
		size, ok := small.InitialStack(tc.frame)
		if ok || size != tc.want {
			t.Errorf("stack-max 129, frame %d: InitialStack = %d, %t; want %d, false", tc.frame, size, ok, tc.want)
		}
	}
}

// TestStackLayout checks the byte layout: word i of frame f lives at
// hi - used(f) + 8*i, little-endian, and addresses agree with
// spec.Stack.SlotAddr.
func TestStackLayout(t *testing.T) {
	cfg := testCfg()
	s := newStack(1, 0, 16, 0, cfg, testNames)
	for _, size := range []int64{24, 0, 8, 40} {
		if _, err := s.push(1, size, 0, cfg); err != nil {
			t.Fatal(err)
		}
	}
	st := s.project()
	for f := range s.frames {
		for i := 0; i < s.frames[f].slots(); i++ {
			v := uint64(f)<<32 | uint64(i) | 0x8000_0000_0000_0000
			s.setWord(f, i, v)
			addr := st.SlotAddr(f, i)
			if addr != s.slotAddr(f, i) {
				t.Fatalf("frame %d slot %d at %#x, spec.SlotAddr %#x", f, i, s.slotAddr(f, i), addr)
			}
			off := addr - s.lo
			var got uint64
			for b := 7; b >= 0; b-- {
				got = got<<8 | uint64(s.mem[off+uint64(b)])
			}
			if got != v {
				t.Fatalf("frame %d slot %d: bytes hold %#x, want %#x little-endian", f, i, got, v)
			}
			w, err := s.loadAt(addr)
			if err != nil || w.Val != v || w.Ptr {
				t.Fatalf("loadAt(%#x) = %+v, %v; want value %#x", addr, w, err, v)
			}
		}
	}
	for _, addr := range []uint64{s.lo, s.sp() - 8, s.hi, s.sp() + 4, s.hi + 8, 0} {
		if _, err := s.loadAt(addr); err == nil {
			t.Errorf("loadAt(%#x) outside the live frames [%#x, %#x) succeeded", addr, s.sp(), s.hi)
		} else if e := (*StackError)(nil); !errors.As(err, &e) || e.Reason != "bad-pointer" {
			t.Errorf("loadAt(%#x): %v, want a bad-pointer StackError", addr, err)
		}
		if err := s.storeAt(addr, 1); err == nil {
			t.Errorf("storeAt(%#x) outside the live frames succeeded", addr)
		}
	}
	checkStack(t, &s, cfg)
}

// TestStackFrameReuse: a frame pushed where a popped one was is zeroed and
// holds no pointers.
func TestStackFrameReuse(t *testing.T) {
	cfg := testCfg()
	s := newStack(1, 0, 8, 0, cfg, testNames)
	s.push(1, 64, 0, cfg)
	s.setPtr(1, 3, 0, 0)
	s.setWord(1, 5, 77)
	s.top().loops = append(s.top().loops, 4)
	s.top().pc = 9
	s.pop()
	s.push(1, 64, 2, cfg)
	for i := 0; i < 8; i++ {
		if w := s.load(1, i); w != (spec.Word{}) {
			t.Fatalf("slot %d of a fresh frame is %+v", i, w)
		}
	}
	if f := s.top(); f.pc != 0 || len(f.loops) != 0 || f.n != 2 {
		t.Fatalf("fresh frame: pc %d loops %v n %d", f.pc, f.loops, f.n)
	}
	checkStack(t, &s, cfg)
}

// growth is the runtime's TestStackGrowth pattern (stack_test.go): a
// recursion depth levels deep, each level passing the address of one of
// its locals to the next, which writes through it after the stack has
// grown below it; each level checks the value after the callee returns.
// Every copy is checked to keep every pointer reaching its slot.
func growth(t *testing.T, cfg *spec.Config, frameSize int64, depth int) (copies int) {
	t.Helper()
	s := newStack(1, 0, 16, 0, cfg, testNames)
	s.setWord(0, 0, 1)
	var old [][]byte
	var rec func(level int)
	rec = func(level int) {
		oldmem := s.mem
		grew, err := s.push(1, frameSize, int64(depth-level), cfg)
		if err != nil {
			t.Fatalf("level %d: %v", level, err)
		}
		if grew {
			copies++
			old = append(old, oldmem)
			checkStack(t, &s, cfg)
		}
		f := s.depth() - 1
		s.execSet(0, int64(level))
		if err := s.execRef(1, 1, 0); err != nil { // the caller's local
			t.Fatal(err)
		}
		if err := s.execRef(2, f, 0); err != nil { // main's, from far down
			t.Fatal(err)
		}
		if level < depth {
			rec(level + 1)
			// The callee wrote level+1000 into this frame's slot 0.
			if err := s.execCheck(0, false, int64(level+1000+1)); err != nil {
				t.Fatalf("level %d: %v", level, err)
			}
		}
		if err := s.execStore(1, int64(level+1000)); err != nil {
			t.Fatalf("level %d: %v", level, err)
		}
		if err := s.execCheck(1, true, int64(level+1000)); err != nil {
			t.Fatalf("level %d: %v", level, err)
		}
		w := s.load(f, 2)
		if got, err := s.loadAt(w.Val); err != nil || got.Val == 0 {
			t.Fatalf("level %d: main's slot through %#x: %+v, %v", level, w.Val, got, err)
		}
		s.pop()
	}
	rec(1)
	if err := s.execCheck(0, false, 1001); err != nil {
		t.Fatalf("main: %v", err)
	}
	for i, m := range old {
		for j, b := range m {
			if b != stackPoisonOld {
				t.Fatalf("old stack %d byte %d is %#x after the copy, want poison %#x", i, j, b, stackPoisonOld)
			}
		}
	}
	checkStack(t, &s, cfg)
	return copies
}

func TestStackGrowth(t *testing.T) {
	cfg := testCfg()
	for _, tc := range []struct {
		frame int64
		depth int
	}{
		{24, 1}, {24, 100}, {24, 1000}, {512, 6}, {512, 200}, {1024, 1000}, {4096, 50}, {24, 5000},
	} {
		t.Run(fmt.Sprintf("frame=%d/depth=%d", tc.frame, tc.depth), func(t *testing.T) {
			copies := growth(t, cfg, tc.frame, tc.depth)
			t.Logf("%d copies", copies)
			if need := 16 + int64(tc.depth)*tc.frame + cfg.StackGuard; need > cfg.StackMin && copies == 0 {
				t.Fatalf("needed %d bytes but never grew", need)
			}
		})
	}
}

// TestStackGrowSizes follows model/testdata/mechanisms/stack.txt: 512-byte
// frames below a 16-byte main grow 2048 -> 4096 at the third call and
// -> 8192 at the seventh.
func TestStackGrowSizes(t *testing.T) {
	cfg := testCfg()
	s := newStack(1, 0, 16, 0, cfg, testNames)
	var grewAt []int
	for call := 1; call <= 7; call++ {
		grew, err := s.push(1, 512, 0, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if grew {
			grewAt = append(grewAt, call)
		}
	}
	if fmt.Sprint(grewAt) != "[3 7]" || s.size() != 8192 || s.gen != 2 {
		t.Fatalf("grew at calls %v to %d bytes gen %d; want [3 7], 8192, gen 2", grewAt, s.size(), s.gen)
	}
	lo, hi := spec.StackRegion(1, 2, 8192)
	if s.lo != lo || s.hi != hi {
		t.Fatalf("bounds [%#x, %#x), want generation 2's [%#x, %#x)", s.lo, s.hi, lo, hi)
	}
}

func TestStackCopyPoisonsOld(t *testing.T) {
	cfg := testCfg()
	s := newStack(1, 0, 64, 0, cfg, testNames)
	s.setWord(0, 0, 0x1122334455667788)
	s.setPtr(0, 1, 0, 0)
	oldmem, oldaddr := s.mem, s.slotAddr(0, 0)
	if _, err := s.push(1, 4096, 0, cfg); err != nil {
		t.Fatal(err)
	}
	for i, b := range oldmem {
		if b != stackPoisonOld {
			t.Fatalf("old byte %d = %#x, want poison", i, b)
		}
	}
	if _, err := s.loadAt(oldaddr); err == nil {
		t.Fatalf("the old address %#x still resolves after the copy", oldaddr)
	}
	if w := s.load(0, 0); w.Val != 0x1122334455667788 {
		t.Fatalf("value not copied: %+v", w)
	}
	if w := s.load(0, 1); !w.Ptr || w.Val != s.slotAddr(0, 0) {
		t.Fatalf("pointer not adjusted: %+v, want %#x", w, s.slotAddr(0, 0))
	}
	checkStack(t, &s, cfg)
}

// TestStackCopyWraps copies a stack in place 600 times (as stackForceMove
// would): the generation window wraps at 256, so delta = new.hi - old.hi
// is negative there and must wrap in uint64 arithmetic.
func TestStackCopyWraps(t *testing.T) {
	cfg := testCfg()
	s := newStack(3, 0, 32, 0, cfg, testNames)
	s.push(1, 48, 0, cfg)
	s.setPtr(1, 0, 0, 2)
	s.setPtr(1, 5, 1, 5) // a pointer to itself
	s.setPtr(0, 3, 0, 0)
	s.setWord(1, 1, 0x7fff_ffff_ffff_ffff) // a value that is no pointer
	// A pointer-marked word whose value lies outside the stack (a heap
	// pointer) is left alone.
	const outside = 0x1234_5678
	s.setPtr(1, 2, 0, 0)
	putLE(s.mem[s.off(1, 2):], outside)
	for i := 0; i < 600; i++ {
		size := s.size()
		if i%3 == 1 {
			size *= 2
		}
		s.copystack(size)
		if w := s.load(1, 2); w.Val != outside {
			t.Fatalf("copy %d moved a pointer from outside the old stack: %#x", i, w.Val)
		}
		s.setWord(1, 2, 0)
		if err := stackInvariants(&s, cfg); err != nil {
			t.Fatalf("copy %d (gen %d): %v", i, s.gen, err)
		}
		s.setPtr(1, 2, 0, 0)
		putLE(s.mem[s.off(1, 2):], outside)
		if s.size() > 1<<20 {
			s.copystack(2048)
		}
	}
	if w := s.load(1, 1); w.Val != 0x7fff_ffff_ffff_ffff {
		t.Fatalf("plain word changed: %#x", w.Val)
	}
}

func putLE(b []byte, v uint64) {
	for i := 0; i < 8; i++ {
		b[i] = byte(v >> (8 * i))
	}
}

// TestStackOverflow follows the model's mechanism test: 64 KB frames with
// StackMax 1 MB grow 2 KB -> 128 KB -> ... -> 1 MB; the 16th frame would
// need 2 MB: a fatal error value, the stack left as it was.
func TestStackOverflow(t *testing.T) {
	cfg := testCfg()
	cfg.StackMax = 1 << 20
	s := newStack(1, 0, 0, 0, cfg, testNames)
	var sizes []int64
	for call := 1; ; call++ {
		before := s.project()
		grew, err := s.push(1, 65536, 0, cfg)
		if err != nil {
			if call != 16 {
				t.Fatalf("overflow at call %d, want 16", call)
			}
			var e *StackError
			if !errors.As(err, &e) || e.Reason != "stack-overflow" {
				t.Fatalf("err = %#v, want a stack-overflow StackError", err)
			}
			const want = "runtime: goroutine stack exceeds 1048576-byte limit; fatal error: stack overflow (g1 calling f, stack 1048576 bytes)"
			if e.Msg != want {
				t.Fatalf("message\n%s\nwant\n%s", e.Msg, want)
			}
			if after := s.project(); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Fatalf("a failed push changed the stack")
			}
			break
		}
		if grew {
			sizes = append(sizes, s.size())
		}
		if call > 100 {
			t.Fatal("no overflow")
		}
	}
	if fmt.Sprint(sizes) != "[131072 262144 524288 1048576]" {
		t.Fatalf("grew to %v", sizes)
	}
	checkStack(t, &s, cfg)

	// A non-power-of-two limit (the default 1e9 is one).
	cfg.StackMax = 3000
	s = newStack(2, 0, 1024, 0, cfg, nil)
	if _, err := s.push(5, 512, 0, cfg); err == nil || !strings.Contains(err.Error(), "exceeds 3000-byte limit") || !strings.Contains(err.Error(), "g2 calling fn5") {
		t.Fatalf("push past a 3000-byte limit: %v", err)
	}
}

func TestStackShrinkThresholds(t *testing.T) {
	for _, tc := range []struct {
		name           string
		min, reserve   int64
		size, used     int64
		shrunk         bool
		wantSize       int64
		wantGenChanged bool
	}{
		{"nearly empty 32K", 2048, 800, 32768, 0, true, 16384, true},
		{"below a quarter", 2048, 800, 32768, 8192 - 800 - 8, true, 16384, true},
		{"exactly a quarter", 2048, 800, 32768, 8192 - 800, false, 32768, false},
		{"above a quarter", 2048, 800, 32768, 9000, false, 32768, false},
		{"never below min", 2048, 800, 2048, 0, false, 2048, false},
		{"4K to min", 2048, 800, 4096, 0, true, 2048, true},
		{"4K with 216 used", 2048, 800, 4096, 216, true, 2048, true},
		{"4K with 224 used", 2048, 800, 4096, 224, false, 4096, false},
		{"no reserve", 2048, 0, 8192, 2040, true, 4096, true},
		{"no reserve, quarter", 2048, 0, 8192, 2048, false, 8192, false},
		{"small min", 256, 64, 1024, 0, true, 512, true},
		{"small min floor", 256, 64, 256, 0, false, 256, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testCfg()
			cfg.StackMin, cfg.StackShrinkReserve, cfg.StackGuard = tc.min, tc.reserve, 0
			s := newStack(1, 0, 0, 0, cfg, testNames)
			s.copystack(tc.size)
			if tc.used > 0 {
				s.push(1, tc.used, 0, cfg)
				s.setPtr(1, 0, 1, 0)
			}
			gen := s.gen
			if got := s.shrink(cfg); got != tc.shrunk || s.size() != tc.wantSize || (s.gen != gen) != tc.wantGenChanged {
				t.Fatalf("shrink = %v to %d (gen %d -> %d); want %v to %d", got, s.size(), gen, s.gen, tc.shrunk, tc.wantSize)
			}
			checkStack(t, &s, cfg)
		})
	}
}

// TestStackShrinkRepeated: as in the model's mechanism test, a stack grown
// to 32 KB by 4 KB frames is halved once per GC after they return, down to
// StackMin.
func TestStackShrinkRepeated(t *testing.T) {
	cfg := testCfg()
	s := newStack(1, 0, 0, 0, cfg, testNames)
	for i := 0; i < 4; i++ {
		s.push(1, 4096, 0, cfg)
	}
	if s.size() != 32768 {
		t.Fatalf("grew to %d", s.size())
	}
	for i := 0; i < 4; i++ {
		s.pop()
	}
	var sizes []int64
	for s.shrink(cfg) {
		sizes = append(sizes, s.size())
	}
	if fmt.Sprint(sizes) != "[16384 8192 4096 2048]" || s.gen != 7 {
		t.Fatalf("shrank to %v gen %d", sizes, s.gen)
	}
}

// TestStackMutantCopyNoAdjust: the broken copy leaves pointers at the old
// stack's addresses; the pointer checks catch it at once, and a store
// through the pointer is a bad-pointer fault.
func TestStackMutantCopyNoAdjust(t *testing.T) {
	cfg := testCfg()
	build := func() stack {
		s := newStack(1, 0, 16, 0, cfg, testNames)
		s.push(1, 512, 3, cfg)
		if err := s.execRef(1, 1, 0); err != nil {
			t.Fatal(err)
		}
		return s
	}
	good := build()
	good.copystack(4096)
	checkStack(t, &good, cfg)

	bad := build()
	bad.mut = stackMutCopyNoAdjust
	bad.copystack(4096)
	if err := stackInvariants(&bad, cfg); err == nil {
		t.Fatal("the mutant copy passed the pointer checks")
	} else {
		t.Logf("caught: %v", err)
	}
	err := bad.execStore(1, 99)
	var e *StackError
	if !errors.As(err, &e) || e.Reason != "bad-pointer" || !strings.HasPrefix(e.Msg, "store through slot 1: pointer 0x") {
		t.Fatalf("store through the unadjusted pointer: %v", err)
	}

	// The package switch reaches new stacks and is off by default.
	if stackMutants != 0 {
		t.Fatal("mutants on by default")
	}
	stackMutants = stackMutCopyNoAdjust
	s := build()
	stackMutants = 0
	s.push(1, 1024, 0, cfg)
	s.push(1, 1024, 0, cfg)
	if err := stackInvariants(&s, cfg); err == nil {
		t.Fatal("stackMutants did not reach newStack")
	}
}

// TestStackStatementFaults: the local statements' faults and messages, as
// the model words them (model/goroutine.go normalize).
func TestStackStatementFaults(t *testing.T) {
	cfg := testCfg()
	s := newStack(1, 0, 16, 0, cfg, testNames)
	s.push(1, 32, 0, cfg)
	s.execSet(0, -5)
	if err := s.execCheck(0, false, -5); err != nil {
		t.Fatal(err)
	}
	if err := s.execRef(2, 1, 1); err != nil {
		t.Fatal(err)
	}
	if err := s.execCheck(2, true, 0); err != nil {
		t.Fatal(err)
	}
	p := s.slotAddr(0, 1)
	for _, tc := range []struct {
		err    error
		reason string
		msg    string
	}{
		{s.execRef(1, 2, 0), "bad-ref", "ref 1 2:0: there is no frame 2 up (depth 2)"},
		{s.execRef(1, 1, 2), "bad-ref", "ref 1 1:2: frame main has 2 slots"},
		{s.execStore(0, 1), "bad-pointer", "store through slot 0: it holds -5, not a pointer"},
		{s.execCheck(3, true, 0), "bad-pointer", "check *3: it holds 0, not a pointer"},
		{s.execCheck(0, false, 5), "check-failed", "check failed: slot 0 = -5, want 5"},
		{s.execCheck(2, false, 5), "check-failed", fmt.Sprintf("check failed: slot 2 = pointer %#x, want 5", p)},
		{s.execCheck(2, true, 5), "check-failed", "check failed: *slot 2 = 0, want 5"},
	} {
		var e *StackError
		if !errors.As(tc.err, &e) || e.Reason != tc.reason || e.Msg != tc.msg {
			t.Errorf("got %v, want %s %q", tc.err, tc.reason, tc.msg)
		}
	}
	// A pointer to a slot that holds a pointer: check * sees a pointer.
	s.execRef(3, 0, 2)
	if err := s.execCheck(3, true, 0); err == nil || !strings.Contains(err.Error(), "*slot 3 = pointer") {
		t.Errorf("check through a pointer to a pointer: %v", err)
	}
	// Overwriting a pointer with a value clears its pointer bit and ghost.
	s.execSet(2, 4)
	if w := s.load(1, 2); w != (spec.Word{Val: 4}) {
		t.Errorf("slot 2 after set: %+v", w)
	}
	// A pointer into a frame that has returned no longer resolves.
	s.push(1, 32, 0, cfg)
	s.execRef(0, 0, 3)
	dangling := s.load(2, 0).Val
	s.pop()
	if err := s.storeAt(dangling, 1); err == nil {
		t.Errorf("store to %#x below SP %#x succeeded", dangling, s.sp())
	}
	checkStack(t, &s, cfg)
}

// TestStackIndependent runs many Gs' stacks on many goroutines, each
// handed between two goroutines (two Ms) through a channel: a stack has no
// state shared with another, which the race detector checks.
func TestStackIndependent(t *testing.T) {
	cfg := testCfg()
	var wg sync.WaitGroup
	for g := 1; g <= 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := newStack(spec.GID(g), 0, 16, 0, cfg, testNames)
			handoff := make(chan *stack)
			done := make(chan struct{})
			go func() { // the other M
				for st := range handoff {
					st.push(1, 1024, 0, cfg)
					st.execRef(0, 1, 0)
					handoff <- st
				}
				close(done)
			}()
			for i := 0; i < 100; i++ {
				handoff <- &s
				<-handoff
				if err := s.execStore(0, int64(i)); err != nil {
					t.Error(err)
					break
				}
			}
			close(handoff)
			<-done
			if err := stackInvariants(&s, cfg); err != nil {
				t.Error(err)
			}
			for s.depth() > 1 {
				s.pop()
			}
			if err := s.execCheck(0, false, 0); err != nil {
				t.Error(err)
			}
			for s.shrink(cfg) {
			}
			if s.size() != cfg.StackMin {
				t.Errorf("g%d: shrank to %d", g, s.size())
			}
		}()
	}
	wg.Wait()
}
