package properties

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gmplab/gmplab/spec"
)

// The sequential specification of the run queues, for the linearizability
// checks (lin_test.go) and FuzzRunQueue.
//
// The state is every P's runnext and ring and the global queue, with the
// rules of model/runq.go: runqput kicks the old runnext to the ring tail
// and spills the SpillBatch oldest ring Gs plus the G that did not fit to
// the global tail; runqget takes runnext, else the ring head; a steal takes
// StealCount(len) of the oldest ring Gs, and runnext only from an empty
// ring when asked; a global batch is spec.Config.GlobalBatch.
//
// In flight. Three operations of the runtime are not atomic, and a
// concurrent observer can see their middle (each is the runtime's design,
// not a bug):
//
//   - runqput(g, next) CASes g into runnext, then puts the old runnext on
//     the ring tail; in between, a thief can steal g from runnext of an
//     empty ring, which no atomic order allows.
//   - runqputslow takes the batch off the ring with a head CAS, then pushes
//     it to the global queue under sched.lock; in between, the batch is in
//     no queue.
//   - runqsteal (and a global batch) takes Gs off the victim (the global
//     queue), then publishes all but one on the thief's own ring with one
//     tail store; in between, they are in no queue.
//   - runqgrab finds the victim's ring empty, then reads and CASes
//     runnext (after a back-off if the victim is busy) without looking at
//     the ring again: the owner may meanwhile have put Gs on the ring and
//     a new G in runnext, and the thief takes that G from a non-empty
//     ring. Found by TestLinRunQueue under -race (testdata/lin/
//     20261204-runnext-steal-nonempty-ring-ok.hist); the model's atomic
//     steal takes runnext only from an empty ring.
//
// So an operation may leave a pending completion on its P (rqPending):
// the kicked G to put, a batch to push to the global queue, a batch to
// publish on the ring, a runnext to take from the victim. A completion is a separate atomic micro-step that
// happens at any moment after the operation's linearization point and
// before the operation returns. The spec enforces "before it returns" with
// the history's timestamps: an operation called after the pending one
// returned sees it complete (rqInput.Call > rqPending.Ret). Step returns
// every state reachable by any micro-steps after the operation, so
// porcupine's power-set model explores every moment of completion. All
// outputs still are checked exactly: the spill count a kicked G's put
// reports must be what its micro-step does.

// rqOpKind is an operation of a run queue history.
type rqOpKind uint8

const (
	rqPut       rqOpKind = iota // runqput: owner
	rqGet                       // runqget: owner
	rqDrain                     // runqdrain: owner
	rqSteal                     // runqsteal: the thief's owner
	rqEmpty                     // runqempty: anyone
	rqGlobalPut                 // globrunqput: anyone
	rqGlobalGet                 // globrunqgetbatch + runqputbatch: owner
	rqCheck                     // the final snapshot, taken quiescent
	numRqOpKinds
)

var rqOpNames = [numRqOpKinds]string{"Put", "Get", "Drain", "Steal", "Empty", "GlobalPut", "GlobalGet", "Check"}

func (k rqOpKind) String() string {
	if k < numRqOpKinds {
		return rqOpNames[k]
	}
	return fmt.Sprintf("rqOpKind(%d)", k)
}

// rqInput is an operation's input, with its own timestamps (the spec
// needs them to complete pending micro-steps in time).
type rqInput struct {
	Kind   rqOpKind
	P      int      // the owner, thief or caller
	Victim int      // Steal
	G      spec.GID // Put, GlobalPut
	Next   bool     // Put: runnext; Steal: stealRunNextG
	Group  int      // the partition it belongs to
	Call   int64
	Ret    int64
}

// rqOutput is an operation's output.
type rqOutput struct {
	G       spec.GID   // Put: kicked; Get, Steal, GlobalGet: the G returned
	N       int        // Put: spilled; Steal, GlobalGet: how many taken
	Inherit bool       // Get: inheritTime
	Empty   bool       // Empty
	Gs      []spec.GID // Drain
	Snap    *rqSnap    // Check
}

// rqSnap is the visible contents of the queues.
type rqSnap struct {
	Runnext []spec.GID   // by P
	Rings   [][]spec.GID // by P, oldest first
	Global  []spec.GID
}

// rqPendKind is the kind of a pending completion.
type rqPendKind uint8

const (
	pendNone     rqPendKind = iota
	pendKick                // put Gs[0] (the kicked G) on the ring; Spill is the count its put reported
	pendGlobal              // push Gs to the global tail
	pendPublish             // append Gs to the ring tail
	pendTakeNext            // take Gs[0] from runnext of P Victim (a thief's runnext steal)
)

type rqPending struct {
	Kind   rqPendKind
	Gs     []spec.GID
	Spill  int
	Victim int   // pendTakeNext
	Ret    int64 // the operation's return time: complete before anything called later
}

// rqP is one P in the spec state.
type rqP struct {
	Runnext spec.GID
	Ring    []spec.GID
	Pend    rqPending
}

// rqState is a state of the spec. Immutable: every change copies what it
// changes (rings are never appended to in place).
type rqState struct {
	Ps     []rqP
	Global []spec.GID
}

