package impl

import (
	"runtime"
	"time"

	"github.com/gmplab/gmplab/spec"
)

// Local run queue
//
// A P's local run queue is the runtime's p.runqhead, p.runqtail, p.runq
// and p.runnext (runtime2.go:801-818; proc.go:7447-7747), with the same
// protocol and the same function names. Its size, spill batch and steal
// amount come from spec.Config (256, 128 and half by default).
//
// Ownership of each field (runtime2.go:801-818 and section 1.2 of the
// brief):
//
//   - tail is stored only by the owner P, with a store-release after the
//     slot writes it publishes (runqput, runqputbatch, and a thief
//     publishing a stolen batch into its own ring in runqsteal). The owner
//     reads its own tail without ordering; others load-acquire it.
//   - ring slots in [tail, head+size) are written only by the owner, with
//     plain stores published by that store-release (gptrSlot).
//   - head is advanced by any consumer, only by cas-release: the owner
//     (runqget, runqputslow, runqdrain) and thieves (runqgrab). A consumer
//     reads slots before its CAS, speculatively; the CAS validates that
//     nobody consumed them meanwhile. It is a single-producer,
//     multi-consumer FIFO ring: the owner consumes at the same end (head)
//     as thieves, unlike a Chase-Lev deque.
//   - runnext is set non-nil only by the owner; anyone may CAS it to nil.
//     A G in runnext is not in the ring.
//
// A world stopper may act as the owner of a stopped M's P
// (Sched.stopTheWorld's runqput, procresize's runqdrain).
//
// head and tail are free-running uint32 counters; a slot index is
// counter & mask, the length is tail-head in uint32 arithmetic (2^32 is a
// multiple of every power-of-two size). To the owner 0 <= tail-head <= size
// always holds; a non-owner can load an inconsistent pair (a stale head,
// tail-head > size) and must retry. ABA: a stale thief whose speculatively
// read slot was overwritten by a wrapped-around owner is caught by its
// failing head CAS, since head would have to advance by 2^32 to collide.
//
// Runnext kick. runqput(gp, next=true) swaps gp into runnext with a CAS
// loop (a thief may be zeroing runnext concurrently); a G that was in
// runnext is "kicked" to the ring tail, behind everything already queued.
//
// Spill protocol. When the owner finds its ring full, runqputslow moves
// the SpillBatch oldest Gs with one head CAS, appends the G that did not
// fit, and puts all of them, in order, at the global queue's tail. If the
// CAS fails, a consumer made room, and runqput retries its fast path.
//
// Steal protocol. A thief takes ceil(half) of a victim's ring (or one G
// under StealOne) by reading the slots into the free part of its own ring
// and committing with a head CAS on the victim; it then publishes all but
// the youngest stolen G with one store-release of its own tail and runs
// the youngest. Only when the victim's ring is empty, and only if asked
// (the last steal round), does a thief take runnext, after backing off if
// the victim is busy (see runqgrab).
//
// Internal bugs panic with constant strings prefixed with the function's
// name, as the runtime's throws.

// runq is a P's local run queue. See "Local run queue".
type runq struct {
	// head is the index of the oldest G (runqhead). Advanced only by
	// cas-release, by the owner or by a thief.
	head atomicUint32
	// tail is one past the youngest G (runqtail). Stored only by the
	// owner, with store-release.
	tail atomicUint32
	// runnext is the G to run next (p.runnext): the owner CASes a G in,
	// anyone may CAS it to nil.
	runnext atomicGPtr

	// ring holds the Gs at slots head&mask .. (tail-1)&mask; written only
	// by the owner. Immutable slice header after init.
	ring []gptrSlot

	// Immutable after init, derived from spec.Config.
	mask      uint32 // len(ring)-1; len(ring) = RunqSize, a power of two
	spill     uint32 // SpillBatch: how many of the oldest Gs a spill moves
	stealOne  bool   // StealAmount == StealOne: a steal takes one G, not half
	runnextOn bool   // Runnext: when false, runqput ignores next
	// mut holds the deliberate bugs of a mutation test (mutants.go); zero
	// in a correct run. Set by the Sched after init, before the queue is
	// shared; immutable afterwards.
	mut Mutants
}

