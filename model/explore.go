package model

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gmplab/gmplab/spec"
)

// The model-level checks the explorer makes besides the invariants of
// spec.Invariants. Each is a property that must hold, named like the
// invariants; a violation reports it under this name.
const (
	// CheckProgress: a state that has not ended and is not deadlocked (some
	// G is runnable, running or in a syscall) has an enabled action. A
	// stuck state is a lost wake-up: runnable Gs that no M will ever run.
	CheckProgress = "Progress"
	// CheckStepEnabled: Step accepts every action that Enabled lists.
	CheckStepEnabled = "StepEnabled"
	// CheckStepChanges: every action that Enabled lists changes the state
	// (Enabled's contract: no self-loops).
	CheckStepChanges = "StepChanges"
	// CheckNoPanic: neither Enabled nor Step nor the invariants panic.
	CheckNoPanic = "NoPanic"
)

// (CheckStealRunnext, a check of each step, is in stealcheck.go.)

// ModelChecks lists the explorer's model-level checks: the names an
// ExploreOptions.Invariants filter may use besides spec.Invariants' names.
func ModelChecks() []string {
	return []string{CheckProgress, CheckStepEnabled, CheckStepChanges, CheckNoPanic, CheckStealRunnext}
}

// ExploreOptions bounds and instruments Explore. The zero value explores
// everything, checks everything and stops at the first violation.
type ExploreOptions struct {
	// MaxStates stops the search once this many distinct states are
	// known (0 = unlimited). A search cut short is reported as incomplete
	// (ExploreResult.Complete false), never as a pass.
	MaxStates int
	// MaxDepth: states at this BFS depth (actions from the initial state)
	// are checked but not expanded (0 = unlimited). If any of them has an
	// enabled action, the result is incomplete.
	MaxDepth int
	// Invariants selects the checks by name: names from spec.Invariants
	// and ModelChecks. Empty means all. Unknown names are an error.
	// CheckStepEnabled and CheckNoPanic are always on: a step that fails
	// or panics leaves no state to go on from.
	Invariants []string
	// Exclude lists action kinds (spec.ActionKinds) the search never
	// takes, to explore a restricted model (say, without SysmonPreempt
	// or Steal). Complete then means complete for the restricted model.
	// Progress still counts excluded actions as enabled.
	Exclude []string
	// MaxViolations is how many violations to collect before stopping
	// (0 or 1: stop at the first). A violating state is not expanded.
	MaxViolations int
	// Progress, if set, is called about once every ProgressEvery (default
	// one second) during the search, from Explore's goroutine.
	Progress      func(ProgressInfo)
	ProgressEvery time.Duration
}

// ProgressInfo is a progress report of a running search.
type ProgressInfo struct {
	States       int // distinct states so far
	Transitions  int // steps taken so far
	Depth        int // the BFS depth being expanded
	Queue        int // states waiting to be expanded
	Elapsed      time.Duration
	StatesPerSec float64 // distinct states per second so far
}

// Violation is a broken check: its name (a spec invariant or one of
// ModelChecks), its message and the shortest action sequence from the
// initial state that breaks it.
type Violation struct {
	Invariant string
	Message   string
	// Trace leads from the initial state to State, the state that breaks
	// the check. When Step fails or panics (CheckStepEnabled, CheckNoPanic
	// in Step), the trace's last action is the one that failed and State
	// is the state before it: replaying the trace fails at that action.
	Trace []Action
	State State
}

func (v *Violation) Error() string { return v.Invariant + ": " + v.Message }

// Terminals counts the distinct terminal states by kind.
type Terminals struct {
	Exited   int            // main returned
	Deadlock int            // every live G is parked
	Fatal    map[string]int // fatal errors by reason (stack-overflow, check-failed, bad-pointer, bad-ref)
}

