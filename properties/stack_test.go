package properties

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"

	"github.com/gmplab/gmplab/impl"
	"github.com/gmplab/gmplab/model"
	"github.com/gmplab/gmplab/spec"
)

// Stacks: impl's byte stacks against the model (DESIGN.md "How the forms
// are tied together", 1, for one G's stack).
//
// A random case is a random policy (stack-min, -guard, -shrink-reserve,
// -max) and one random path of execution through a stack: calls of frames
// of random sizes, returns, set, ref to a slot of this frame or of any
// frame up the stack, store and check (plain and *) through pointers, gc,
// and recursions in the pattern of the runtime's TestStackGrowth (each
// level refs a slot of its caller, descends, optionally runs a gc, then
// stores through and checks the pointer). It optionally ends in a faulty
// statement (a failed check, a store or deref through a non-pointer, a ref
// to a frame or slot that does not exist), and with a small stack-max a
// call may overflow.
//
// The path becomes a workload that the model runs for real: every
// activation is a function of its own whose body is the statements run
// while it is innermost, with "call" for each callee; a recursion is one
// function calling itself with descend. The model runs it through
// model.Init and model.Step (Call and GC actions; set, ref, store, check
// and return are local and run inside the step before them). The same path
// drives impl's stack directly (impl.StackLab). After Init and after every
// step, the model's projection of g1's stack and impl's must be equal
// (go-cmp), spec.StackBounds and spec.StackPointersValid must hold on
// impl's, and the two must agree on whether the run has ended in a fatal
// error, with the same reason and message.

// stackOpKind is one operation on impl's stack.
type stackOpKind int

const (
	sopSet stackOpKind = iota
	sopRef
	sopStore
	sopCheck
	sopReturn
	sopCall // not local: a model Call step
	sopGC   // not local: a model GC step
)

type stackOp struct {
	kind     stackOpKind
	fn       int // sopCall: index in the compiled code (= in Program.Funcs)
	n        int64
	slot     int
	up, to   int
	v        int64
	deref    bool
	expected string // the fault this op must end in ("" = none)
}

func (o stackOp) local() bool { return o.kind != sopCall && o.kind != sopGC }

type stackCase struct {
	cfg  spec.Config
	prog *spec.Program
	ops  []stackOp
}

// shadowWord tracks what a slot holds, only to generate ops that do not
// fault (a check needs the value it will find).
type shadowWord struct {
	ptr    bool
	val    int64
	tf, ts int
}

type shadowAct struct {
	fn    int
	words []shadowWord
}

func genFrame(t *rapid.T, label string, min int64) int64 {
	bytes := rapid.OneOf(
		rapid.Int64Range(0, 64),
		rapid.Int64Range(0, min),
		rapid.Int64Range(0, 5*min),
	).Draw(t, label)
	return bytes / 8 * 8
}

// firstStackSize is the size of a new G's stack for a first frame of
// frame bytes (model newG, impl newStack).
func firstStackSize(cfg spec.Config, frame int64) int64 {
	size := cfg.StackMin
	for size < frame+cfg.StackGuard && size <= cfg.StackMax {
		size *= 2
	}
	return size
}