// rqSpec is the specification for one config.
type rqSpec struct {
	cfg spec.Config
}

func (sp *rqSpec) init() rqState {
	return rqState{Ps: make([]rqP, sp.cfg.Procs)}
}

// clone copies s's P slice (the rings are shared and never mutated).
func (s rqState) clone() rqState {
	return rqState{Ps: slices.Clone(s.Ps), Global: s.Global}
}

func appendNew(s []spec.GID, gs ...spec.GID) []spec.GID {
	out := make([]spec.GID, 0, len(s)+len(gs))
	return append(append(out, s...), gs...)
}

// step applies one operation to s and returns every state reachable after
// it (by the operation and then any pending micro-steps), or nil if the
// output is impossible from s.
func (sp *rqSpec) step(s rqState, in rqInput, out rqOutput) []rqState {
	// Pending completions that must be done: those of operations that
	// returned before this one was called, and the caller's own (an owner
	// operation starts after its previous one returned).
	for i := range s.Ps {
		pd := s.Ps[i].Pend
		if pd.Kind == pendNone {
			continue
		}
		if pd.Ret < in.Call || in.Kind == rqCheck || (i == in.P && in.Kind != rqEmpty && in.Kind != rqGlobalPut) {
			return nil // this state has not completed it: another state of the set has
		}
	}
	next, ok := sp.apply(s, in, out)
	if !ok {
		return nil
	}
	return sp.closure(next)
}

// apply is the operation's linearization point. ok is false if out is
// not what the operation returns from s.
func (sp *rqSpec) apply(s rqState, in rqInput, out rqOutput) (rqState, bool) {
	cfg := &sp.cfg
	if in.Kind != rqGlobalPut && in.Kind != rqCheck && (in.P < 0 || in.P >= len(s.Ps)) {
		return s, false
	}
	s = s.clone()
	switch in.Kind {
	case rqPut:
		p := &s.Ps[in.P]
		g := in.G
		if in.Next && cfg.Runnext {
			old := p.Runnext
			p.Runnext = g
			if out.G != old {
				return s, false
			}
			if old == spec.NoG {
				return s, out.N == 0
			}
			p.Pend = rqPending{Kind: pendKick, Gs: []spec.GID{old}, Spill: out.N, Ret: in.Ret}
			return s, true
		}
		if out.G != spec.NoG {
			return s, false
		}
		if len(p.Ring) < cfg.RunqSize {
			p.Ring = appendNew(p.Ring, g)
			return s, out.N == 0
		}
		n := cfg.SpillBatch
		if out.N != n+1 {
			return s, false
		}
		p.Pend = rqPending{Kind: pendGlobal, Gs: appendNew(p.Ring[:n], g), Ret: in.Ret}
		p.Ring = p.Ring[n:]
		return s, true
	case rqGet:
		p := &s.Ps[in.P]
		if p.Runnext != spec.NoG {
			ok := out.G == p.Runnext && out.Inherit
			p.Runnext = spec.NoG
			return s, ok
		}
		if len(p.Ring) == 0 {
			return s, out.G == spec.NoG && !out.Inherit
		}
		ok := out.G == p.Ring[0] && !out.Inherit
		p.Ring = p.Ring[1:]
		return s, ok
	case rqDrain:
		p := &s.Ps[in.P]
		var want []spec.GID
		if p.Runnext != spec.NoG {
			want = append(want, p.Runnext)
		}
		want = append(want, p.Ring...)
		p.Runnext, p.Ring = spec.NoG, nil
		return s, slices.Equal(want, out.Gs)
	case rqSteal:
		if in.Victim < 0 || in.Victim >= len(s.Ps) || in.Victim == in.P {
			return s, false
		}
		th, v := &s.Ps[in.P], &s.Ps[in.Victim]
		if th.Runnext != spec.NoG || len(th.Ring) != 0 {
			return s, false // the lab refuses a steal into a non-empty queue
		}
		if L := len(v.Ring); L > 0 {
			k := cfg.StealCount(L)
			stolen := v.Ring[:k]
			if out.N != k || out.G != stolen[k-1] {
				return s, false
			}
			v.Ring = v.Ring[k:]
			if k > 1 {
				th.Pend = rqPending{Kind: pendPublish, Gs: stolen[:k-1], Ret: in.Ret}
			}
			return s, true
		}
		if in.Next && out.N == 1 && out.G != spec.NoG {
			// The ring is empty now; the thief takes runnext later, in
			// a micro-step (see "In flight": runqgrab reads runnext after
			// it found the ring empty, and does not look at the ring
			// again).
			th.Pend = rqPending{Kind: pendTakeNext, Gs: []spec.GID{out.G}, Victim: in.Victim, Ret: in.Ret}
			return s, true
		}
		return s, out.N == 0 && out.G == spec.NoG
	case rqEmpty:
		p := &s.Ps[in.P]
		return s, out.Empty == (p.Runnext == spec.NoG && len(p.Ring) == 0)
	case rqGlobalPut:
		s.Global = appendNew(s.Global, in.G)
		return s, true
	case rqGlobalGet:
		p := &s.Ps[in.P]
		if p.Runnext != spec.NoG || len(p.Ring) != 0 {
			return s, false // the lab refuses it on a non-empty queue
		}
		if len(s.Global) == 0 {
			return s, out.N == 0 && out.G == spec.NoG
		}
		k := cfg.GlobalBatch(len(s.Global))
		batch := s.Global[:k]
		s.Global = s.Global[k:]
		if out.N != k || out.G != batch[0] {
			return s, false
		}
		if k > 1 {
			p.Pend = rqPending{Kind: pendPublish, Gs: batch[1:], Ret: in.Ret}
		}
		return s, true
	case rqCheck:
		if out.Snap == nil {
			return s, false
		}
		return s, sp.matches(s, in.Group, out.Snap)
	}
	return s, false
}

