package properties

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gmplab/gmplab/model"
	"github.com/gmplab/gmplab/spec"
)

// Per-mechanism properties
//
// Each Mechanism states one scheduling rule of go1.26.8 as a property of a
// single transition: the snapshot before a step, the action, the step's
// trace events and the snapshot after it. They are written against the
// shared contract (spec.Snapshot, spec.Event) only, so the same checks run
// over the model's steps and over the implementation's drive-mode steps
// (mechwalk.go). The expectation is derived from the rule and the
// snapshot before the step, never from the form under test.

// Transition is one step of a run as the properties see it.
type Transition struct {
	Cfg       *spec.Config
	Pre, Post *spec.Snapshot
	Action    model.Action
	Events    []spec.Event // the step's events: the action's own first, then its effects
	Ended     bool         // the run is over after the step (main exited or a fatal error)
	// CallFrame is, for a Call, the frame size of the function called
	// (from the workload and the G's program counter, which the snapshot
	// does not hold); 0 when unknown.
	CallFrame int64
}

// callFrame returns the frame size of the function a Call action in s
// calls, or 0.
func callFrame(s *model.State, a model.Action) int64 {
	c, ok := a.(model.Call)
	if !ok || int(c.M) >= len(s.Ms) {
		return 0
	}
	g := s.Ms[c.M].Curg
	if g == spec.NoG || s.Gs[g-1].Stack.Top == nil {
		return 0
	}
	f := s.Gs[g-1].Stack.Top
	code := s.Env.Code
	in := code.Funcs[f.Fn].Instrs[f.PC]
	if in.Op != spec.OpCall && in.Op != spec.OpDescend {
		return 0
	}
	return code.Funcs[in.Fn].Frame
}

// Mechanism is one rule as a transition property. New returns a fresh
// checker for one run (a rule may keep state across the steps of a run,
// like fairness-61); the checker returns nil or what broke the rule.
type Mechanism struct {
	Name string
	Rule string
	New  func() func(*Transition) error
}

func stateless(f func(*Transition) error) func() func(*Transition) error {
	return func() func(*Transition) error { return f }
}

// Mechanisms lists the per-mechanism properties, in the order they are
// checked after each step.
var Mechanisms = []Mechanism{
	{"steal-amount", "a steal moves ceil(half) of the victim's ring (one under steal-amount=one), oldest first; the thief runs the youngest stolen G and queues the rest; runnext only from an empty ring in a runnext round (proc.go:7662-7747)", stateless(checkSteal)},
	{"runnext-put", "spawn and ready put the G in runnext and kick the old runnext to the ring tail (proc.go:7478-7520)", stateless(checkRunnextPut)},
	{"spill", "a put on a full ring moves the SpillBatch oldest Gs, then the kicked G, in order, to the global tail (proc.go:7524-7560)", stateless(checkSpill)},
	{"global-check-61", "when schedtick % 61 == 0 and the global queue is not empty, findRunnable runs the global head (proc.go:3443)", stateless(checkFindRunnable("global-check-61"))},
	{"runnext-first-inherits", "runqget takes runnext before the ring and the G inherits the slice: schedtick unchanged (proc.go:7600-7606, 3331-3386)", stateless(checkFindRunnable("runnext-first-inherits"))},
	{"ring-fifo", "with no runnext, runqget takes the ring's oldest G in a new slice (proc.go:7608-7618)", stateless(checkFindRunnable("ring-fifo"))},
	{"global-batch", "with an empty local queue, findRunnable takes min(128, size, size/GOMAXPROCS+1) Gs from the global head, runs the first and queues the rest (proc.go:7293-7310)", stateless(checkFindRunnable("global-batch"))},
	{"gosched-global-tail", "a Gosched or preempted G goes to the global tail (proc.go:4307-4346)", stateless(checkGosched)},
	{"syscall-exit", "exitsyscall: with a P the G runs on in the same slice (fast: its own P); without one it goes to the global tail and the M stops (proc.go:4883-5116)", stateless(checkExitSyscall)},
	{"procresize-global-head", "GOMAXPROCS down: each removed P's Gs go to the global head, runnext first, the last P's in front (proc.go:5947-6020, 6030-6251)", stateless(checkProcresize)},
	{"stack-grow-doubles", "a grow doubles the stack until the new frame and the guard fit (stack.go:1177-1191)", stateless(checkStackGrow)},
	{"stack-shrink-halves", "a GC halves exactly the stacks with used+800 < size/4 whose half is at least 2KB (stack.go:1286-1335)", stateless(checkStackShrink)},
	{"stack-copy-adjusts", "a stack copy moves every pointer into the stack by new.hi-old.hi, keeping its target (stack.go:929-1032)", stateless(checkStackCopy)},
	{"work-conservation", "no P is idle while a G waits on a run queue, unless an M is spinning or about to schedule (wakep, resetspinning: proc.go:3212-3246, 4021-4035)", stateless(checkWorkConservation)},
	{"fairness-61", "with GOMAXPROCS=1, a G at the global head runs within 61 slices however long the local stream (proc.go:3443)", newFairness},
}