// ExploreResult is what a search found.
type ExploreResult struct {
	// Distinct is the number of distinct states reached (by fingerprint),
	// the initial state included.
	Distinct int
	// Transitions is the number of steps taken: (state, enabled action)
	// pairs, whether or not they lead to a new state.
	Transitions int
	// Depth is the largest BFS depth of a state reached: the length of the
	// longest shortest path from the initial state.
	Depth int
	// Actions counts the transitions by action kind.
	Actions   map[string]int
	Terminals Terminals
	Elapsed   time.Duration
	// StatesPerSec is Distinct / Elapsed.
	StatesPerSec float64
	// Complete reports that every reachable state was expanded (violating
	// states aside): no state or depth limit cut the search and it did not
	// stop at a violation. A search that collected fewer violations than
	// MaxViolations and ran out of states is complete, and failed.
	Complete bool
	// Violation is the first violation found, nil if none. Violations
	// are found in order of their traces' length, so no shorter trace
	// breaks any check.
	Violation *Violation
	// Violations are all violations collected (up to MaxViolations).
	Violations []*Violation
	// Digest is a canonical digest of the reached set: the hex SHA-256 of
	// the sorted fingerprints (State.Fingerprint), 8 bytes big-endian
	// each. It depends only on the set of states, not on the search
	// order, so TLC's side computes the same from its dumped states
	// mapped into model.State. It describes the whole reachable set only
	// when Complete.
	Digest string
}

// String renders r deterministically (timings aside): counts, action
// kinds sorted by name, terminals, the digest and the first violation.
func (r *ExploreResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "complete: %t\n", r.Complete)
	fmt.Fprintf(&b, "distinct states: %d\n", r.Distinct)
	fmt.Fprintf(&b, "transitions: %d\n", r.Transitions)
	fmt.Fprintf(&b, "depth: %d\n", r.Depth)
	fmt.Fprintf(&b, "elapsed: %v (%.0f states/s)\n", r.Elapsed.Round(time.Millisecond), r.StatesPerSec)
	kinds := make([]string, 0, len(r.Actions))
	for k := range r.Actions {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	b.WriteString("actions:")
	for _, k := range kinds {
		fmt.Fprintf(&b, " %s=%d", k, r.Actions[k])
	}
	b.WriteByte('\n')
	fmt.Fprintf(&b, "terminal: exited=%d deadlock=%d", r.Terminals.Exited, r.Terminals.Deadlock)
	reasons := make([]string, 0, len(r.Terminals.Fatal))
	for k := range r.Terminals.Fatal {
		reasons = append(reasons, k)
	}
	sort.Strings(reasons)
	for _, k := range reasons {
		fmt.Fprintf(&b, " fatal[%s]=%d", k, r.Terminals.Fatal[k])
	}
	b.WriteByte('\n')
	fmt.Fprintf(&b, "digest: %s\n", r.Digest)
	for _, v := range r.Violations {
		fmt.Fprintf(&b, "violation: %s (trace of %d actions)\n", v, len(v.Trace))
	}
	return b.String()
}

// exploreChecks is a selection of checks.
type exploreChecks struct {
	all      bool             // every spec invariant, through spec.All
	inv      []spec.Invariant // else these
	progress bool
	changes  bool
	steal    bool // CheckStealRunnext
}

func newExploreChecks(names []string) (*exploreChecks, error) {
	if len(names) == 0 {
		return &exploreChecks{all: true, progress: true, changes: true, steal: true}, nil
	}
	c := &exploreChecks{}
	invs := spec.Invariants()
	var unknown []string
	nspec := 0
	for _, n := range names {
		switch n {
		case CheckProgress:
			c.progress = true
			continue
		case CheckStepChanges:
			c.changes = true
			continue
		case CheckStealRunnext:
			c.steal = true
			continue
		case CheckStepEnabled, CheckNoPanic:
			continue // always on
		}
		i := slices.IndexFunc(invs, func(inv spec.Invariant) bool { return inv.Name == n })
		if i < 0 {
			unknown = append(unknown, n)
			continue
		}
		if !slices.ContainsFunc(c.inv, func(inv spec.Invariant) bool { return inv.Name == n }) {
			c.inv = append(c.inv, invs[i])
			nspec++
		}
	}
	if len(unknown) > 0 {
		known := make([]string, 0, len(invs)+4)
		for _, inv := range invs {
			known = append(known, inv.Name)
		}
		known = append(known, ModelChecks()...)
		return nil, fmt.Errorf("model.Explore: unknown invariant %s (known: %s)", strings.Join(unknown, ", "), strings.Join(known, ", "))
	}
	if nspec == len(invs) {
		c.all, c.inv = true, nil
	}
	return c, nil
}

