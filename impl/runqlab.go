package impl

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"unsafe"

	"github.com/gmplab/gmplab/spec"
)

// RunQueueLab gives the tests in properties/ concurrent access to the run
// queues of a set of Ps and to the global queue, through impl's own
// runqput (with runqputslow), runqget, runqdrain, runqsteal (runqgrab),
// runqempty and the globrunq functions: the algorithms under test, not
// copies. The scheduler does not use it. It is to the run queues what
// StackLab is to stacks, but safe for real goroutines.
//
// Caller rules (the runtime's, see "Local run queue" in runq.go):
//
//   - Owner operations on P p (Put, Get, Drain, Steal with thief p,
//     GlobalGet) are made by one goroutine at a time per p: the goroutine
//     that plays p's owner. Different Ps' owners run concurrently.
//   - Empty and GlobalPut may be called from any goroutine at any time.
//   - Snapshot only while no other call is in progress.
//   - A G is put (Put, GlobalPut) only while the lab does not hold it: at
//     first, or after an operation returned it (Get, Drain, the G a Steal
//     or GlobalGet returns). Violations are errors, not corruption.
//
// Errors are for calls that break these rules or name a P or G out of
// range; the queues are unchanged by a call that returns one. The lab has
// no lock of its own: all synchronization is the queues' (their atomics
// and sched.lock), so a history of lab calls is a history of the
// algorithm.
type RunQueueLab struct {
	cfg    spec.Config
	qs     []*runq
	global *globrunq
	gs     []*g // gs[id-1] is G id
	// held[id-1]: G id is on some queue of the lab. Lab bookkeeping for
	// the caller rules, not part of the algorithm, so it uses sync/atomic
	// directly rather than the atomic layer (atomic.go): the Perturb hook
	// and a schedule controller must neither see nor schedule it.
	held []atomic.Bool
	opts RunQueueLabOptions
	// restore uninstalls the Perturb hook; nil if none is installed.
	restore func()
}

// RunQueueLabOptions are the lab's switches beyond spec.Config. The zero
// value is the plain algorithm. (It is a struct so that switches, such as
// mutant variants of the queue code, can be added without changing
// callers.)
type RunQueueLabOptions struct {
	// VictimBusy, if set, is runqgrab's victimBusy predicate for a steal
	// from victim: reporting true makes the thief back off (~3 µs) before
	// taking the victim's runnext. Called concurrently by thieves. Nil
	// means every victim is idle (no back-off).
	VictimBusy func(victim int) bool

	// Perturb, if n > 0, makes a goroutine yield its processor
	// (runtime.Gosched) before about one in n shared-memory operations of
	// the atomic layer, anywhere in impl, until Close: operations are
	// then interrupted in their middle far more often than by the OS
	// alone, which widens every in-flight window. It needs an
	// instrumented build (-race or -tags gmplabsched, see atomic.go) and
	// is ignored otherwise (Perturbed reports which). The hook is
	// process-wide: one perturbed lab at a time, and nothing else of impl
	// running meanwhile that must not be slowed.
	Perturb int

	// Mutants switches deliberate bugs of the queue code (mutants.go) on
	// in every queue of the lab, for the mutation tests.
	Mutants Mutants

	_ struct{} // disallow positional literals, for extensibility
}

// NewRunQueueLab returns cfg.Procs empty local queues and an empty global
// queue, with Gs g1..g<maxG> to put on them. cfg must be valid, and a
// global batch must fit an empty ring (GlobalBatchCap <= RunqSize+1).
func NewRunQueueLab(cfg spec.Config, maxG int, opts RunQueueLabOptions) (*RunQueueLab, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("run queue lab: %w", err)
	}
	if cfg.GlobalBatchCap > cfg.RunqSize+1 {
		return nil, fmt.Errorf("run queue lab: global-batch-cap=%d does not fit an empty ring of runq-size=%d", cfg.GlobalBatchCap, cfg.RunqSize)
	}
	if maxG < 0 || maxG > 1<<30 {
		return nil, fmt.Errorf("run queue lab: %d Gs is not in [0, 2^30]", maxG)
	}
	l := &RunQueueLab{
		cfg:    cfg,
		qs:     make([]*runq, cfg.Procs),
		global: newGlobrunq(cfg),
		gs:     make([]*g, maxG),
		held:   make([]atomic.Bool, maxG),
		opts:   opts,
	}
	for i := range l.qs {
		l.qs[i] = newRunq(cfg)
		l.qs[i].mut = opts.Mutants // before any goroutine sees the queue
	}
	for i := range l.gs {
		l.gs[i] = &g{id: spec.GID(i + 1)}
	}
	if n := uint32(opts.Perturb); n > 0 && instrumented {
		l.restore = setSchedHook(func(opKind, unsafe.Pointer) {
			if rand.Uint32N(n) == 0 { // the runtime's per-M random source: no shared memory
				runtime.Gosched()
			}
		})
	}
	return l, nil
}