func genStackCase(t *rapid.T) stackCase {
	cfg := spec.Default(1)
	if rapid.Bool().Draw(t, "small-policy") {
		cfg.StackMin = 1 << rapid.IntRange(7, 11).Draw(t, "stack-min-log2")
		// Mostly multiples of 8, as frames are, so that the boundaries
		// (SP - frame == lo + guard, used + reserve == size/4) are hit.
		knob := func(label string) int64 {
			v := rapid.Int64Range(0, cfg.StackMin-1).Draw(t, label)
			if rapid.IntRange(0, 3).Draw(t, label+"-unaligned") > 0 {
				v = v / 8 * 8
			}
			return v
		}
		cfg.StackGuard = knob("stack-guard")
		cfg.StackShrinkReserve = knob("stack-shrink-reserve")
		cfg.StackMax = rapid.Int64Range(cfg.StackMin, cfg.StackMin<<10).Draw(t, "stack-max")
	}
	min := cfg.StackMin
	// main's first stack (StackMin doubled until frame + guard fit) is
	// within StackMax. Otherwise the model's newG, and impl's newStack,
	// which follows it, give a stack larger than StackMax, where the
	// runtime's first prologue would overflow, and spec.StackBounds fails
	// in both forms: e.g. stack-min=128 stack-guard=113 stack-max=129 and
	// "func main frame 16 {}" start g1 with a 256-byte stack.
	mainFrame := genFrame(t, "main-frame", min)
	for mainFrame > 0 && firstStackSize(cfg, mainFrame) > cfg.StackMax {
		mainFrame -= 8
	}
	prog := &spec.Program{Funcs: []*spec.Func{{Name: "main", Frame: mainFrame}}}
	acts := []*shadowAct{{fn: 0, words: make([]shadowWord, mainFrame/8)}}
	var ops []stackOp

	newFunc := func(frame int64) int {
		prog.Funcs = append(prog.Funcs, &spec.Func{Name: fmt.Sprintf("f%d", len(prog.Funcs)), Frame: frame})
		return len(prog.Funcs) - 1
	}
	emit := func(s spec.Stmt) {
		f := prog.Funcs[acts[len(acts)-1].fn]
		f.Body = append(f.Body, s)
	}
	ptrSlots := func(a *shadowAct, ptr bool) []int {
		var out []int
		for i, w := range a.words {
			if w.ptr == ptr {
				out = append(out, i)
			}
		}
		return out
	}

	nops := rapid.IntRange(0, 80).Draw(t, "ops")
	for k := 0; k < nops; k++ {
		cur := acts[len(acts)-1]
		depth := len(acts)
		slots := len(cur.words)
		switch rapid.IntRange(0, 11).Draw(t, "op") {
		case 0, 1: // call
			frame := genFrame(t, "frame", min)
			n := rapid.Int64Range(0, 3).Draw(t, "n")
			fn := newFunc(frame)
			emit(spec.Stmt{Op: spec.OpCall, Func: prog.Funcs[fn].Name, N: n})
			ops = append(ops, stackOp{kind: sopCall, fn: fn, n: n})
			acts = append(acts, &shadowAct{fn: fn, words: make([]shadowWord, frame/8)})
		case 2: // return (the callee's body ends)
			if depth > 1 {
				ops = append(ops, stackOp{kind: sopReturn})
				acts = acts[:depth-1]
			}
		case 3:
			emit(spec.Stmt{Op: spec.OpGC})
			ops = append(ops, stackOp{kind: sopGC})
		case 4: // set
			if slots > 0 {
				slot := rapid.IntRange(0, slots-1).Draw(t, "slot")
				v := rapid.Int64().Draw(t, "v")
				emit(spec.Stmt{Op: spec.OpSet, Slot: slot, N: v})
				ops = append(ops, stackOp{kind: sopSet, slot: slot, v: v})
				cur.words[slot] = shadowWord{val: v}
			}
		case 5, 6: // ref
			if slots == 0 {
				break
			}
			up := rapid.IntRange(0, depth-1).Draw(t, "up")
			target := acts[depth-1-up]
			if len(target.words) == 0 {
				break
			}
			to := rapid.IntRange(0, len(target.words)-1).Draw(t, "to")
			slot := rapid.IntRange(0, slots-1).Draw(t, "slot")
			emit(spec.Stmt{Op: spec.OpRef, Slot: slot, Up: up, To: to})
			ops = append(ops, stackOp{kind: sopRef, slot: slot, up: up, to: to})
			cur.words[slot] = shadowWord{ptr: true, tf: depth - 1 - up, ts: to}
		case 7: // store through a pointer
			ps := ptrSlots(cur, true)
			if len(ps) == 0 {
				break
			}
			slot := rapid.SampledFrom(ps).Draw(t, "ptr-slot")
			v := rapid.Int64().Draw(t, "v")
			emit(spec.Stmt{Op: spec.OpStore, Slot: slot, N: v})
			ops = append(ops, stackOp{kind: sopStore, slot: slot, v: v})
			w := cur.words[slot]
			acts[w.tf].words[w.ts] = shadowWord{val: v}
		case 8: // check
			if slots == 0 {
				break
			}
			slot := rapid.IntRange(0, slots-1).Draw(t, "slot")
			w := cur.words[slot]
			if !w.ptr {
				emit(spec.Stmt{Op: spec.OpCheck, Slot: slot, N: w.val})
				ops = append(ops, stackOp{kind: sopCheck, slot: slot, v: w.val})
			} else if tw := acts[w.tf].words[w.ts]; !tw.ptr {
				emit(spec.Stmt{Op: spec.OpCheck, Slot: slot, N: tw.val, Deref: true})
				ops = append(ops, stackOp{kind: sopCheck, slot: slot, v: tw.val, deref: true})
			}
		case 9, 10: // a recursion: call r depth, r = { ref 1 1:to; descend r; [gc]; store 1 v; check *1 v }
			if slots == 0 {
				break
			}
			to := rapid.IntRange(0, slots-1).Draw(t, "rec-to")
			if to == 1 {
				to = 0 // slot 1 of r holds its pointer
			}
			rslots := max(2, to+1) + rapid.IntRange(0, 6).Draw(t, "rec-extra-slots")
			frame := int64(8 * rslots)
			if rapid.Bool().Draw(t, "rec-big") {
				frame += genFrame(t, "rec-frame", min)
			}
			levels := rapid.Int64Range(0, 40).Draw(t, "rec-depth")
			gc := rapid.Bool().Draw(t, "rec-gc")
			v := rapid.Int64().Draw(t, "rec-v")
			fn := newFunc(frame)
			name := prog.Funcs[fn].Name
			body := []spec.Stmt{{Op: spec.OpRef, Slot: 1, Up: 1, To: to}, {Op: spec.OpDescend, Func: name}}
			if gc {
				body = append(body, spec.Stmt{Op: spec.OpGC})
			}
			body = append(body, spec.Stmt{Op: spec.OpStore, Slot: 1, N: v}, spec.Stmt{Op: spec.OpCheck, Slot: 1, N: v, Deref: true})
			prog.Funcs[fn].Body = body
			emit(spec.Stmt{Op: spec.OpCall, Func: name, N: levels})
			var expand func(n int64)
			expand = func(n int64) {
				ops = append(ops, stackOp{kind: sopCall, fn: fn, n: n}, stackOp{kind: sopRef, slot: 1, up: 1, to: to})
				if n > 0 {
					expand(n - 1)
				}
				if gc {
					ops = append(ops, stackOp{kind: sopGC})
				}
				ops = append(ops, stackOp{kind: sopStore, slot: 1, v: v}, stackOp{kind: sopCheck, slot: 1, v: v, deref: true}, stackOp{kind: sopReturn})
			}
			expand(levels)
			cur.words[to] = shadowWord{val: v}
		case 11: // nothing: lets shrinking drop ops
		}
	}

	// Optionally end in a fault.
	cur := acts[len(acts)-1]
	depth := len(acts)
	slots := len(cur.words)
	switch rapid.IntRange(0, 9).Draw(t, "fault") {
	case 0: // a failed check
		if slots > 0 {
			slot := rapid.IntRange(0, slots-1).Draw(t, "slot")
			v := cur.words[slot].val + 1
			emit(spec.Stmt{Op: spec.OpCheck, Slot: slot, N: v})
			ops = append(ops, stackOp{kind: sopCheck, slot: slot, v: v, expected: "check-failed"})
		}
	case 1: // store through a slot that holds no pointer
		if ps := ptrSlots(cur, false); len(ps) > 0 {
			slot := rapid.SampledFrom(ps).Draw(t, "slot")
			emit(spec.Stmt{Op: spec.OpStore, Slot: slot, N: 5})
			ops = append(ops, stackOp{kind: sopStore, slot: slot, v: 5, expected: "bad-pointer"})
		}
	case 2: // deref a slot that holds no pointer
		if ps := ptrSlots(cur, false); len(ps) > 0 {
			slot := rapid.SampledFrom(ps).Draw(t, "slot")
			emit(spec.Stmt{Op: spec.OpCheck, Slot: slot, N: 0, Deref: true})
			ops = append(ops, stackOp{kind: sopCheck, slot: slot, deref: true, expected: "bad-pointer"})
		}
	case 3: // ref beyond the outermost frame
		if slots > 0 {
			emit(spec.Stmt{Op: spec.OpRef, Slot: 0, Up: depth, To: 0})
			ops = append(ops, stackOp{kind: sopRef, slot: 0, up: depth, to: 0, expected: "bad-ref"})
		}
	case 4: // ref past the slots of a frame up
		if slots > 0 && depth > 1 {
			up := rapid.IntRange(1, depth-1).Draw(t, "up")
			to := len(acts[depth-1-up].words) + rapid.IntRange(0, 3).Draw(t, "past")
			emit(spec.Stmt{Op: spec.OpRef, Slot: 0, Up: up, To: to})
			ops = append(ops, stackOp{kind: sopRef, slot: 0, up: up, to: to, expected: "bad-ref"})
		}
	}
	// The bodies end: every callee returns to main, which rests on its
	// final return.
	for i := 1; i < len(acts); i++ {
		ops = append(ops, stackOp{kind: sopReturn})
	}
	return stackCase{cfg: cfg, prog: prog, ops: ops}
}

