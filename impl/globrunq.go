package impl

import (
	"sync"

	"github.com/gmplab/gmplab/spec"
)

// Global run queue
//
// The global run queue is the runtime's sched.runq (runtime2.go:958,
// proc.go:7249-7310): a FIFO of Gs linked through g.schedlink, protected
// by sched.lock. Gs arrive at the tail from runqputslow (a spill of the
// oldest half of a full ring plus the G that did not fit), from Gosched
// and preemption, and from exitsyscall without a P; at the head only from
// procresize, which puts a destroyed P's Gs there. They leave one at a
// time for the schedtick%61 fairness check (get) and in batches of
// min(GlobalBatchCap, size, size/procs+1) when a P's local queue is empty
// (getBatch).
//
// Why a lock and not a lock-free queue. Every use of the global queue is
// compound: getBatch's count depends on a size that must not change while
// the batch is taken; findRunnable re-checks the queue and puts its P on
// the idle list in one critical section ("delicate dance"), and procresize
// moves Gs under stop-the-world. A lock-free MPMC queue would make single
// pushes and pops atomic but none of those compounds, and linking through
// schedlink would need ABA protection. The runtime makes the same choice;
// the model's steps on the global queue are exactly these critical
// sections.
//
// Locking contract. The methods do not take the lock: they end their
// documentation with "sched.lock must be held." and check it (a cheap
// TryLock probe, like the runtime's assertLockHeld), so that callers can
// combine them with the other state sched.lock protects. sched.lock is the
// *sync.Mutex given to init, owned by the scheduler. The only lock-free
// reads are emptyHint and sizeHint, which are hints: a caller that acts on
// them re-checks under the lock, as the runtime does with
// sched.runq.empty().

// gQueue is a FIFO of Gs linked through g.schedlink (the runtime's gQueue,
// proc.go:7751-7826). A G is on at most one gQueue at a time. A gQueue is
// not synchronized: whoever owns it (sched.lock for the global queue, the
// one thread holding a batch it has not yet published) protects it.
type gQueue struct {
	head *g
	tail *g
	size int32
}

// empty reports whether q is empty.
func (q *gQueue) empty() bool { return q.head == nil }

// push adds gp to the head of q.
func (q *gQueue) push(gp *g) {
	gp.schedlink = q.head
	q.head = gp
	if q.tail == nil {
		q.tail = gp
	}
	q.size++
}

// pushBack adds gp to the tail of q.
func (q *gQueue) pushBack(gp *g) {
	gp.schedlink = nil
	if q.tail != nil {
		q.tail.schedlink = gp
	} else {
		q.head = gp
	}
	q.tail = gp
	q.size++
}

// pushBackAll adds all Gs of q2 to the tail of q. q2 must not be used
// afterwards.
func (q *gQueue) pushBackAll(q2 gQueue) {
	if q2.tail == nil {
		return
	}
	q2.tail.schedlink = nil
	if q.tail != nil {
		q.tail.schedlink = q2.head
	} else {
		q.head = q2.head
	}
	q.tail = q2.tail
	q.size += q2.size
}

// pop removes and returns the head of q, or nil if q is empty.
func (q *gQueue) pop() *g {
	gp := q.head
	if gp != nil {
		q.head = gp.schedlink
		if q.head == nil {
			q.tail = nil
		}
		gp.schedlink = nil
		q.size--
	}
	return gp
}

// slice returns q's Gs in order, without changing q.
func (q *gQueue) slice() []*g {
	s := make([]*g, 0, q.size)
	for gp := q.head; gp != nil; gp = gp.schedlink {
		s = append(s, gp)
	}
	return s
}

// globrunq is the global run queue (sched.runq) with the lock that
// protects it. See "Global run queue".
type globrunq struct {
	// lock is sched.lock. It guards runq and cfg.Procs.
	lock *sync.Mutex

	// runq holds the Gs. Guarded by lock.
	runq gQueue

	// size mirrors runq.size: stored with lock held after every change,
	// loaded without the lock by emptyHint and sizeHint.
	size atomicInt32

	// cfg supplies GlobalBatchCap (immutable) and Procs (GOMAXPROCS,
	// changed by setProcs; guarded by lock).
	cfg spec.Config
}