// RaceWidening reports whether RunQueueLabOptions.Perturb can have an
// effect: true in the instrumented builds (-race, -tags gmplabsched),
// whose atomic layer calls a hook before every shared-memory operation
// (atomic.go).
func RaceWidening() bool { return instrumented }

// Perturbed reports whether the lab's Perturb hook is installed.
func (l *RunQueueLab) Perturbed() bool { return l.restore != nil }

// Close removes the Perturb hook, if any. Call it when the lab's
// goroutines have stopped.
func (l *RunQueueLab) Close() {
	if l.restore != nil {
		l.restore()
		l.restore = nil
	}
}

// Config returns the lab's config.
func (l *RunQueueLab) Config() spec.Config { return l.cfg }

func (l *RunQueueLab) checkP(op string, p int) error {
	if p < 0 || p >= len(l.qs) {
		return fmt.Errorf("run queue lab: %s: p%d is not in p0..p%d", op, p, len(l.qs)-1)
	}
	return nil
}

// take marks G id held by the lab (it is being put on a queue).
// Can be executed by any goroutine (the caller of an operation).
func (l *RunQueueLab) take(op string, id spec.GID) (*g, error) {
	if id < 1 || int(id) > len(l.gs) {
		return nil, fmt.Errorf("run queue lab: %s: %v is not in g1..g%d", op, id, len(l.gs))
	}
	if !l.held[id-1].CompareAndSwap(false, true) { // cas, synchronizes with release's store by the goroutine an operation returned id to
		return nil, fmt.Errorf("run queue lab: %s: %v is already on a queue", op, id)
	}
	return l.gs[id-1], nil
}

// release marks gp no longer held (an operation returned it) and returns
// its ID (NoG for nil).
// Can be executed by any goroutine (the caller of the operation that
// returned gp).
func (l *RunQueueLab) release(gp *g) spec.GID {
	if gp == nil {
		return spec.NoG
	}
	l.held[gp.id-1].Store(false) // store, read by the next take's cas
	return gp.id
}

// Put is runqput(gid, next) on p's queue: the ring tail, or runnext with
// the old runnext kicked to the ring tail; a full ring spills its
// SpillBatch oldest Gs and the G that did not fit to the global queue. It
// returns the kicked G (NoG if none) and how many Gs were spilled (0 if
// none).
// Executed only by p's owner.
func (l *RunQueueLab) Put(p int, gid spec.GID, next bool) (kicked spec.GID, spilled int, err error) {
	if err := l.checkP("Put", p); err != nil {
		return spec.NoG, 0, err
	}
	gp, err := l.take("Put", gid)
	if err != nil {
		return spec.NoG, 0, err
	}
	k, n := l.qs[p].runqput(gp, next, l.global)
	if k != nil {
		kicked = k.id
	}
	return kicked, int(n), nil
}

// Get is runqget on p's queue: runnext (inheritTime true), else the
// ring's oldest G, else NoG.
// Executed only by p's owner.
func (l *RunQueueLab) Get(p int) (gid spec.GID, inheritTime bool, err error) {
	if err := l.checkP("Get", p); err != nil {
		return spec.NoG, false, err
	}
	gp, inherit := l.qs[p].get()
	return l.release(gp), inherit, nil
}

// Drain is runqdrain on p's queue: runnext first, then the ring, oldest
// first.
// Executed only by p's owner.
func (l *RunQueueLab) Drain(p int) ([]spec.GID, error) {
	if err := l.checkP("Drain", p); err != nil {
		return nil, err
	}
	q := l.qs[p].runqdrain()
	var out []spec.GID
	for gp := q.pop(); gp != nil; gp = q.pop() {
		out = append(out, l.release(gp))
	}
	return out, nil
}