func (c stackCase) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# stack-min=%d stack-max=%d stack-guard=%d stack-shrink-reserve=%d\n",
		c.cfg.StackMin, c.cfg.StackMax, c.cfg.StackGuard, c.cfg.StackShrinkReserve)
	b.WriteString(c.prog.String())
	return b.String()
}

// stackRunStats counts what a run exercised.
type stackRunStats struct {
	steps, grows, shrinks, faults int
	reason                        string
	maxDepth                      int
}

// runStackCase runs c on the model and on impl's stack (with the
// copy-no-adjust mutant if mutant) and returns the first disagreement.
func runStackCase(c stackCase, mutant bool) (stackRunStats, error) {
	var st stackRunStats
	code, err := spec.Compile(c.prog)
	if err != nil {
		return st, fmt.Errorf("the generated workload does not compile: %v", err)
	}
	env := &model.Env{Cfg: c.cfg, Code: code}
	s, err := model.Init(env, model.Boot{})
	if err != nil {
		return st, err
	}
	lab := impl.NewStackLab(1, code, c.cfg, code.Main, 0)
	lab.SetCopyNoAdjust(mutant)

	var fault *impl.StackError
	apply := func(o stackOp) error {
		var err error
		switch o.kind {
		case sopSet:
			lab.Set(o.slot, o.v)
		case sopRef:
			err = lab.Ref(o.slot, o.up, o.to)
		case sopStore:
			err = lab.Store(o.slot, o.v)
		case sopCheck:
			err = lab.Check(o.slot, o.deref, o.v)
		case sopReturn:
			lab.Return()
		case sopCall:
			var grew bool
			grew, err = lab.Call(o.fn, o.n)
			if grew {
				st.grows++
			}
		case sopGC:
			if lab.Shrink() {
				st.shrinks++
			}
		}
		st.maxDepth = max(st.maxDepth, lab.Depth())
		if err != nil && !errors.As(err, &fault) {
			return fmt.Errorf("impl returned %T %v, want a *impl.StackError", err, err)
		}
		return nil
	}
	i := 0
	runLocals := func() error {
		for i < len(c.ops) && c.ops[i].local() && fault == nil {
			if err := apply(c.ops[i]); err != nil {
				return err
			}
			i++
		}
		return nil
	}
	compare := func(where string) error {
		ms := s.Snapshot().Gs[0].Stack
		is := lab.Stack()
		if !stacksEqual(ms, is) {
			d := cmp.Diff(ms, is, cmpopts.EquateEmpty())
			return fmt.Errorf("%s: g1's stack differs (-model +impl):\n%s", where, d)
		}
		sn := spec.Snapshot{
			Gs:       []spec.GState{{ID: 1, Status: spec.GRunning, Stack: is}},
			StackMin: c.cfg.StackMin, StackMax: c.cfg.StackMax,
		}
		if err := spec.StackBounds(&sn); err != nil {
			return fmt.Errorf("%s: impl: %v", where, err)
		}
		if err := spec.StackPointersValid(&sn); err != nil {
			return fmt.Errorf("%s: impl: %v", where, err)
		}
		switch {
		case s.Fatal == "" && fault == nil:
		case s.Fatal == "":
			return fmt.Errorf("%s: impl faulted (%s: %s), the model did not", where, fault.Reason, fault.Msg)
		case fault == nil:
			return fmt.Errorf("%s: the model faulted (%s: %s), impl did not", where, s.FatalReason, s.Fatal)
		default:
			msg := s.Fatal
			if s.FatalReason != "stack-overflow" {
				msg = strings.TrimPrefix(msg, "<input>:0:0: ")
			}
			if s.FatalReason != fault.Reason || msg != fault.Msg {
				return fmt.Errorf("%s: faults differ:\nmodel %s: %s\nimpl  %s: %s", where, s.FatalReason, msg, fault.Reason, fault.Msg)
			}
		}
		return nil
	}

	if err := runLocals(); err != nil {
		return st, err
	}
	if err := compare("after Init"); err != nil {
		return st, err
	}
	for i < len(c.ops) && fault == nil && s.Fatal == "" {
		o := c.ops[i]
		var a model.Action = model.Call{M: 0}
		if o.kind == sopGC {
			a = model.GC{M: 0}
		}
		if s, err = model.Step(s, a); err != nil {
			return st, fmt.Errorf("op %d: the model refused %v: %v", i, a, err)
		}
		st.steps++
		if err := apply(o); err != nil {
			return st, err
		}
		i++
		if err := runLocals(); err != nil {
			return st, err
		}
		if err := compare(fmt.Sprintf("after step %d (%v, op %d)", st.steps, a, i-1)); err != nil {
			return st, err
		}
	}
	if fault != nil {
		st.faults++
		st.reason = fault.Reason
		if e := c.ops[i-1].expected; e != "" && e != fault.Reason {
			return st, fmt.Errorf("op %d: fault %s, the generator expected %s", i-1, fault.Reason, e)
		}
		return st, nil
	}
	if i != len(c.ops) || lab.Depth() != 1 {
		return st, fmt.Errorf("the path ended at op %d of %d with depth %d", i, len(c.ops), lab.Depth())
	}
	for _, o := range c.ops {
		if o.expected != "" {
			return st, fmt.Errorf("the path should have faulted with %s", o.expected)
		}
	}
	return st, nil
}

