package impl

import (
	"sync"

	"github.com/gmplab/gmplab/spec"
)

// G identities and G structs, and the free lists that recycle the
// structs, as the runtime's gfput/gfget do (proc.go:5480-5600).
//
// A G ID (spec.GID) is never reused: the snapshot lists every G ever
// created, dead ones too, in ID order, as the model does. A g struct is:
// when a G exits, goexit puts its struct, with its frame records and
// their pointer maps, on its P's free list (gfput), and the next spawn on
// that P takes it (gfget) for a new ID, with a fresh stack of the
// starting size (stack.init: the memory it kept if it had that size,
// stackfreeKeep, else from the stack pools). What lasts of an ID after its
// G exited is its gRec.

// gRec is one G ID: the function it started in, its g while it lives,
// and what the snapshot and the engine's result need after it exited.
//
// It holds no pointer (the G is named by its index in allg), so that the
// table's chunks are not scanned by Go's GC and writing a record needs no
// write barrier.
type gRec struct {
	g       int32 // 1 + the index of its g in allg; 0 once the G exited (its struct may run another ID)
	fn      int32
	exits   uint32 // goexits of this ID (the stress test's exactly-once check)
	preempt bool   // its preempt flag when it exited (a dead G's snapshot)
}

// gidChunk is the number of gRecs in one chunk of the G table: the table
// grows by chunks, so that a new ID never moves the old ones.
const gidChunk = 4096

// gidTable is every G ID's gRec, by ID-1, in chunks of gidChunk. It is
// lock-free for its users: an ID is allocated by an atomic add, and the
// chunk directory is copy-on-grow behind an atomic pointer (grown under
// grow), so a record never moves. A record is written by the M that
// creates the G (add, before the G is published by a run queue's
// release) and by the M on which it exits (gdead); it is read with the
// world stopped (snapshot, GC), after the run (Result), or by checkdead
// when every M is idle.
type gidTable struct {
	n    atomicInt32 // IDs allocated
	dir  atomicPtr[[]*[gidChunk]gRec]
	grow sync.Mutex
}

// len is the number of IDs allocated.
// Executed with the world stopped, after the run, or by checkdead with
// every M idle (see gidTable), so that no add is in progress.
func (t *gidTable) len() int { return int(t.n.Load()) } // load, exact for these callers: no add races with it

// at returns the record of ID i+1, which add has allocated.
// Can be executed by any M ordered after that add: the M that created
// the G (add itself, newG), the M on which it exits (gdead), or a reader
// with the world stopped, after the run, or in checkdead (see gidTable).
func (t *gidTable) at(i int) *gRec {
	return &(*t.dir.Load())[i/gidChunk][i%gidChunk] // load, synchronizes with add's store of the grown directory
}

// add allocates the next ID with record r and returns its index.
// Can be executed by any M.
func (t *gidTable) add(r gRec) int {
	i := int(t.n.Add(1)) - 1 // add, allocates the ID; orders nothing (readers are ordered otherwise, see gidTable)
	c := i / gidChunk
	if d := t.dir.Load(); d == nil || c >= len(*d) { // load, synchronizes with a grower's store below
		t.grow.Lock()
		if d = t.dir.Load(); d == nil || c >= len(*d) { // load under grow: exact
			var nd []*[gidChunk]gRec
			if d != nil {
				nd = append(nd, *d...)
			}
			for len(nd) <= c {
				nd = append(nd, new([gidChunk]gRec))
			}
			t.dir.Store(&nd) // store, publishes the new chunks to at's load
		}
		t.grow.Unlock()
	}
	*t.at(i) = r
	return i
}

// gFreeLocalMax is the length of a P's free list at which gfput moves
// half of it to the global list (the runtime moves batches past 64).
const gFreeLocalMax = 64

// gfput puts gp, which has just exited on pp, on pp's free list; a long
// list gives half to the global one.
//
// Reference: proc.go:5480-5540 gfput.
// Executed only by the owner of pp.
func (s *Sched) gfput(pp *p, gp *g) {
	pp.gFree = append(pp.gFree, gp)
	if len(pp.gFree) < gFreeLocalMax {
		return
	}
	half := len(pp.gFree) / 2
	s.lock.Lock()
	s.gFree = append(s.gFree, pp.gFree[half:]...)
	s.gFreeN.Store(int32(len(s.gFree))) // store (under sched.lock), read by gfget's hint
	s.lock.Unlock()
	clear(pp.gFree[half:])
	pp.gFree = pp.gFree[:half]
}