// Steal is runqsteal by thief from victim: from a non-empty ring the
// StealCount oldest Gs, else (only if stealRunNext) runnext. It returns
// the youngest stolen G, to run, and how many were stolen (n); the other
// n-1 are published on the thief's ring. The thief's queue must be empty,
// as the runtime steals only then.
// Executed only by thief's owner.
func (l *RunQueueLab) Steal(thief, victim int, stealRunNext bool) (gid spec.GID, n int, err error) {
	if err := l.checkP("Steal", thief); err != nil {
		return spec.NoG, 0, err
	}
	if err := l.checkP("Steal", victim); err != nil {
		return spec.NoG, 0, err
	}
	if thief == victim {
		return spec.NoG, 0, fmt.Errorf("run queue lab: Steal: p%d steals from itself", thief)
	}
	q := l.qs[thief]
	if !q.runqempty() { // only the owner (the caller) adds to q, so empty stays empty
		return spec.NoG, 0, fmt.Errorf("run queue lab: Steal: thief p%d's queue is not empty", thief)
	}
	var busy func() bool
	if l.opts.VictimBusy != nil {
		busy = func() bool { return l.opts.VictimBusy(victim) }
	}
	gp, k := q.runqsteal(l.qs[victim], stealRunNext, busy)
	return l.release(gp), int(k), nil
}

// Empty is runqempty on p's queue.
// Can be executed by any goroutine.
func (l *RunQueueLab) Empty(p int) (bool, error) {
	if err := l.checkP("Empty", p); err != nil {
		return false, err
	}
	return l.qs[p].runqempty(), nil
}

// GlobalPut is globrunqput: gid at the global queue's tail, under
// sched.lock (Gosched, preemption).
// Can be executed by any goroutine.
func (l *RunQueueLab) GlobalPut(gid spec.GID) error {
	gp, err := l.take("GlobalPut", gid)
	if err != nil {
		return err
	}
	l.global.lock.Lock()
	l.global.put(gp)
	l.global.lock.Unlock()
	return nil
}

// GlobalGet is findRunnable's global step for p: globrunqgetbatch under
// sched.lock, then runqputbatch of all but the first G onto p's ring. It
// returns the first G, to run, and the batch size n (0 if the global
// queue was empty). p's queue must be empty, as in findRunnable.
// Executed only by p's owner.
func (l *RunQueueLab) GlobalGet(p int) (gid spec.GID, n int, err error) {
	if err := l.checkP("GlobalGet", p); err != nil {
		return spec.NoG, 0, err
	}
	q := l.qs[p]
	if !q.runqempty() {
		return spec.NoG, 0, fmt.Errorf("run queue lab: GlobalGet: p%d's queue is not empty", p)
	}
	l.global.lock.Lock()
	gp, rest := l.global.getBatch()
	l.global.lock.Unlock()
	if gp == nil {
		return spec.NoG, 0, nil
	}
	n = 1 + int(rest.size)
	q.runqputbatch(&rest)
	if !rest.empty() {
		panic("RunQueueLab.GlobalGet: global batch did not fit an empty ring") // excluded by NewRunQueueLab
	}
	return l.release(gp), n, nil
}

// RunQueueLabP is one P's queue in a RunQueueLabSnapshot.
type RunQueueLabP struct {
	Runnext spec.GID
	Ring    []spec.GID // oldest first
}

// RunQueueLabSnapshot is the contents of every queue of a lab.
type RunQueueLabSnapshot struct {
	Ps     []RunQueueLabP
	Global []spec.GID // head first
}

// Snapshot returns the contents of every queue.
// Only while no other call on the lab is in progress (it reads the
// queues without validation).
func (l *RunQueueLab) Snapshot() RunQueueLabSnapshot {
	var s RunQueueLabSnapshot
	for _, q := range l.qs {
		rn, ring := q.snapshot()
		s.Ps = append(s.Ps, RunQueueLabP{Runnext: gidOrNone(rn), Ring: gidList(ring)})
	}
	l.global.lock.Lock()
	s.Global = gidList(l.global.snapshot())
	l.global.lock.Unlock()
	return s
}

func gidOrNone(gp *g) spec.GID {
	if gp == nil {
		return spec.NoG
	}
	return gp.id
}

func gidList(gs []*g) []spec.GID {
	out := make([]spec.GID, len(gs))
	for i, gp := range gs {
		out[i] = gp.id
	}
	return out
}