// stacksEqual is cmp.Equal(a, b, cmpopts.EquateEmpty()) without
// reflection, which is slow on deep stacks of large frames; cmp.Diff
// explains a difference.
func stacksEqual(a, b spec.Stack) bool {
	if a.Lo != b.Lo || a.Hi != b.Hi || a.SP != b.SP || len(a.Frames) != len(b.Frames) {
		return false
	}
	for f := range a.Frames {
		fa, fb := &a.Frames[f], &b.Frames[f]
		if fa.Func != fb.Func || fa.Size != fb.Size || len(fa.Slots) != len(fb.Slots) {
			return false
		}
		for i := range fa.Slots {
			if fa.Slots[i] != fb.Slots[i] {
				return false
			}
		}
	}
	return true
}

func TestStackEquivalence(t *testing.T) {
	var total stackRunStats
	runs, reasons := 0, map[string]int{}
	rapid.Check(t, func(rt *rapid.T) {
		c := genStackCase(rt)
		st, err := runStackCase(c, false)
		if err != nil {
			rt.Fatalf("%v\nworkload:\n%s", err, c)
		}
		runs++
		total.steps += st.steps
		total.grows += st.grows
		total.shrinks += st.shrinks
		total.faults += st.faults
		total.maxDepth = max(total.maxDepth, st.maxDepth)
		if st.reason != "" {
			reasons[st.reason]++
		}
	})
	t.Logf("%d runs: %d model steps, %d grows, %d shrinks, max depth %d, faults %v",
		runs, total.steps, total.grows, total.shrinks, total.maxDepth, reasons)
	if !t.Failed() && runs >= 100 && (total.grows == 0 || total.shrinks == 0 || len(reasons) < 4) {
		t.Errorf("the generator did not exercise growth, shrinking and every fault reason")
	}
}