// MechanismByName returns the Mechanism called name.
func MechanismByName(name string) (Mechanism, bool) {
	for _, m := range Mechanisms {
		if m.Name == name {
			return m, true
		}
	}
	return Mechanism{}, false
}

// --- lookups -------------------------------------------------------------

func snapP(s *spec.Snapshot, id spec.PID) *spec.PState {
	if int(id) >= 0 && int(id) < len(s.Ps) && s.Ps[id].ID == id {
		return &s.Ps[id]
	}
	for i := range s.Ps {
		if s.Ps[i].ID == id {
			return &s.Ps[i]
		}
	}
	return nil
}

func snapM(s *spec.Snapshot, id spec.MID) *spec.MState {
	if int(id) >= 0 && int(id) < len(s.Ms) && s.Ms[id].ID == id {
		return &s.Ms[id]
	}
	for i := range s.Ms {
		if s.Ms[i].ID == id {
			return &s.Ms[i]
		}
	}
	return nil
}

func snapG(s *spec.Snapshot, id spec.GID) *spec.GState {
	if i := int(id) - 1; i >= 0 && i < len(s.Gs) && s.Gs[i].ID == id {
		return &s.Gs[i]
	}
	for i := range s.Gs {
		if s.Gs[i].ID == id {
			return &s.Gs[i]
		}
	}
	return nil
}

// firstEvent returns the first event of kind k, or nil.
func (tr *Transition) firstEvent(k string) *spec.Event {
	for i := range tr.Events {
		if tr.Events[i].Kind == k {
			return &tr.Events[i]
		}
	}
	return nil
}

func (tr *Transition) eventsOf(k string) []*spec.Event {
	var out []*spec.Event
	for i := range tr.Events {
		if tr.Events[i].Kind == k {
			out = append(out, &tr.Events[i])
		}
	}
	return out
}