// init prepares an empty queue with cfg's ring size, spill batch, steal
// amount and runnext switch. Called before the queue is shared; cfg must
// be valid (spec.Config.Validate).
func (q *runq) init(cfg spec.Config) {
	n := cfg.RunqSize
	if n < 2 || n > 1<<16 || n&(n-1) != 0 {
		panic("runq.init: RunqSize is not a power of two in [2, 65536]")
	}
	if cfg.SpillBatch < 1 || cfg.SpillBatch > n {
		panic("runq.init: SpillBatch is not in [1, RunqSize]")
	}
	*q = runq{
		ring:      make([]gptrSlot, n),
		mask:      uint32(n - 1),
		spill:     uint32(cfg.SpillBatch),
		stealOne:  cfg.StealAmount == spec.StealOne,
		runnextOn: cfg.Runnext,
	}
}

// newRunq returns an empty queue for cfg (see init).
func newRunq(cfg spec.Config) *runq {
	q := new(runq)
	q.init(cfg)
	return q
}

// size is the ring's capacity, RunqSize.
func (q *runq) size() uint32 { return uint32(len(q.ring)) }

// stealCount is how many of n ring Gs a steal takes: ceil(n/2)
// (proc.go:7667, n - n/2), or one under StealOne. It is
// spec.Config.StealCount on uint32.
func (q *runq) stealCount(n uint32) uint32 {
	if q.stealOne && n > 0 {
		return 1
	}
	c := n - n/2
	if q.mut&MutStealHalfPlusOne != 0 && c < n {
		c++ // mutant: one more than ceil(half) (proc.go:7667)
	}
	return c
}

// runqput puts gp on the local run queue (proc.go:7478-7520). If next is
// false, gp goes to the ring tail. If next is true, gp goes into runnext,
// and the G it replaces, if any, is kicked to the ring tail ("Runnext
// kick"). If the ring is full, the G bound for the tail and the SpillBatch
// oldest Gs go to the global queue ("Spill protocol"). With Config.Runnext
// off, next is ignored (like the runtime without sysmon, proc.go:7479).
//
// For the trace's Kick and Spill effects it returns the kicked G (nil if
// none) and the number of Gs spilled to the global queue (0 if none; the
// last spilled G is the kicked G if there was one, else gp).
// Executed only by the owner P, or by a world stopper while the owner is
// stopped (Sched.stopTheWorld, procresize).
func (q *runq) runqput(gp *g, next bool, global *globrunq) (kicked *g, spilled uint32) {
	if next && q.runnextOn {
		return q.runqputnext(gp, global)
	}
	h := q.head.LoadAcq() // load-acquire, synchronize with consumers
	t := q.tail.Load()    // the owner's own tail (a plain load in the runtime)
	if t-h < q.size() {
		q.ring[t&q.mask].store(gp)
		q.tail.StoreRel(t + 1) // store-release, makes the item available for consumption
		return nil, 0
	}
	if q.runqputslow(gp, h, t, global) {
		return nil, q.spill + 1
	}
	// The queue is not full any more: now the put above must succeed. (The
	// runtime jumps back with goto retry. The call recurses at most once,
	// since only the owner fills the ring; see runqputnext for why it is a
	// call.)
	return q.runqput(gp, false, global)
}

// runqputnext is runqput with next: it puts gp into runnext with a CAS
// loop and puts the G it replaced, if any, at the ring tail
// (proc.go:7494-7505; see "Runnext kick").
//
// It is a separate function, called in tail position, so that runqput
// has no value live across a call on its fast path and so no register
// spills on entry (measured by BenchmarkRunqPutGet: ~1.5 ns of 6).
// Executed only by the owner P, or by a world stopper while the owner is
// stopped (Sched.stopTheWorld, procresize).
func (q *runq) runqputnext(gp *g, global *globrunq) (kicked *g, spilled uint32) {
	for {
		old := q.runnext.Load()                // load, validated by the cas
		if q.runnext.CompareAndSwap(old, gp) { // cas, a thief may be zeroing runnext concurrently
			if old == nil {
				return nil, 0
			}
			// Kick the old runnext out to the regular run queue.
			_, spilled = q.runqput(old, false, global)
			return old, spilled
		}
	}
}