// TestStackEquivalenceMutant: impl's copy-no-adjust mutant must make the
// equivalence fail, on a fixed case (model/testdata/mechanisms/stack.txt's)
// and on some of the random cases.
func TestStackEquivalenceMutant(t *testing.T) {
	prog, err := spec.Parse("mutant.gmp", []byte(`
func main frame 16 {
    call grow 3
}
func grow frame 512 {
    ref 1 1:0
    descend grow
    check *1 0
}`))
	if err != nil {
		t.Fatal(err)
	}
	var ops []stackOp
	for n := int64(3); n >= 0; n-- {
		ops = append(ops, stackOp{kind: sopCall, fn: 1, n: n}, stackOp{kind: sopRef, slot: 1, up: 1})
	}
	for range 4 {
		ops = append(ops, stackOp{kind: sopCheck, slot: 1, deref: true}, stackOp{kind: sopReturn})
	}
	fixed := stackCase{cfg: spec.Default(1), prog: prog, ops: ops}
	if _, err := runStackCase(fixed, false); err != nil {
		t.Fatalf("the correct stack: %v", err)
	}
	if _, err := runStackCase(fixed, true); err == nil {
		t.Fatal("the copy-no-adjust mutant agreed with the model")
	} else {
		t.Logf("caught: %v", err)
	}

	gen := rapid.Custom(genStackCase)
	caught, n := 0, 300
	for seed := range n {
		if _, err := runStackCase(gen.Example(seed), true); err != nil {
			caught++
		}
	}
	t.Logf("the mutant is caught by %d of %d random cases", caught, n)
	if caught == 0 {
		t.Fatal("no random case catches the copy-no-adjust mutant")
	}
}