// init prepares an empty global queue protected by lock (sched.lock),
// with the batch rule of cfg. Called before the queue is shared.
func (q *globrunq) init(lock *sync.Mutex, cfg spec.Config) {
	if lock == nil {
		panic("globrunq.init: nil lock")
	}
	if cfg.Procs < 1 || cfg.GlobalBatchCap < 1 {
		panic("globrunq.init: Procs and GlobalBatchCap must be >= 1")
	}
	*q = globrunq{lock: lock, cfg: cfg}
}

// newGlobrunq returns an empty global queue with a lock of its own.
func newGlobrunq(cfg spec.Config) *globrunq {
	q := new(globrunq)
	q.init(new(sync.Mutex), cfg)
	return q
}

// assertLockHeld panics unless sched.lock is held (by someone: a
// sync.Mutex has no owner, so this cannot tell who).
func (q *globrunq) assertLockHeld() {
	if q.lock.TryLock() {
		q.lock.Unlock()
		panic("globrunq: sched.lock must be held")
	}
}

// publishSize stores runq.size into the lock-free hint.
func (q *globrunq) publishSize() {
	q.size.Store(q.runq.size) // store, read by emptyHint/sizeHint without the lock
}

// put appends gp at the tail (globrunqput, proc.go:7249-7253: Gosched,
// preemption, exitsyscall without a P).
// sched.lock must be held.
func (q *globrunq) put(gp *g) {
	q.assertLockHeld()
	q.runq.pushBack(gp)
	q.publishSize()
}

// putHead pushes gp at the head (globrunqputhead, proc.go:7260-7264: used
// only by procresize for a destroyed P's Gs).
// sched.lock must be held.
func (q *globrunq) putHead(gp *g) {
	q.assertLockHeld()
	q.runq.push(gp)
	q.publishSize()
}

// putBatch appends all of *batch at the tail, in order, and clears *batch
// (globrunqputbatch, proc.go:7272-7277: runqputslow, injectglist,
// runqdrain).
// sched.lock must be held.
func (q *globrunq) putBatch(batch *gQueue) {
	q.assertLockHeld()
	q.runq.pushBackAll(*batch)
	*batch = gQueue{}
	q.publishSize()
}

// get pops one G from the head, or returns nil (globrunqget,
// proc.go:7281-7289: the schedtick%61 fairness check).
// sched.lock must be held.
func (q *globrunq) get() *g {
	q.assertLockHeld()
	if q.runq.size == 0 {
		return nil
	}
	gp := q.runq.pop()
	q.publishSize()
	return gp
}

// getBatch pops cfg.GlobalBatch(size) = min(GlobalBatchCap, size,
// size/Procs+1) Gs from the head (globrunqgetbatch, proc.go:7293-7310;
// the runtime's callers pass len(runq)/2 as the cap). The first is
// returned to be run; the others, in order, are returned in rest for the
// caller to put on its (empty) local ring with runqputbatch. An empty
// queue returns nil and an empty rest.
// sched.lock must be held.
func (q *globrunq) getBatch() (gp *g, rest gQueue) {
	q.assertLockHeld()
	if q.runq.size == 0 {
		return nil, gQueue{}
	}
	n := q.cfg.GlobalBatch(int(q.runq.size))
	gp = q.runq.pop()
	for n--; n > 0; n-- {
		rest.pushBack(q.runq.pop())
	}
	q.publishSize()
	return gp, rest
}

// len returns the exact number of Gs in the queue (sched.runq.size).
// sched.lock must be held.
func (q *globrunq) len() int32 {
	q.assertLockHeld()
	return q.runq.size
}

// setProcs records a new GOMAXPROCS for the batch rule (procresize).
// sched.lock must be held.
func (q *globrunq) setProcs(procs int) {
	q.assertLockHeld()
	if procs < 1 {
		panic("globrunq.setProcs: procs < 1")
	}
	q.cfg.Procs = procs
}

// emptyHint reports whether the queue looked empty at some recent moment
// (the runtime's lock-free sched.runq.empty() peeks). A hint only: act on
// it only after re-checking with sched.lock held.
// Can be executed by any P.
func (q *globrunq) emptyHint() bool {
	return q.size.Load() == 0 // load, may be stale
}

// sizeHint returns the queue's size at some recent moment (schedtrace's
// runqueue=, findRunnable's lock-free peeks). A hint only.
// Can be executed by any P.
func (q *globrunq) sizeHint() int32 {
	return q.size.Load() // load, may be stale
}

// snapshot returns the queue's Gs from head to tail. Only while the world
// is stopped (or with sched.lock held).
func (q *globrunq) snapshot() []*g {
	return q.runq.slice()
}