// invariants checks the spec invariants of the set on s's snapshot,
// projected into buf.
func (c *exploreChecks) invariants(s *State, buf *snapBuf) error {
	if !c.all && len(c.inv) == 0 {
		return nil
	}
	snap := buf.project(s)
	if c.all {
		return spec.All(snap)
	}
	for _, inv := range c.inv {
		if err := inv.Check(snap); err != nil {
			return &spec.InvariantError{Name: inv.Name, Err: err}
		}
	}
	return nil
}

// progressViolation reports a Progress violation of s, whose enabled
// actions are acts.
func progressViolation(s *State, acts []Action) error {
	if len(acts) > 0 || s.Ended() || s.Deadlocked() {
		return nil
	}
	return &spec.InvariantError{Name: CheckProgress, Err: errors.New(exploreStuckMessage(s))}
}

// exploreStuckMessage says why nothing can happen in s.
func exploreStuckMessage(s *State) string {
	var live []string
	for i := range s.Gs {
		switch s.Gs[i].Status {
		case spec.GRunnable, spec.GRunning, spec.GSyscall:
			live = append(live, fmt.Sprintf("%v %v", spec.GID(i+1), s.Gs[i].Status))
		}
	}
	return fmt.Sprintf("no action is enabled but the run has not ended and is not deadlocked (%s; idle Ps %v, idle Ms %v, global %v)",
		strings.Join(live, ", "), ids(reversed(s.IdleP)), ids(reversed(s.IdleM)), ids(s.Global))
}

// CheckState checks s as the explorer checks every state it reaches:
// every invariant of spec.All on its snapshot, then Progress. It returns
// nil or a *spec.InvariantError naming the check.
func CheckState(s State) error {
	if s.Env == nil {
		return errors.New("model.CheckState: state has no Env (use model.Init)")
	}
	snap := s.Snapshot()
	if err := spec.All(&snap); err != nil {
		return err
	}
	return progressViolation(&s, Enabled(s))
}

// exploreNode is what the explorer keeps of a reached state: how it was
// first reached. The trace to it is rebuilt by replaying the action
// indices from the initial state, since Enabled is deterministic.
type exploreNode struct {
	parent uint64 // the parent's fingerprint
	idx    uint32 // index of the action in Enabled(parent); exploreRoot for the initial state
	depth  uint32
}

const exploreRoot = math.MaxUint32

// exploreEntry is a state waiting to be expanded, with its enabled
// actions (computed when it was reached, for the Progress check).
type exploreEntry struct {
	s    State
	fp   uint64
	acts []Action
}

type explorer struct {
	init     State
	opts     ExploreOptions
	checks   *exploreChecks
	exclude  [len(exploreKindNames)]bool
	seen     map[uint64]exploreNode
	key      []byte
	snap     snapBuf
	res      *ExploreResult
	counts   [len(exploreKindNames)]int // transitions by kind index
	expanded int
	maxViol  int
	stop     bool // stop the search
	cut      bool // a limit cut the search
	start    time.Time
	lastProg time.Time
	depth    int // the depth being expanded
	queue    int // states left to expand
}

// fingerprint is State.Fingerprint without allocating: the key is built
// in a reused buffer and hashed with FNV-1a inline.
func (e *explorer) fingerprint(s *State) uint64 {
	e.key = s.AppendKey(e.key[:0])
	return fnv1a64(e.key)
}

func fnv1a64(b []byte) uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	for _, c := range b {
		h ^= uint64(c)
		h *= prime
	}
	return h
}