// gfget takes a g struct from pp's free list, refilling it from the
// global list when empty, or returns nil.
//
// Reference: proc.go:5545-5600 gfget.
// Executed only by the owner of pp.
func (s *Sched) gfget(pp *p) *g {
	if len(pp.gFree) == 0 {
		if s.gFreeN.Load() == 0 { // load, a hint: gfput's store under sched.lock
			return nil
		}
		s.lock.Lock()
		n := min(len(s.gFree), gFreeLocalMax/2)
		pp.gFree = append(pp.gFree, s.gFree[len(s.gFree)-n:]...)
		clear(s.gFree[len(s.gFree)-n:])
		s.gFree = s.gFree[:len(s.gFree)-n]
		s.gFreeN.Store(int32(len(s.gFree))) // store (under sched.lock), read by gfget's hint
		s.lock.Unlock()
		if n == 0 {
			return nil
		}
	}
	n := len(pp.gFree)
	gp := pp.gFree[n-1]
	pp.gFree[n-1] = nil
	pp.gFree = pp.gFree[:n-1]
	return gp
}

// gfpurge moves pp's free list to the global one (a P being destroyed).
//
// Reference: proc.go:5605-5630 gfpurge.
// Executed with the world stopped; sched.lock must be held.
func (s *Sched) gfpurge(pp *p) {
	s.gFree = append(s.gFree, pp.gFree...)
	s.gFreeN.Store(int32(len(s.gFree))) // store (under sched.lock), read by gfget's hint
	clear(pp.gFree)
	pp.gFree = pp.gFree[:0]
}

// newG creates a runnable-to-be G running function fn with argument n and
// a starting-size stack holding fn's frame, recycling a g struct from
// pp's free list when there is one (pp nil: at start-up).
//
// Reference: proc.go:5313-5427 newproc1.
// Executed only by the owner of pp (or before the run starts).
func (s *Sched) newG(fn int, n int64, pp *p) *g {
	var gp *g
	if pp != nil {
		gp = s.gfget(pp)
	}
	if gp == nil {
		gp = &g{}
		s.allglock.Lock()
		s.allg = append(s.allg, gp)
		gp.allgIndex = int32(len(s.allg) - 1)
		s.allglock.Unlock()
	}
	id := spec.GID(s.gids.add(gRec{g: gp.allgIndex + 1, fn: int32(fn)}) + 1)
	gp.id, gp.fn, gp.waitKey, gp.waitN = id, fn, -1, 0
	gp.m, gp.fresh, gp.left, gp.schedlink = nil, false, 0, nil
	// Best effort, as in the runtime: a request sysmon stores after this
	// load (to the previous life, through a stale curg) survives until
	// execute clears it.
	if gp.preempt.Load() { // load: usually clear, and a load costs less than a store
		gp.preempt.Store(false) // store, drops a stale request sysmon made to the previous life
	}
	gp.stack.init(id, fn, s.code.Funcs[fn].Frame, n, &s.cfg, s.names)
	if s.mut&MutCopyNoAdjust != 0 {
		gp.stack.mut |= stackMutCopyNoAdjust // the stack code's own mutant: copystack, stack.go:652-698
	}
	gp.setStatus(spec.GRunnable)
	return gp
}

// gdead records that gp's ID exited (its goexit count and last preempt
// flag); gp's struct is free afterwards.
// Executed only by the M on which gp exits.
func (s *Sched) gdead(gp *g) {
	r := s.gids.at(int(gp.id) - 1)
	r.g = 0
	r.exits++
	r.preempt = gp.preempt.Load() // load; a sysmon store racing with the exit may be missed (tracing serializes them)
}

// liveGs returns the live Gs in ID order.
// Executed with the world stopped, or by checkdead with every M idle.
func (s *Sched) liveGs() []*g {
	s.allglock.Lock()
	defer s.allglock.Unlock()
	var out []*g
	for i := range s.gids.len() {
		if gp := s.gidG(s.gids.at(i)); gp != nil {
			out = append(out, gp)
		}
	}
	return out
}

// gidG returns the live G of record r, or nil.
// allglock must be held (the world stopped, or the run over).
func (s *Sched) gidG(r *gRec) *g {
	if r.g == 0 {
		return nil
	}
	return s.allg[r.g-1]
}

// withdrawPreempt clears a stop-the-world preemption request made to G
// id through its struct gp: on gp if it still runs id, else on id's
// record (it exited with the request pending; the request was the
// stopper's, not sysmon's, so the dead G keeps none).
// Executed only by a world stopper, with every other M stopped.
func (s *Sched) withdrawPreempt(gp *g, id spec.GID) {
	r := s.gids.at(int(id) - 1)
	if r.g == 0 {
		r.preempt = false
		return
	}
	gp.preempt.Store(false) // store, every M but the stopper is stopped
}