// matches reports whether s shows exactly snap. A snapshot of one
// partition has only that partition's Gs (the others are empty in s).
func (sp *rqSpec) matches(s rqState, group int, snap *rqSnap) bool {
	if len(snap.Runnext) != len(s.Ps) || len(snap.Rings) != len(s.Ps) {
		return false
	}
	for i, p := range s.Ps {
		if p.Runnext != snap.Runnext[i] || !slices.Equal(p.Ring, snap.Rings[i]) {
			return false
		}
	}
	return slices.Equal(s.Global, snap.Global)
}

// micro completes one micro-step of P i's pending completion; ok is false
// if that is impossible (a kicked G's put whose spill differs from the
// one its Put reported).
func (sp *rqSpec) micro(s rqState, i int) (rqState, bool) {
	s = s.clone()
	p := &s.Ps[i]
	pd := p.Pend
	p.Pend = rqPending{}
	switch pd.Kind {
	case pendKick:
		g := pd.Gs[0]
		if len(p.Ring) < sp.cfg.RunqSize {
			p.Ring = appendNew(p.Ring, g)
			return s, pd.Spill == 0
		}
		n := sp.cfg.SpillBatch
		if pd.Spill != n+1 {
			return s, false
		}
		p.Pend = rqPending{Kind: pendGlobal, Gs: appendNew(p.Ring[:n], g), Ret: pd.Ret}
		p.Ring = p.Ring[n:]
	case pendGlobal:
		s.Global = appendNew(s.Global, pd.Gs...)
	case pendPublish:
		p.Ring = appendNew(p.Ring, pd.Gs...)
	case pendTakeNext:
		v := &s.Ps[pd.Victim]
		if v.Runnext != pd.Gs[0] {
			return s, false
		}
		v.Runnext = spec.NoG
	}
	return s, true
}

// closure returns s and every state reachable from it by micro-steps, in
// any order, without duplicates.
func (sp *rqSpec) closure(s rqState) []rqState {
	out := []rqState{s}
	for i := 0; i < len(out); i++ {
		for p := range out[i].Ps {
			if out[i].Ps[p].Pend.Kind == pendNone {
				continue
			}
			n, ok := sp.micro(out[i], p)
			if ok && !slices.ContainsFunc(out, func(o rqState) bool { return rqEqual(o, n) }) {
				out = append(out, n)
			}
		}
	}
	return out
}

func rqEqual(a, b rqState) bool {
	if len(a.Ps) != len(b.Ps) || !slices.Equal(a.Global, b.Global) {
		return false
	}
	for i := range a.Ps {
		x, y := &a.Ps[i], &b.Ps[i]
		if x.Runnext != y.Runnext || !slices.Equal(x.Ring, y.Ring) ||
			x.Pend.Kind != y.Pend.Kind || x.Pend.Spill != y.Pend.Spill || x.Pend.Victim != y.Pend.Victim || x.Pend.Ret != y.Pend.Ret || !slices.Equal(x.Pend.Gs, y.Pend.Gs) {
			return false
		}
	}
	return true
}

func rqHash(s rqState) uint64 {
	h := uint64(14695981039346656037)
	mix := func(v uint64) { h = (h ^ v) * 1099511628211 }
	for _, p := range s.Ps {
		mix(uint64(p.Runnext))
		mix(uint64(len(p.Ring)))
		for _, g := range p.Ring {
			mix(uint64(g))
		}
		mix(uint64(p.Pend.Kind))
		for _, g := range p.Pend.Gs {
			mix(uint64(g))
		}
	}
	mix(uint64(len(s.Global)))
	for _, g := range s.Global {
		mix(uint64(g))
	}
	return h
}

func gidsString(gs []spec.GID) string {
	parts := make([]string, len(gs))
	for i, g := range gs {
		parts[i] = g.String()
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func (s rqState) String() string {
	var b strings.Builder
	for i, p := range s.Ps {
		fmt.Fprintf(&b, "p%d{next=%v ring=%s", i, p.Runnext, gidsString(p.Ring))
		if p.Pend.Kind != pendNone {
			fmt.Fprintf(&b, " pending=%s%s", [...]string{"", "kick", "global", "publish", "take-runnext"}[p.Pend.Kind], gidsString(p.Pend.Gs))
		}
		b.WriteString("} ")
	}
	fmt.Fprintf(&b, "global=%s", gidsString(s.Global))
	return b.String()
}