// Explore searches breadth-first over Enabled from init, deduplicating
// states by their 64-bit fingerprint, and checks every state it reaches
// when it first reaches it: the invariants of spec.All on its snapshot
// and CheckProgress; and it checks that every enabled action steps
// (CheckStepEnabled), changes the state (CheckStepChanges) and that
// nothing panics (CheckNoPanic). On a violation it stops (or goes on, up
// to MaxViolations) and reports the shortest trace to it: BFS reaches
// every state first by a shortest path, and finds violations in order of
// their traces' length.
//
// The search is deterministic: the same init and options give the same
// counts, digest and traces on every run. Fingerprints are 64-bit
// hashes; two distinct states colliding (probability about n²/2⁶⁵ for n
// states) would hide one of them.
//
// Explore's error is for bad input (no Env, an unknown invariant or
// action name); violations are results.
func Explore(init State, opts ExploreOptions) (*ExploreResult, error) {
	if init.Env == nil || init.Env.Code == nil {
		return nil, errors.New("model.Explore: state has no Env (use model.Init)")
	}
	if opts.MaxStates < 0 || opts.MaxDepth < 0 || opts.MaxViolations < 0 {
		return nil, errors.New("model.Explore: MaxStates, MaxDepth and MaxViolations must be >= 0")
	}
	checks, err := newExploreChecks(opts.Invariants)
	if err != nil {
		return nil, err
	}
	var exclude [len(exploreKindNames)]bool
	for _, k := range opts.Exclude {
		i := slices.Index(exploreKindNames[:len(exploreKindNames)-1], k)
		if i < 0 {
			return nil, fmt.Errorf("model.Explore: cannot exclude unknown action kind %q (known: %s)", k, strings.Join(spec.ActionKinds, ", "))
		}
		exclude[i] = true
	}
	if opts.ProgressEvery <= 0 {
		opts.ProgressEvery = time.Second
	}
	e := &explorer{
		init:    init,
		opts:    opts,
		checks:  checks,
		exclude: exclude,
		seen:    make(map[uint64]exploreNode, 1024),
		res:     &ExploreResult{Actions: map[string]int{}},
		maxViol: max(opts.MaxViolations, 1),
	}
	e.start = time.Now()
	e.lastProg = e.start
	e.run()
	e.finish()
	return e.res, nil
}

func (e *explorer) run() {
	fp := e.fingerprint(&e.init)
	e.seen[fp] = exploreNode{parent: fp, idx: exploreRoot}
	var level, next []exploreEntry
	if acts, ok := e.checkNew(&e.init, fp, nil, nil); ok && len(acts) > 0 {
		level = append(level, exploreEntry{e.init, fp, acts})
	}
	for depth := 0; len(level) > 0 && !e.stop; depth++ {
		e.depth = depth
		if e.opts.MaxDepth > 0 && depth >= e.opts.MaxDepth {
			e.cut = true // these states have enabled actions
			break
		}
		for i := range level {
			e.queue = len(level) - i + len(next)
			next = e.expand(&level[i], depth, next)
			level[i] = exploreEntry{} // let the GC have what only this level holds
			if e.stop {
				break
			}
			e.progress()
		}
		level, next = next, level[:0]
	}
}

// expand steps every action enabled in en.s and appends the new states
// that have enabled actions to next.
func (e *explorer) expand(en *exploreEntry, depth int, next []exploreEntry) []exploreEntry {
	e.expanded++
	for i, a := range en.acts {
		k := exploreKindIndex(a)
		if e.exclude[k] {
			continue
		}
		ns, pan, err := safeStep(en.s, a)
		if pan != nil || err != nil {
			name, what := CheckStepEnabled, fmt.Errorf("Enabled lists %v but Step fails: %v", a, err)
			if pan != nil {
				name, what = CheckNoPanic, fmt.Errorf("Step(%v) panicked: %v", a, pan)
			}
			e.violate(&spec.InvariantError{Name: name, Err: what}, append(e.traceTo(en.fp), a), en.s)
			if e.stop {
				return next
			}
			continue
		}
		e.res.Transitions++
		e.counts[k]++
		fp := e.fingerprint(&ns)
		if fp == en.fp && e.checks.changes {
			e.violate(&spec.InvariantError{Name: CheckStepChanges, Err: fmt.Errorf("%v leaves the state unchanged", a)},
				append(e.traceTo(en.fp), a), en.s)
			if e.stop {
				return next
			}
			continue
		}
		if e.checks.steal {
			if err := stealRunnextViolation(&en.s, &ns); err != nil {
				e.violate(err, append(e.traceTo(en.fp), a), ns)
				if e.stop {
					return next
				}
				continue
			}
		}
		if _, ok := e.seen[fp]; ok {
			continue
		}
		if e.opts.MaxStates > 0 && len(e.seen) >= e.opts.MaxStates {
			e.cut = true
			e.stop = true
			return next
		}
		e.seen[fp] = exploreNode{parent: en.fp, idx: uint32(i), depth: uint32(depth + 1)}
		e.res.Depth = max(e.res.Depth, depth+1)
		if acts, ok := e.checkNew(&ns, fp, &en.s, a); ok && len(acts) > 0 {
			next = append(next, exploreEntry{ns, fp, acts})
		}
		if e.stop {
			return next
		}
	}
	return next
}

