package impl

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"unsafe"

	"github.com/gmplab/gmplab/spec"
)

// RunqLab gives tests direct access to a few P-local run queues and a
// global queue, to run the queue protocol (runq.go) on real goroutines
// without a scheduler around it: properties' concurrent exactly-once check
// uses it. The scheduler does not.
//
// Queue i has one owner, a goroutine the test chooses: Put, Get, Steal
// (into queue i) and Drain on queue i must only be called by it, as the
// runtime's runqput, runqget, runqsteal and runqdrain are called only by
// the P that owns the queue. Any goroutine may be a thief of any other
// queue through its own queue's Steal. Gs are identified by GIDs 1..ng,
// created with the lab; a G must be put on at most one queue at a time.
type RunqLab struct {
	lock sync.Mutex // sched.lock for the global queue
	glob globrunq
	qs   []runq
	gs   []*g // immutable after NewRunqLab
}

// NewRunqLab returns nq empty queues (and an empty global queue) with
// cfg's ring size, spill batch, steal amount and runnext switch, ng Gs
// (GIDs 1..ng) on no queue, and the given mutants switched on in every
// queue.
func NewRunqLab(cfg spec.Config, nq, ng int, mut Mutants) *RunqLab {
	l := &RunqLab{qs: make([]runq, nq), gs: make([]*g, ng)}
	l.glob.init(&l.lock, cfg)
	for i := range l.qs {
		l.qs[i].init(cfg)
		l.qs[i].mut = mut
	}
	for i := range l.gs {
		l.gs[i] = &g{id: spec.GID(i + 1), waitKey: -1}
	}
	return l
}

func (l *RunqLab) g(id spec.GID) *g { return l.gs[id-1] }

// Put is runqput on queue q: into runnext (kicking the old one to the
// ring) if next, else at the ring tail; a full ring spills to the global
// queue. Executed only by q's owner.
func (l *RunqLab) Put(q int, id spec.GID, next bool) {
	l.qs[q].runqput(l.g(id), next, &l.glob)
}

// Get is runqget on queue q: the G taken (NoG if the queue is empty) and
// whether it came from runnext. Executed only by q's owner.
func (l *RunqLab) Get(q int) (spec.GID, bool) {
	gp, inherit := l.qs[q].runqget()
	return gid(gp), inherit
}

// Steal is runqsteal into queue q from queue victim (runnext too if
// stealRunnext and the victim's ring is empty): the G to run (NoG if
// nothing was stolen) and how many were stolen, that G included; the
// others are now in q's ring. Executed only by q's owner.
func (l *RunqLab) Steal(q, victim int, stealRunnext bool) (spec.GID, int) {
	gp, n := l.qs[q].runqsteal(&l.qs[victim], stealRunnext, nil)
	return gid(gp), int(n)
}

// Drain is runqdrain on queue q: runnext, then the ring oldest first.
// Executed only by q's owner.
func (l *RunqLab) Drain(q int) []spec.GID {
	b := l.qs[q].runqdrain()
	var out []spec.GID
	for gp := b.pop(); gp != nil; gp = b.pop() {
		out = append(out, gp.id)
	}
	return out
}

// DrainGlobal empties the global queue under its lock and returns its
// Gs, head first. Can be called by any goroutine.
func (l *RunqLab) DrainGlobal() []spec.GID {
	l.lock.Lock()
	defer l.lock.Unlock()
	var out []spec.GID
	for gp := l.glob.get(); gp != nil; gp = l.glob.get() {
		out = append(out, gp.id)
	}
	return out
}

// RaceWidening reports whether SetYieldChaos has an effect: true in the
// instrumented builds (-race, -tags gmplabsched), whose atomic layer calls
// a hook before every shared-memory operation (atomic.go, "Atomics").
func RaceWidening() bool { return instrumented }

// SetYieldChaos makes every shared-memory operation of the atomic layer,
// in every goroutine, first yield the processor (runtime.Gosched) with
// probability 1/n, and returns a function that restores the previous
// hook. A yield just before a CAS or a store leaves the window of a race
// open for as long as another goroutine runs, so a concurrent test sees
// the interleavings a broken protocol needs in milliseconds instead of
// waiting for two threads to meet inside a few instructions. It changes
// timing only, never semantics. In a normal build the layer has no hook
// and this does nothing (RaceWidening reports false). Not for use while
// another test installs a hook (setSchedHook).
func SetYieldChaos(n int) (restore func()) {
	if !instrumented || n <= 0 {
		return func() {}
	}
	return setSchedHook(func(opKind, unsafe.Pointer) {
		if rand.IntN(n) == 0 { // math/rand/v2's global source: safe from any goroutine, not the atomic layer
			runtime.Gosched()
		}
	})
}