// runqputslow moves the SpillBatch oldest Gs of the full ring, then gp,
// to the tail of the global queue, in that order (proc.go:7524-7560; see
// "Spill protocol"). h and t are the head and tail runqput read. It
// returns false, having changed nothing, if a consumer advanced head
// first; the ring then has room and the caller retries its fast path.
// It takes sched.lock (global.lock) for the global queue.
//
// Unlike the runtime, which copies the slots before its CAS, it reads
// them after: only the owner writes slots, and the owner is running this,
// so the committed slots cannot change (runqdrain's order). That needs no
// batch buffer for a configurable SpillBatch.
// Executed only by the owner P, or by a world stopper while the owner is
// stopped (Sched.stopTheWorld, procresize).
func (q *runq) runqputslow(gp *g, h, t uint32, global *globrunq) bool {
	if t-h != q.size() {
		panic("runqputslow: queue is not full")
	}
	n := q.spill
	if !q.head.CasRel(h, h+n) { // cas-release, commits consume
		return false
	}
	var batch gQueue
	for i := uint32(0); i < n; i++ {
		batch.pushBack(q.ring[(h+i)&q.mask].load())
	}
	if q.mut&MutSpillDropsKicked == 0 {
		batch.pushBack(gp)
	} // else mutant: gp, the G that did not fit, is lost (proc.go:7539 appends it)

	if q.mut&MutGlobrunqNoLock != 0 {
		// Mutant golang/go#40457: the batch goes onto the global queue
		// without sched.lock, as Go 1.15's runqputbatch did. putBatch's
		// assertion (the runtime's assertLockHeld) catches it unless
		// another M happens to hold the lock, and then the race detector.
		global.putBatch(&batch)
		return true
	}
	// Now put the batch on the global queue.
	global.lock.Lock()
	global.putBatch(&batch)
	global.lock.Unlock()
	return true
}

// runqputbatch puts Gs from the front of b on the ring tail, in order,
// while there is room, with one store-release of tail
// (proc.go:7565-7592). Whatever does not fit stays in b; the caller
// decides (findRunnable calls it only on an empty ring with at most
// GlobalBatchCap-1 <= RunqSize Gs and throws if any remain).
// Executed only by the owner P.
func (q *runq) runqputbatch(b *gQueue) {
	if b.empty() {
		return
	}
	h := q.head.LoadAcq() // load-acquire, synchronize with consumers
	t := q.tail.Load()    // the owner's own tail
	for !b.empty() && t-h < q.size() {
		q.ring[t&q.mask].store(b.pop())
		t++
	}
	q.tail.StoreRel(t) // store-release, makes the items available for consumption
}

// runqget takes the next G to run (proc.go:7598-7619): runnext first,
// which inherits the current time slice (inheritTime), else the ring's
// oldest G, which starts a new slice. It returns nil if the queue is
// empty.
// Executed only by the owner P.
func (q *runq) runqget() (gp *g, inheritTime bool) {
	// If there's a runnext, it's the next G to run. If the CAS fails, the
	// runnext could only have been stolen by another P, because other Ps
	// can race to set runnext to nil, but only the owner can set it to
	// non-nil. Hence there's no need to retry this CAS if it fails.
	next := q.runnext.Load()                                // load, validated by the cas
	if next != nil && q.runnext.CompareAndSwap(next, nil) { // cas, races only with thieves zeroing it
		return next, true
	}

	for {
		h := q.head.LoadAcq() // load-acquire, synchronize with other consumers
		t := q.tail.Load()    // the owner's own tail
		if t == h {
			return nil, false
		}
		gp := q.ring[h&q.mask].load() // speculative, validated by the CAS
		if q.head.CasRel(h, h+1) {    // cas-release, commits consume
			return gp, false
		}
	}
}

// get is runqget as the scheduler and RunQueueLab call it: with the
// mutation tests' switch (one predictable branch in a correct run). The
// switch sits here, not in runqget, so that runqget is the protocol alone:
// the branch cost ~10% of BenchmarkRunqPutGet's put+get pair.
// Executed only by the owner P.
func (q *runq) get() (gp *g, inheritTime bool) {
	if q.mut != 0 {
		return q.runqgetMutant()
	}
	return q.runqget()
}

// runqgetMutant is runqget with the mutants that break it switched on as
// q.mut says (mutants.go); the rest of it is runqget's.
// Executed only by the owner P.
func (q *runq) runqgetMutant() (gp *g, inheritTime bool) {
	if q.mut&MutSpinWithRunnext == 0 { // the mutant (golang/go#10573) ignores runnext
		if next := q.runnext.Load(); next != nil { // load, validated by the cas (or not, by the mutant below)
			if q.mut&MutRunnextClearNoCAS != 0 {
				// Mutant: a plain store instead of the CAS (proc.go:7604):
				// a thief that CASed next out after the load runs it too.
				// It deliberately breaks atomicGPtr.Store's rule (only
				// for state no other thread accesses).
				q.runnext.Store(nil) // store, the mutant's
				return next, true
			}
			if q.runnext.CompareAndSwap(next, nil) { // cas, races only with thieves zeroing it
				return next, true
			}
		}
	}
	for {
		h := q.head.LoadAcq() // load-acquire, synchronize with other consumers
		t := q.tail.Load()    // the owner's own tail
		if t == h {
			return nil, false
		}
		gp := q.ring[h&q.mask].load() // speculative, validated by the CAS
		if q.mut&MutHeadPlainStore != 0 {
			// Mutant: a plain store instead of the CAS (proc.go:7615): a
			// thief's grab that committed after the load is undone.
			q.head.Store(h + 1) // store, the mutant's: breaks head's cas-release-only rule
			return gp, false
		}
		if q.head.CasRel(h, h+1) { // cas-release, commits consume
			return gp, false
		}
	}
}