// checkNew checks a newly reached state, counts it if terminal and lists
// its enabled actions. ok is false when it violates a check (it is then
// not to be expanded). parent and a say how it was reached (nil for the
// initial state), to find a fatal's reason.
func (e *explorer) checkNew(s *State, fp uint64, parent *State, a Action) (acts []Action, ok bool) {
	pan, err := e.safeInvariants(s)
	if pan != nil {
		err = &spec.InvariantError{Name: CheckNoPanic, Err: fmt.Errorf("checking the invariants panicked: %v", pan)}
	}
	if err != nil {
		e.violate(err, e.traceTo(fp), *s)
		return nil, false
	}
	switch {
	case s.Exited:
		e.res.Terminals.Exited++
		return nil, true
	case s.Fatal != "":
		if e.res.Terminals.Fatal == nil {
			e.res.Terminals.Fatal = map[string]int{}
		}
		e.res.Terminals.Fatal[exploreFatalReason(s, parent, a)]++
		return nil, true
	case s.Deadlocked():
		e.res.Terminals.Deadlock++
		return nil, true
	}
	acts, pan = safeEnabled(*s)
	if pan != nil {
		e.violate(&spec.InvariantError{Name: CheckNoPanic, Err: fmt.Errorf("Enabled panicked: %v", pan)}, e.traceTo(fp), *s)
		return nil, false
	}
	if e.checks.progress && len(acts) == 0 {
		if err := progressViolation(s, acts); err != nil {
			e.violate(err, e.traceTo(fp), *s)
			return nil, false
		}
	}
	return acts, true
}

func (e *explorer) safeInvariants(s *State) (pan any, err error) {
	defer func() { pan = recover() }()
	return nil, e.checks.invariants(s, &e.snap)
}

func safeEnabled(s State) (acts []Action, pan any) {
	defer func() { pan = recover() }()
	return Enabled(s), nil
}

func safeStep(s State, a Action) (ns State, pan any, err error) {
	defer func() { pan = recover() }()
	ns, err = Step(s, a)
	return ns, nil, err
}

// exploreFatalReason finds the reason of the fatal error that ended s,
// from the Fatal event of the step a that reached it from parent.
func exploreFatalReason(s, parent *State, a Action) string {
	if parent != nil {
		if _, evs, err := StepTrace(*parent, a); err == nil {
			for _, ev := range evs {
				if ev.Kind == "Fatal" {
					if r := ev.Arg("reason"); r != "" {
						return r
					}
				}
			}
		}
	}
	switch {
	case strings.Contains(s.Fatal, "stack overflow"):
		return "stack-overflow"
	case strings.Contains(s.Fatal, "check failed"):
		return "check-failed"
	}
	return "fatal"
}

// violate records a violation found in s (trace leads to it).
func (e *explorer) violate(err error, trace []Action, s State) {
	v := &Violation{Message: err.Error(), Trace: trace, State: s}
	var ie *spec.InvariantError
	if errors.As(err, &ie) {
		v.Invariant, v.Message = ie.Name, ie.Err.Error()
	}
	e.res.Violations = append(e.res.Violations, v)
	if e.res.Violation == nil {
		e.res.Violation = v
	}
	if len(e.res.Violations) >= e.maxViol {
		e.stop = true
	}
}