func arg(ev *spec.Event, key string) string {
	if ev == nil {
		return ""
	}
	for _, a := range ev.Args {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// actorP returns the M of an M action and the P it held before the step.
func (tr *Transition) actorP(m spec.MID) (*spec.MState, *spec.PState) {
	mm := snapM(tr.Pre, m)
	if mm == nil {
		return nil, nil
	}
	return mm, snapP(tr.Pre, mm.P)
}

func concat(qs ...[]spec.GID) []spec.GID {
	var out []spec.GID
	for _, q := range qs {
		out = append(out, q...)
	}
	return out
}

func eqQ(a, b []spec.GID) bool { return slices.Equal(a, b) }

// --- run queues ----------------------------------------------------------

func checkSteal(tr *Transition) error {
	a, ok := tr.Action.(model.Steal)
	if !ok {
		return nil
	}
	_, tp := tr.actorP(a.M)
	vp := snapP(tr.Pre, a.Victim)
	if tp == nil || vp == nil {
		return nil
	}
	tpost, vpost, mpost := snapP(tr.Post, tp.ID), snapP(tr.Post, a.Victim), snapM(tr.Post, a.M)
	run := mpost.Curg
	L := len(vp.Runq)
	if L == 0 {
		switch {
		case vp.Runnext == spec.NoG:
			return fmt.Errorf("%v stole from %v, whose local queue was empty", a.M, a.Victim)
		case run != vp.Runnext || vpost.Runnext != spec.NoG || !eqQ(tpost.Runq, tp.Runq):
			return fmt.Errorf("%v stole %v's runnext %v but runs %v (victim runnext now %v, thief ring %v -> %v)", a.M, a.Victim, vp.Runnext, run, vpost.Runnext, tp.Runq, tpost.Runq)
		case a.Round != tr.Cfg.StealRounds-1 && tr.Cfg.StealRunnextLastRoundOnly:
			return fmt.Errorf("%v took %v's runnext in round %d, not the last round (%d)", a.M, a.Victim, a.Round, tr.Cfg.StealRounds-1)
		}
		return nil
	}
	if vpost.Runnext != vp.Runnext {
		return fmt.Errorf("%v took %v's runnext %v although its ring held %d G(s) %v", a.M, a.Victim, vp.Runnext, L, vp.Runq)
	}
	k := tr.Cfg.StealCount(L)
	took := L - len(vpost.Runq)
	if took != k || !eqQ(vpost.Runq, vp.Runq[min(k, L):]) {
		return fmt.Errorf("%v stole %d G(s) from %v's ring of %d %v (left %v); StealCount(%d) = %d", a.M, took, a.Victim, L, vp.Runq, vpost.Runq, L, k)
	}
	if run != vp.Runq[k-1] || !eqQ(tpost.Runq, concat(tp.Runq, vp.Runq[:k-1])) {
		return fmt.Errorf("%v stole %v from %v: runs %v (want the youngest, %v) and queues %v (want %v)", a.M, vp.Runq[:k], a.Victim, run, vp.Runq[k-1], tpost.Runq, concat(tp.Runq, vp.Runq[:k-1]))
	}
	return nil
}

// putTarget returns, for a Spawn or a Ready that wakes a G, the P, the G
// put with next=true, and the G bound for the ring tail (the kicked
// runnext, or the G itself with runnext off; NoG if none).
func (tr *Transition) putTarget() (pp *spec.PState, put, tail spec.GID, ok bool) {
	var m spec.MID
	switch a := tr.Action.(type) {
	case model.Spawn:
		m = a.M
		if len(tr.Events) == 0 {
			return nil, 0, 0, false
		}
		n, err := strconv.Atoi(strings.TrimPrefix(arg(&tr.Events[0], "new"), "g"))
		if err != nil {
			return nil, 0, 0, false
		}
		put = spec.GID(n)
	case model.Ready:
		if a.Waiter == spec.NoG {
			return nil, 0, 0, false
		}
		m, put = a.M, a.Waiter
	default:
		return nil, 0, 0, false
	}
	_, pp = tr.actorP(m)
	if pp == nil {
		return nil, 0, 0, false
	}
	tail = put
	if tr.Cfg.Runnext {
		tail = pp.Runnext
	}
	return pp, put, tail, true
}

func checkRunnextPut(tr *Transition) error {
	pp, put, tail, ok := tr.putTarget()
	if !ok || tr.Ended {
		return nil
	}
	post := snapP(tr.Post, pp.ID)
	if tr.Cfg.Runnext && post.Runnext != put {
		return fmt.Errorf("%s: %v's runnext is %v, want %v", tr.Action, pp.ID, post.Runnext, put)
	}
	if tail != spec.NoG && len(pp.Runq) < tr.Cfg.RunqSize && !eqQ(post.Runq, concat(pp.Runq, []spec.GID{tail})) {
		return fmt.Errorf("%s: %v's ring %v -> %v, want %v at its tail", tr.Action, pp.ID, pp.Runq, post.Runq, tail)
	}
	return nil
}

func checkSpill(tr *Transition) error {
	pp, _, tail, ok := tr.putTarget()
	if !ok || tail == spec.NoG || len(pp.Runq) < tr.Cfg.RunqSize || tr.Ended {
		return nil
	}
	n := tr.Cfg.SpillBatch
	post := snapP(tr.Post, pp.ID)
	want := concat(tr.Pre.Global, pp.Runq[:n], []spec.GID{tail})
	if !eqQ(tr.Post.Global, want) || !eqQ(post.Runq, pp.Runq[n:]) {
		return fmt.Errorf("%s on %v's full ring %v: global %v -> %v, want %v; ring now %v, want %v", tr.Action, pp.ID, pp.Runq, tr.Pre.Global, tr.Post.Global, want, post.Runq, pp.Runq[n:])
	}
	if ev := tr.firstEvent("Spill"); ev == nil || arg(ev, "n") != strconv.Itoa(n+1) {
		return fmt.Errorf("%s: spill event %v, want n=%d", tr.Action, ev, n+1)
	}
	return nil
}

// checkFindRunnable checks the part of findRunnable's local order named
// rule: which case applies is derived from the snapshot before the
// Schedule, and only that case's rule checks it.
func checkFindRunnable(rule string) func(*Transition) error {
	return func(tr *Transition) error {
		a, ok := tr.Action.(model.Schedule)
		if !ok {
			return nil
		}
		_, pp := tr.actorP(a.M)
		if pp == nil {
			return nil
		}
		post := snapP(tr.Post, pp.ID)
		run := tr.firstEvent("Run")
		per := uint32(tr.Cfg.GlobalCheckPeriod)
		glob := tr.Pre.Global
		got := func() string {
			if run == nil {
				return "nothing ran"
			}
			return fmt.Sprintf("ran %v (src=%s inherit=%s), schedtick %d -> %d", run.G, arg(run, "src"), arg(run, "inherit"), pp.Schedtick, post.Schedtick)
		}
		switch {
		case per > 0 && pp.Schedtick%per == 0 && len(glob) > 0:
			if rule == "global-check-61" && (run == nil || run.G != glob[0] || arg(run, "src") != "global" || !eqQ(tr.Post.Global, glob[1:]) || post.Schedtick != pp.Schedtick+1) {
				return fmt.Errorf("Schedule on %v at schedtick %d (%% %d == 0) with global %v: %s, global now %v; want the global head %v alone, in a new slice", pp.ID, pp.Schedtick, per, glob, got(), tr.Post.Global, glob[0])
			}
		case pp.Runnext != spec.NoG:
			if rule == "runnext-first-inherits" && (run == nil || run.G != pp.Runnext || arg(run, "inherit") != "true" || post.Schedtick != pp.Schedtick) {
				return fmt.Errorf("Schedule on %v with runnext %v: %s; want %v in the same slice (schedtick %d)", pp.ID, pp.Runnext, got(), pp.Runnext, pp.Schedtick)
			}
		case len(pp.Runq) > 0:
			if rule == "ring-fifo" && (run == nil || run.G != pp.Runq[0] || post.Schedtick != pp.Schedtick+1) {
				return fmt.Errorf("Schedule on %v with ring %v: %s; want %v in a new slice", pp.ID, pp.Runq, got(), pp.Runq[0])
			}
		case len(glob) > 0:
			if rule != "global-batch" {
				return nil
			}
			c := *tr.Cfg
			c.Procs = tr.Pre.Procs
			n := c.GlobalBatch(len(glob))
			if run == nil || run.G != glob[0] || !eqQ(post.Runq, glob[1:n]) || !eqQ(tr.Post.Global, glob[n:]) {
				return fmt.Errorf("Schedule on %v with global %v (GOMAXPROCS %d): %s, ring %v, global %v; want a batch of %d: run %v, ring %v", pp.ID, glob, c.Procs, got(), post.Runq, tr.Post.Global, n, glob[0], glob[1:n])
			}
		}
		return nil
	}
}

func checkGosched(tr *Transition) error {
	var m spec.MID
	switch a := tr.Action.(type) {
	case model.Gosched:
		m = a.M
	case model.Preempt:
		m = a.M
	default:
		return nil
	}
	mm := snapM(tr.Pre, m)
	if want := concat(tr.Pre.Global, []spec.GID{mm.Curg}); !eqQ(tr.Post.Global, want) {
		return fmt.Errorf("%s: global %v -> %v, want %v at the tail", tr.Action, tr.Pre.Global, tr.Post.Global, mm.Curg)
	}
	return nil
}

func checkExitSyscall(tr *Transition) error {
	a, ok := tr.Action.(model.ExitSyscall)
	if !ok || tr.Ended {
		return nil
	}
	pre, post := snapM(tr.Pre, a.M), snapM(tr.Post, a.M)
	g := pre.Curg
	path := ""
	if len(tr.Events) > 0 {
		path = arg(&tr.Events[0], "path")
	}
	if path == "no-p" {
		if !eqQ(tr.Post.Global, concat(tr.Pre.Global, []spec.GID{g})) || post.P != spec.NoP || len(tr.Pre.IdleP) > 0 {
			return fmt.Errorf("ExitSyscall of %v without a P (idle Ps before: %v): global %v -> %v, M's P %v; want %v at the global tail and the M stopped", g, tr.Pre.IdleP, tr.Pre.Global, tr.Post.Global, post.P, g)
		}
		return nil
	}
	if post.Curg != g || post.P == spec.NoP || snapG(tr.Post, g).Status != spec.GRunning {
		return fmt.Errorf("ExitSyscall of %v (path %s): the M runs %v with P %v; want %v running", g, path, post.Curg, post.P, g)
	}
	if path == "fast" && post.P != pre.P {
		return fmt.Errorf("ExitSyscall of %v: fast path on %v, but the M held %v", g, post.P, pre.P)
	}
	before := snapP(tr.Pre, post.P)
	if after := snapP(tr.Post, post.P); before != nil && after.Schedtick != before.Schedtick {
		return fmt.Errorf("ExitSyscall of %v on %v: schedtick %d -> %d; the G continues its slice", g, post.P, before.Schedtick, after.Schedtick)
	}
	return nil
}

func checkProcresize(tr *Transition) error {
	a, ok := tr.Action.(model.Gomaxprocs)
	if !ok || tr.Ended || tr.firstEvent("Spill") != nil {
		return nil
	}
	if len(tr.Events) == 0 {
		return nil
	}
	to, err := strconv.Atoi(arg(&tr.Events[0], "to"))
	if err != nil || to >= tr.Pre.Procs {
		return nil
	}
	var prefix []spec.GID
	for i := tr.Pre.Procs - 1; i >= to; i-- {
		pp := snapP(tr.Pre, spec.PID(i))
		// The stop-the-world first puts a G running on the P into its
		// runnext (kicking the old runnext to the ring tail), or at the
		// ring tail with runnext off.
		var running spec.GID
		if pp.M != spec.NoM && pp.M != a.M {
			if c := snapM(tr.Pre, pp.M).Curg; c != spec.NoG && snapG(tr.Pre, c).Status == spec.GRunning {
				running = c
			}
		}
		switch {
		case running != spec.NoG && !tr.Cfg.Runnext:
			prefix = concat(prefix, pp.Runq, []spec.GID{running}) // runqput ignores next
		case running != spec.NoG && pp.Runnext != spec.NoG:
			prefix = concat(prefix, []spec.GID{running}, pp.Runq, []spec.GID{pp.Runnext})
		case running != spec.NoG:
			prefix = concat(prefix, []spec.GID{running}, pp.Runq)
		case pp.Runnext != spec.NoG:
			prefix = concat(prefix, []spec.GID{pp.Runnext}, pp.Runq)
		default:
			prefix = concat(prefix, pp.Runq)
		}
	}
	if want := concat(prefix, tr.Pre.Global); !eqQ(tr.Post.Global, want) {
		return fmt.Errorf("Gomaxprocs %d -> %d: global %v -> %v, want %v (removed Ps' Gs at the head, runnext first)", tr.Pre.Procs, to, tr.Pre.Global, tr.Post.Global, want)
	}
	return nil
}

// --- stacks ----------------------------------------------------------------

func used(st *spec.Stack) int64 { return int64(st.Hi - st.SP) }

func checkStackGrow(tr *Transition) error {
	for _, ev := range tr.eventsOf("Grow") {
		pre, post := snapG(tr.Pre, ev.G), snapG(tr.Post, ev.G)
		if pre == nil || post == nil {
			continue
		}
		from, _ := strconv.ParseInt(arg(ev, "from"), 10, 64)
		to, _ := strconv.ParseInt(arg(ev, "to"), 10, 64)
		frame := tr.CallFrame
		if frame == 0 {
			continue
		}
		u := used(&pre.Stack)
		want := 2 * from
		for want-u < frame+tr.Cfg.StackGuard {
			want *= 2
		}
		// The G may have returned by the end of the step (its stack
		// then still has the grown size) or died; only a live G's size is
		// compared.
		if from != pre.Stack.Size() || to != want || (post.Status != spec.GDead && post.Stack.Size() != to) {
			return fmt.Errorf("%v grew %d -> %d (stack now %d) calling a %d-byte frame with %d used; want %d -> %d", ev.G, from, to, post.Stack.Size(), frame, u, pre.Stack.Size(), want)
		}
	}
	return nil
}

func checkStackShrink(tr *Transition) error {
	if _, ok := tr.Action.(model.GC); !ok || tr.Ended {
		return nil
	}
	shrunk := map[spec.GID]*spec.Event{}
	for _, ev := range tr.eventsOf("Shrink") {
		shrunk[ev.G] = ev
	}
	for i := range tr.Pre.Gs {
		g := &tr.Pre.Gs[i]
		if g.Status == spec.GDead || g.Status == spec.GSyscall {
			continue
		}
		size := g.Stack.Size()
		should := size/2 >= tr.Cfg.StackMin && used(&g.Stack)+tr.Cfg.StackShrinkReserve < size/4
		ev := shrunk[g.ID]
		if should != (ev != nil) {
			return fmt.Errorf("GC: %v's stack of %d with %d used shrank=%v; want %v (used+%d < size/4 and size/2 >= %d)", g.ID, size, used(&g.Stack), ev != nil, should, tr.Cfg.StackShrinkReserve, tr.Cfg.StackMin)
		}
		if ev != nil {
			if post := snapG(tr.Post, g.ID); post.Stack.Size() != size/2 || arg(ev, "to") != strconv.FormatInt(size/2, 10) {
				return fmt.Errorf("GC: %v's stack %d -> %d (event to=%s); want %d", g.ID, size, post.Stack.Size(), arg(ev, "to"), size/2)
			}
		}
	}
	return nil
}

func checkStackCopy(tr *Transition) error {
	evs := append(tr.eventsOf("Grow"), tr.eventsOf("Shrink")...)
	for _, ev := range evs {
		pre, post := snapG(tr.Pre, ev.G), snapG(tr.Post, ev.G)
		if pre == nil || post == nil {
			continue
		}
		delta := post.Stack.Hi - pre.Stack.Hi
		n := min(len(pre.Stack.Frames), len(post.Stack.Frames))
		for f := range n {
			pf, qf := &pre.Stack.Frames[f], &post.Stack.Frames[f]
			for s := range min(len(pf.Slots), len(qf.Slots)) {
				w, v := pf.Slots[s], qf.Slots[s]
				if !w.Ptr || w.Val < pre.Stack.SP || w.Val >= pre.Stack.Hi || !v.Ptr || v.Target != w.Target {
					continue // not a pointer into the stack, or the G overwrote it after the copy
				}
				if v.Val != w.Val+delta {
					return fmt.Errorf("%s of %v (%d -> %d bytes): frame %d (%s) slot %d points to %#x, want %#x (was %#x, delta %#x)", ev.Kind, ev.G, pre.Stack.Size(), post.Stack.Size(), f, qf.Func, s, v.Val, w.Val+delta, w.Val, delta)
				}
			}
		}
	}
	return nil
}

// --- work conservation and fairness ---------------------------------------

// checkWorkConservation: after any step, if a P is idle and no M is
// spinning or holds a P without a G (about to run findRunnable), then no G
// may wait in the global queue or in the local queue of a P whose M runs
// a G (a P whose M is blocked in a syscall is sysmon's to retake).
func checkWorkConservation(tr *Transition) error {
	s := tr.Post
	if tr.Ended || len(s.IdleP) == 0 || s.NMSpinning > 0 {
		return nil
	}
	for i := range s.Ms {
		if s.Ms[i].P != spec.NoP && s.Ms[i].Curg == spec.NoG {
			return nil
		}
	}
	if len(s.Global) > 0 {
		return fmt.Errorf("after %s: %v idle, no M spinning, and the global queue holds %v", tr.Action, s.IdleP, s.Global)
	}
	for i := range s.Ps {
		p := &s.Ps[i]
		if p.Status != spec.PRunning || p.M == spec.NoM || (len(p.Runq) == 0 && p.Runnext == spec.NoG) {
			continue
		}
		if c := snapM(s, p.M).Curg; c != spec.NoG && snapG(s, c).Status == spec.GSyscall {
			continue
		}
		return fmt.Errorf("after %s: %v idle, no M spinning, and %v (running %v) holds runnext %v and ring %v", tr.Action, s.IdleP, p.ID, snapM(s, p.M).Curg, p.Runnext, p.Runq)
	}
	return nil
}

// newFairness: with GOMAXPROCS=1 throughout, a G that reached the global
// head is taken off it before P0's schedtick has advanced more than
// GlobalCheckPeriod since.
func newFairness() func(*Transition) error {
	head, since := spec.NoG, uint32(0)
	return func(tr *Transition) error {
		per := uint32(tr.Cfg.GlobalCheckPeriod)
		if per == 0 || tr.Pre.Procs != 1 || tr.Post.Procs != 1 || tr.Ended {
			head = spec.NoG
			return nil
		}
		tick := tr.Post.Ps[0].Schedtick
		if len(tr.Post.Global) == 0 {
			head = spec.NoG
			return nil
		}
		if h := tr.Post.Global[0]; h != head {
			head, since = h, tick
			return nil
		}
		if tick-since > per {
			return fmt.Errorf("%v has been at the global head for %d slices (schedtick %d -> %d), more than %d", head, tick-since, since, tick, per)
		}
		return nil
	}
}