// runqdrain empties the queue and returns all its Gs, runnext first, then
// the ring oldest first (proc.go:7623-7656). It takes the whole ring with
// one head CAS and only then reads the slots and links the Gs, so that no
// schedlink is written while a thief could still take the G.
// Executed only by the owner P, or by a world stopper while the owner is
// stopped (Sched.stopTheWorld, procresize).
func (q *runq) runqdrain() (drainQ gQueue) {
	oldNext := q.runnext.Load()                                   // load, validated by the cas
	if oldNext != nil && q.runnext.CompareAndSwap(oldNext, nil) { // cas, races only with thieves zeroing it
		drainQ.pushBack(oldNext)
	}

	for {
		h := q.head.LoadAcq() // load-acquire, synchronize with other consumers
		t := q.tail.Load()    // the owner's own tail
		qn := t - h
		if qn == 0 {
			return drainQ
		}
		if qn > q.size() { // read inconsistent h and t
			continue
		}
		if !q.head.CasRel(h, h+qn) { // cas-release, commits consume
			continue
		}
		// The slots are ours now; nobody else writes them.
		for i := uint32(0); i < qn; i++ {
			drainQ.pushBack(q.ring[(h+i)&q.mask].load())
		}
		return drainQ
	}
}

// runqempty reports whether the queue has no Gs (proc.go:7447-7460). It
// never returns true spuriously: it re-reads tail to defend against this
// race: 1) runnext holds G1 and head == tail; 2) the owner's
// runqput(G2, next=true) kicks G1 to the ring; 3) the owner's runqget takes
// G2 from runnext. A reader that saw head == tail before 2 and runnext ==
// nil after 3 would report empty although G1 is queued; step 2 changed
// tail, so the re-check catches it.
// Can be executed by any P.
func (q *runq) runqempty() bool {
	for {
		head := q.head.Load()       // load, sequentially consistent as in the runtime
		tail := q.tail.Load()       // load
		runnext := q.runnext.Load() // load
		if tail == q.tail.Load() {  // load: tail unchanged, so the three loads are consistent
			return head == tail && runnext == nil
		}
	}
}

// runqgrab takes Gs from q (the victim) into batch, a ring of a power-of-
// two length starting at batchHead, and returns how many
// (proc.go:7662-7725; see "Steal protocol"). From a non-empty ring it
// takes StealCount(len) = ceil(len/2) of the oldest Gs. From an empty ring
// it takes runnext, only if stealRunNextG and runnext is set.
//
// Before taking runnext it backs off for about 3 µs (the runtime's
// usleep(3)) if victimBusy reports the victim busy: victimBusy is the
// caller's predicate for "the victim P is running, has an M, and that M's
// curg is nil or not in a syscall" (proc.go:7669-7674), since such a
// victim probably just readied that G and is about to run it itself
// (see runqgrabBackoff). A nil victimBusy means never busy (an idle
// victim, as in the runtime's own steal test). It retries when it reads
// an inconsistent head and tail, or when a CAS fails.
// Can be executed by any P.
func (q *runq) runqgrab(batch []gptrSlot, batchHead uint32, stealRunNextG bool, victimBusy func() bool) uint32 {
	bmask := uint32(len(batch) - 1)
	if len(batch) == 0 || uint32(len(batch))&bmask != 0 {
		panic("runqgrab: batch length is not a power of two")
	}
	for {
		h := q.head.LoadAcq() // load-acquire, synchronize with other consumers
		t := q.tail.LoadAcq() // load-acquire, synchronize with the producer
		n := t - h
		if n == 0 {
			if stealRunNextG {
				// Try to steal from q.runnext.
				if next := q.runnext.Load(); next != nil { // load, validated by the cas
					if victimBusy != nil && victimBusy() {
						runqgrabBackoff()
					}
					if !q.runnext.CompareAndSwap(next, nil) { // cas, commits the steal of runnext
						continue
					}
					batch[batchHead&bmask].store(next)
					return 1
				}
			}
			return 0
		}
		// The runtime checks n - n/2 > size/2, which for an even size is
		// n > size; this form also covers StealOne.
		if n > q.size() { // read inconsistent h and t
			continue
		}
		if q.mut&MutStealRunnextNonEmpty != 0 && stealRunNextG {
			// Mutant: runnext taken from a non-empty ring (the runtime
			// takes it only when n == 0, proc.go:7668).
			if next := q.runnext.Load(); next != nil { // load, validated by the cas
				if !q.runnext.CompareAndSwap(next, nil) { // cas, commits the steal of runnext
					continue
				}
				batch[batchHead&bmask].store(next)
				return 1
			}
		}
		n = q.stealCount(n)
		for i := uint32(0); i < n; i++ {
			gp := q.ring[(h+i)&q.mask].load() // speculative, validated by the CAS
			batch[(batchHead+i)&bmask].store(gp)
		}
		if q.head.CasRel(h, h+n) { // cas-release, commits consume
			return n
		}
	}
}