// traceTo rebuilds the shortest trace to the state with fingerprint fp:
// the action indices along the parent chain, replayed from init.
func (e *explorer) traceTo(fp uint64) []Action {
	var idxs []uint32
	for {
		n, ok := e.seen[fp]
		if !ok || n.idx == exploreRoot {
			break
		}
		idxs = append(idxs, n.idx)
		fp = n.parent
	}
	slices.Reverse(idxs)
	trace := make([]Action, 0, len(idxs))
	s := e.init
	for _, i := range idxs {
		acts := Enabled(s)
		if int(i) >= len(acts) {
			break // cannot happen unless Enabled is not deterministic
		}
		a := acts[i]
		trace = append(trace, a)
		ns, err := Step(s, a)
		if err != nil {
			break // cannot happen unless Enabled or Step is not deterministic
		}
		s = ns
	}
	return trace
}

func (e *explorer) progress() {
	if e.opts.Progress == nil || e.expanded&255 != 0 {
		return
	}
	now := time.Now()
	if now.Sub(e.lastProg) < e.opts.ProgressEvery {
		return
	}
	e.lastProg = now
	el := now.Sub(e.start)
	e.opts.Progress(ProgressInfo{
		States: len(e.seen), Transitions: e.res.Transitions, Depth: e.depth, Queue: e.queue,
		Elapsed: el, StatesPerSec: float64(len(e.seen)) / el.Seconds(),
	})
}

func (e *explorer) finish() {
	r := e.res
	r.Elapsed = time.Since(e.start)
	r.Distinct = len(e.seen)
	if s := r.Elapsed.Seconds(); s > 0 {
		r.StatesPerSec = float64(r.Distinct) / s
	}
	r.Complete = !e.cut && !e.stop
	for i, n := range e.counts {
		if n > 0 {
			r.Actions[exploreKindNames[i]] = n
		}
	}
	r.Digest = reachDigest(e.seen)
}

// reachDigest is the hex SHA-256 of the sorted fingerprints, 8 bytes
// big-endian each.
func reachDigest(seen map[uint64]exploreNode) string {
	fps := make([]uint64, 0, len(seen))
	for fp := range seen {
		fps = append(fps, fp)
	}
	slices.Sort(fps)
	return DigestFingerprints(fps)
}

// DigestFingerprints is ExploreResult.Digest of a set of fingerprints
// given sorted in increasing order without duplicates: what another
// checker (TLC's dumped states mapped into model.State) computes to
// compare reachable sets.
func DigestFingerprints(sorted []uint64) string {
	h := sha256.New()
	var buf [8 * 512]byte
	for len(sorted) > 0 {
		n := min(len(sorted), 512)
		for i, fp := range sorted[:n] {
			binary.BigEndian.PutUint64(buf[8*i:], fp)
		}
		h.Write(buf[:8*n])
		sorted = sorted[n:]
	}
	return hex.EncodeToString(h.Sum(nil))
}

// exploreKindNames are the action kinds in exploreKindIndex order.
var exploreKindNames = [...]string{
	"Schedule", "Steal", "Compute", "Call", "Spawn", "Gosched", "Preempt", "Park", "Ready",
	"EnterSyscall", "ExitSyscall", "GC", "Goexit", "Gomaxprocs", "SysmonPreempt",
	"SysmonRetake", "SysmonTick", "Advance", "other",
}

func exploreKindIndex(a Action) int {
	switch a.(type) {
	case Schedule:
		return 0
	case Steal:
		return 1
	case Compute:
		return 2
	case Call:
		return 3
	case Spawn:
		return 4
	case Gosched:
		return 5
	case Preempt:
		return 6
	case Park:
		return 7
	case Ready:
		return 8
	case EnterSyscall:
		return 9
	case ExitSyscall:
		return 10
	case GC:
		return 11
	case Goexit:
		return 12
	case Gomaxprocs:
		return 13
	case SysmonPreempt:
		return 14
	case SysmonRetake:
		return 15
	case SysmonTick:
		return 16
	case Advance:
		return 17
	}
	return 18
}