// runqgrabBackoffTime is how long runqgrab backs off before stealing a
// busy victim's runnext: the runtime's usleep(3). A synchronous channel
// hand-off takes ~50 ns, so 3 µs gives the victim a ~50x margin to run the
// G it just readied, instead of bouncing it between Ps.
const runqgrabBackoffTime = 3 * time.Microsecond

// runqgrabBackoff waits about runqgrabBackoffTime, yielding the processor
// meanwhile (the runtime's usleep(3), or osyield on low-resolution
// timers). Ms are goroutines here, so it spins on runtime.Gosched, which
// lets the victim's M run even with few OS threads; time.Sleep would park
// the M for the Go timer's granularity (up to a millisecond), far longer
// than the runtime waits. A schedule controller sees it as an opBackoff
// and may use it to let the victim win the runnext race.
func runqgrabBackoff() {
	yield(opBackoff, nil)
	deadline := time.Now().Add(runqgrabBackoffTime)
	for time.Now().Before(deadline) {
		runtime.Gosched()
	}
}

// runqsteal steals from victim's local queue into q's and returns one of
// the stolen Gs to run, and how many were stolen in all (n, including the
// returned G), or (nil, 0) (proc.go:7730-7747; see "Steal protocol"). The
// stolen Gs are written into q's own ring at its tail; the youngest is
// returned, the others are published with one store-release of q's tail.
// stealRunNextG and victimBusy are passed to runqgrab. q, the thief's own
// queue, should be empty: a stolen batch that would overflow q's ring is
// an internal error.
// Executed only by the owner P.
func (q *runq) runqsteal(victim *runq, stealRunNextG bool, victimBusy func() bool) (gp *g, n uint32) {
	if victim == q {
		panic("runqsteal: stealing from own queue")
	}
	t := q.tail.Load() // the thief's own tail
	n = victim.runqgrab(q.ring, t, stealRunNextG, victimBusy)
	if n == 0 {
		return nil, 0
	}
	m := n - 1
	gp = q.ring[(t+m)&q.mask].load() // our own slot, written by runqgrab
	if m == 0 {
		return gp, n
	}
	h := q.head.LoadAcq() // load-acquire, synchronize with consumers
	if t-h+m >= q.size() {
		panic("runqsteal: runq overflow")
	}
	q.tail.StoreRel(t + m) // store-release, makes the items available for consumption
	return gp, n
}

// runqlen returns tail-head from a consistent pair of loads, clamped to
// the ring size: the ring's length at some recent moment, runnext not
// counted (schedtrace's runqsize). A hint when racing.
// Can be executed by any P.
func (q *runq) runqlen() uint32 {
	for {
		h := q.head.Load()      // load
		t := q.tail.Load()      // load
		if t == q.tail.Load() { // load: tail unchanged, so head and tail are a consistent pair
			return min(t-h, q.size())
		}
	}
}

// snapshot returns runnext and the ring's Gs from oldest to youngest.
// Only while the world is stopped (no M runs; every queue is quiescent):
// it reads head, tail and the slots without validation.
func (q *runq) snapshot() (runnext *g, ring []*g) {
	h, t := q.head.Load(), q.tail.Load() // loads, world stopped
	if t-h > q.size() {
		panic("runq.snapshot: inconsistent head and tail (world not stopped?)")
	}
	ring = make([]*g, 0, t-h)
	for i := h; i != t; i++ {
		ring = append(ring, q.ring[i&q.mask].load())
	}
	return q.runnext.Load(), ring // load, world stopped
}
