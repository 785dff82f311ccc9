package spec

import (
	"errors"
	"fmt"
	"sync"
)

// This file holds the named invariants over a [Snapshot]. Each is a function
// func(*Snapshot) error that returns nil or an error saying what broke and
// naming the offending Gs, Ps and Ms. [All] runs them in the order of
// [Invariants]; the TLA+ spec defines operators of the same names.
//
// The explorer calls All on every reachable state, so the checks are linear
// in the size of the snapshot and allocate nothing when the snapshot is
// valid: ID lookups use dense tables indexed by ID (with a map only for IDs
// far outside the range of the snapshot's own IDs), kept in a pool.

// Invariant is a named invariant over a Snapshot.
type Invariant struct {
	Name  string
	Check func(*Snapshot) error
}

// InvariantError is the error [All] returns: the name of the invariant that
// failed and its error. Its message is "Name: message".
type InvariantError struct {
	Name string
	Err  error
}

func (e *InvariantError) Error() string { return e.Name + ": " + e.Err.Error() }

// Unwrap returns the invariant's own error.
func (e *InvariantError) Unwrap() error { return e.Err }

// checks lists the invariants in their fixed order.
var checks = [...]struct {
	name string
	run  func(*checker) error
}{
	{"GInOnePlace", (*checker).gInOnePlace},
	{"RunqBounds", (*checker).runqBounds},
	{"RunnextNotInRunq", (*checker).runnextNotInRunq},
	{"RunningHasMAndP", (*checker).runningHasMAndP},
	{"IdlePEmpty", (*checker).idlePEmpty},
	{"IdleMHasNothing", (*checker).idleMHasNothing},
	{"WaitingOffQueues", (*checker).waitingOffQueues},
	{"SpinningHasNoWork", (*checker).spinningHasNoWork},
	{"StackBounds", (*checker).stackBounds},
	{"StackPointersValid", (*checker).stackPointersValid},
}

// Invariants returns the named invariants in the order [All] runs them.
func Invariants() []Invariant {
	return []Invariant{
		{"GInOnePlace", GInOnePlace},
		{"RunqBounds", RunqBounds},
		{"RunnextNotInRunq", RunnextNotInRunq},
		{"RunningHasMAndP", RunningHasMAndP},
		{"IdlePEmpty", IdlePEmpty},
		{"IdleMHasNothing", IdleMHasNothing},
		{"WaitingOffQueues", WaitingOffQueues},
		{"SpinningHasNoWork", SpinningHasNoWork},
		{"StackBounds", StackBounds},
		{"StackPointersValid", StackPointersValid},
	}
}

var errNilSnapshot = errors.New("nil Snapshot")

// All runs every invariant in the order of [Invariants] and returns the first
// failure as an *[InvariantError], or nil.
func All(s *Snapshot) error {
	if s == nil {
		return &InvariantError{Name: checks[0].name, Err: errNilSnapshot}
	}
	c := getChecker(s)
	defer putChecker(c)
	for i := range checks {
		if err := checks[i].run(c); err != nil {
			return &InvariantError{Name: checks[i].name, Err: err}
		}
	}
	return nil
}

func runOne(s *Snapshot, f func(*checker) error) error {
	if s == nil {
		return errNilSnapshot
	}
	c := getChecker(s)
	defer putChecker(c)
	return f(c)
}

// GInOnePlace: every G is in exactly one place consistent with its status.
// A runnable G is in exactly one of some P's runnext, some P's runq and the
// global queue; a running or syscall G is the curg of exactly one M, the one
// its M field names; a waiting G is in the waiters of exactly one key, the
// one its WaitKey names; a dead G is nowhere. A G that is neither running
// nor in a syscall has M == NoM, and only a waiting G has a WaitKey. Every
// GID on a queue, a waiters list or an M's curg is in Gs, and no GID is
// listed twice anywhere (Gs included).
func GInOnePlace(s *Snapshot) error { return runOne(s, (*checker).gInOnePlace) }

// RunqBounds: every P's runq holds at most RunqSize Gs; a dead P has an
// empty runq and no runnext.
func RunqBounds(s *Snapshot) error { return runOne(s, (*checker).runqBounds) }

// RunnextNotInRunq: a P's runnext G is in no P's runq and not in the global
// queue.
func RunnextNotInRunq(s *Snapshot) error { return runOne(s, (*checker).runnextNotInRunq) }

// RunningHasMAndP: a running G has an M whose curg it is and which holds a
// running P whose M is that M; a syscall G has an M whose curg it is (the M
// may or may not hold a P). Conversely an M's P and the P's M agree both
// ways, a P has an M exactly when it is running, an M's curg is running or
// in a syscall and names that M, and an M with an OldP runs a G in a
// syscall.
func RunningHasMAndP(s *Snapshot) error { return runOne(s, (*checker).runningHasMAndP) }

// IdlePEmpty: every P in IdleP is idle with an empty runq, no runnext and no
// M; every idle P is in IdleP exactly once.
func IdlePEmpty(s *Snapshot) error { return runOne(s, (*checker).idlePEmpty) }

// IdleMHasNothing: every M in IdleM holds no P, runs no G and is not
// spinning; no M is in IdleM twice.
func IdleMHasNothing(s *Snapshot) error { return runOne(s, (*checker).idleMHasNothing) }

// WaitingOffQueues: waiting and dead Gs are on no run queue (no runnext, no
// runq, not the global queue).
func WaitingOffQueues(s *Snapshot) error { return runOne(s, (*checker).waitingOffQueues) }

// SpinningHasNoWork: a spinning M holds a P whose runq is empty and whose
// runnext is NoG, and runs no G; NMSpinning is the number of spinning Ms.
func SpinningHasNoWork(s *Snapshot) error { return runOne(s, (*checker).spinningHasNoWork) }

// StackBounds: the stack of every G that is not dead has a power-of-two
// size in [StackMin, StackMax] and Lo <= SP <= Hi; each frame's size is a
// non-negative multiple of 8 with Size/8 slots, and SP is Hi minus the sum
// of the frame sizes.
func StackBounds(s *Snapshot) error { return runOne(s, (*checker).stackBounds) }

// StackPointersValid: every pointer word on a G's stack points into that
// stack (Lo <= Val < Hi), its Target names an existing frame and slot, and
// Val is that slot's address ([Stack.SlotAddr]): it still points at what it
// pointed at when it was made.
func StackPointersValid(s *Snapshot) error { return runOne(s, (*checker).stackPointersValid) }

// ---------------------------------------------------------------------------
// ID tables.

// idTable maps int32 IDs to int32 values. IDs in [0, len(dense)) live in
// dense (value+1; 0 is absent); others in sparse, which is only allocated
// when such an ID is added.
type idTable struct {
	dense  []int32
	sparse map[int32]int32
}

// denseLimit is the dense size for IDs up to maxID among n entries: IDs are
// normally small and close together, but a stray huge ID must not make the
// table huge.
func denseLimit(maxID int32, n int) int {
	lim := int(maxID) + 1
	if lim < 0 {
		lim = 0
	}
	return min(lim, 4*n+1024)
}

func (t *idTable) reset(limit int) {
	if cap(t.dense) < limit {
		t.dense = make([]int32, limit)
	} else {
		t.dense = t.dense[:limit]
		clear(t.dense)
	}
	if len(t.sparse) > 0 {
		clear(t.sparse)
	}
}

func (t *idTable) get(id int32) (int32, bool) {
	if id >= 0 && int(id) < len(t.dense) {
		v := t.dense[id]
		return v - 1, v != 0
	}
	v, ok := t.sparse[id]
	return v, ok
}

// add sets id to v unless id is present; then it returns the present value
// and false.
func (t *idTable) add(id, v int32) (int32, bool) {
	if id >= 0 && int(id) < len(t.dense) {
		if old := t.dense[id]; old != 0 {
			return old - 1, false
		}
		t.dense[id] = v + 1
		return v, true
	}
	if old, ok := t.sparse[id]; ok {
		return old, false
	}
	if t.sparse == nil {
		t.sparse = make(map[int32]int32)
	}
	t.sparse[id] = v
	return v, true
}

// ---------------------------------------------------------------------------
// The checker: one Snapshot and the indexes built over it, shared by the
// invariants that All runs and reused through a pool.

type checker struct {
	s *Snapshot

	gBuilt, pBuilt, mBuilt bool
	gErr, pErr, mErr       error // the first duplicate or invalid ID found
	gPos, pPos, mPos       idTable

	mark   idTable  // scratch set keyed by GID
	places []place  // scratch, parallel to s.Gs
	seen   []int32  // scratch, parallel to s.Ps or s.Ms
	tops   []uint64 // scratch: the low end of each frame of one stack
}

var checkerPool = sync.Pool{New: func() any { return new(checker) }}

func getChecker(s *Snapshot) *checker {
	c := checkerPool.Get().(*checker)
	c.s = s
	return c
}

func putChecker(c *checker) {
	*c = checker{
		gPos: c.gPos, pPos: c.pPos, mPos: c.mPos, mark: c.mark,
		places: c.places[:0], seen: c.seen[:0], tops: c.tops[:0],
	}
	// Do not let one huge snapshot pin its tables in the pool forever.
	if cap(c.places) > 1<<16 || cap(c.gPos.dense) > 1<<18 || cap(c.mark.dense) > 1<<18 {
		return
	}
	checkerPool.Put(c)
}

func (c *checker) gIndex() error {
	if !c.gBuilt {
		c.gBuilt = true
		c.gErr = indexIDs(&c.gPos, c.s.Gs, "Gs", int32(NoG)+1, func(g *GState) GID { return g.ID })
	}
	return c.gErr
}

func (c *checker) pIndex() error {
	if !c.pBuilt {
		c.pBuilt = true
		c.pErr = indexIDs(&c.pPos, c.s.Ps, "Ps", 0, func(p *PState) PID { return p.ID })
	}
	return c.pErr
}

func (c *checker) mIndex() error {
	if !c.mBuilt {
		c.mBuilt = true
		c.mErr = indexIDs(&c.mPos, c.s.Ms, "Ms", 0, func(m *MState) MID { return m.ID })
	}
	return c.mErr
}

// indexIDs fills pos with the position of each element's ID in list and
// returns the first ID below minID or listed twice, naming the list.
func indexIDs[T any, ID interface {
	fmt.Stringer
	~int32
}](pos *idTable, list []T, name string, minID int32, id func(*T) ID) error {
	var maxID int32
	for i := range list {
		maxID = max(maxID, int32(id(&list[i])))
	}
	pos.reset(denseLimit(maxID, len(list)))
	var err error
	for i := range list {
		v := id(&list[i])
		if int32(v) < minID && err == nil {
			err = fmt.Errorf("%s[%d] has invalid ID %d", name, i, int32(v))
		}
		if j, ok := pos.add(int32(v), int32(i)); !ok && err == nil {
			err = fmt.Errorf("%v is listed twice in %s (%s[%d] and %s[%d])", v, name, name, j, name, i)
		}
	}
	return err
}

// g returns the G with the given ID, or nil.
func (c *checker) g(id GID) *GState {
	c.gIndex()
	if i, ok := c.gPos.get(int32(id)); ok {
		return &c.s.Gs[i]
	}
	return nil
}

// p returns the P with the given ID, or nil.
func (c *checker) p(id PID) *PState {
	c.pIndex()
	if i, ok := c.pPos.get(int32(id)); ok {
		return &c.s.Ps[i]
	}
	return nil
}

// m returns the M with the given ID, or nil.
func (c *checker) m(id MID) *MState {
	c.mIndex()
	if i, ok := c.mPos.get(int32(id)); ok {
		return &c.s.Ms[i]
	}
	return nil
}

// scratch returns c.seen resized to n and zeroed.
func (c *checker) scratch(n int) []int32 {
	if cap(c.seen) < n {
		c.seen = make([]int32, n)
	} else {
		c.seen = c.seen[:n]
		clear(c.seen)
	}
	return c.seen
}

// gstatus phrases a G status for a message: "g5 is in a syscall".
func gstatus(st GStatus) string {
	if st == GSyscall {
		return "in a syscall"
	}
	return st.String()
}

// pOwner says who holds p, for a message: "p1's M is m2" or "p1 has no M".
func pOwner(p *PState) string {
	if p.M == NoM {
		return p.ID.String() + " has no M"
	}
	return p.ID.String() + "'s M is " + p.M.String()
}

// pname names a P for a message, saying "no P" for NoP.

func pname(p PID) string {
	if p == NoP {
		return "no P"
	}
	return p.String()
}

// nGs is "1 G" or "n Gs".
func nGs(n int) string {
	if n == 1 {
		return "1 G"
	}
	return fmt.Sprintf("%d Gs", n)
}

// ---------------------------------------------------------------------------
// Places a GID can be listed in.

type placeKind uint8

const (
	plNone placeKind = iota
	plRunnext
	plRunq
	plGlobal
	plCurg
	plWaiters
)

type place struct {
	kind  placeKind
	owner int32 // P ID, M ID or index into Keys
	idx   int32 // position in the queue
}

func (pl place) runQueue() bool { return pl.kind >= plRunnext && pl.kind <= plGlobal }

func (c *checker) describe(pl place) string {
	switch pl.kind {
	case plRunnext:
		return fmt.Sprintf("%v's runnext", PID(pl.owner))
	case plRunq:
		return fmt.Sprintf("%v's runq[%d]", PID(pl.owner), pl.idx)
	case plGlobal:
		return fmt.Sprintf("the global queue[%d]", pl.idx)
	case plCurg:
		return fmt.Sprintf("%v's curg", MID(pl.owner))
	case plWaiters:
		return fmt.Sprintf("key %q's waiters[%d]", c.s.Keys[pl.owner].Key, pl.idx)
	}
	return "nowhere"
}

// put records that g is listed at pl.
func (c *checker) put(g GID, pl place) error {
	if g == NoG {
		return fmt.Errorf("%s is NoG", c.describe(pl))
	}
	i, ok := c.gPos.get(int32(g))
	if !ok {
		return fmt.Errorf("%v is in %s but not in Gs", g, c.describe(pl))
	}
	if old := c.places[i]; old.kind != plNone {
		return fmt.Errorf("%v is in %s and in %s", g, c.describe(old), c.describe(pl))
	}
	c.places[i] = pl
	return nil
}

func (c *checker) gInOnePlace() error {
	s := c.s
	if err := c.gIndex(); err != nil {
		return err
	}
	if cap(c.places) < len(s.Gs) {
		c.places = make([]place, len(s.Gs))
	} else {
		c.places = c.places[:len(s.Gs)]
		clear(c.places)
	}
	for i := range s.Ps {
		p := &s.Ps[i]
		if p.Runnext != NoG {
			if err := c.put(p.Runnext, place{plRunnext, int32(p.ID), 0}); err != nil {
				return err
			}
		}
		for j, g := range p.Runq {
			if err := c.put(g, place{plRunq, int32(p.ID), int32(j)}); err != nil {
				return err
			}
		}
	}
	for j, g := range s.Global {
		if err := c.put(g, place{plGlobal, 0, int32(j)}); err != nil {
			return err
		}
	}
	for i := range s.Ms {
		m := &s.Ms[i]
		if m.Curg != NoG {
			if err := c.put(m.Curg, place{plCurg, int32(m.ID), 0}); err != nil {
				return err
			}
		}
	}
	for k := range s.Keys {
		key := &s.Keys[k]
		if err := c.uniqueKey(k); err != nil {
			return err
		}
		for j, g := range key.Waiters {
			if err := c.put(g, place{plWaiters, int32(k), int32(j)}); err != nil {
				return err
			}
		}
	}
	for i := range s.Gs {
		g := &s.Gs[i]
		pl := c.places[i]
		switch g.Status {
		case GRunnable:
			if pl.kind == plNone {
				return fmt.Errorf("%v is runnable but on no run queue", g.ID)
			}
			if !pl.runQueue() {
				return fmt.Errorf("%v is runnable but in %s, not on a run queue", g.ID, c.describe(pl))
			}
		case GRunning, GSyscall:
			if pl.kind == plNone {
				return fmt.Errorf("%v is %s but no M's curg", g.ID, gstatus(g.Status))
			}
			if pl.kind != plCurg {
				return fmt.Errorf("%v is %s but in %s", g.ID, gstatus(g.Status), c.describe(pl))
			}
			if MID(pl.owner) != g.M {
				return fmt.Errorf("%v is %s with M %v but is %s", g.ID, gstatus(g.Status), g.M, c.describe(pl))
			}
		case GWaiting:
			if g.WaitKey == "" {
				return fmt.Errorf("%v is waiting but has no WaitKey", g.ID)
			}
			if pl.kind == plNone {
				return fmt.Errorf("%v is waiting on key %q but in no key's waiters", g.ID, g.WaitKey)
			}
			if pl.kind != plWaiters || s.Keys[pl.owner].Key != g.WaitKey {
				return fmt.Errorf("%v is waiting on key %q but in %s", g.ID, g.WaitKey, c.describe(pl))
			}
		case GDead:
			if pl.kind != plNone {
				return fmt.Errorf("%v is dead but in %s", g.ID, c.describe(pl))
			}
		default:
			return fmt.Errorf("%v has unknown status %v", g.ID, g.Status)
		}
		if g.M != NoM && g.Status != GRunning && g.Status != GSyscall {
			return fmt.Errorf("%v is %s but has M %v", g.ID, gstatus(g.Status), g.M)
		}
		if g.WaitKey != "" && g.Status != GWaiting {
			return fmt.Errorf("%v is %s but has WaitKey %q", g.ID, gstatus(g.Status), g.WaitKey)
		}
	}
	return nil
}

// uniqueKey reports whether s.Keys[k] repeats an earlier key. Keys are
// normally sorted, so comparing with the previous key settles it; only an
// unsorted list needs the quadratic scan.
func (c *checker) uniqueKey(k int) error {
	keys := c.s.Keys
	if k == 0 || keys[k-1].Key < keys[k].Key {
		return nil
	}
	for j := 0; j < k; j++ {
		if keys[j].Key == keys[k].Key {
			return fmt.Errorf("key %q is listed twice in Keys (Keys[%d] and Keys[%d])", keys[k].Key, j, k)
		}
	}
	return nil
}

// ---------------------------------------------------------------------------

func (c *checker) runqBounds() error {
	s := c.s
	for i := range s.Ps {
		p := &s.Ps[i]
		if len(p.Runq) > s.RunqSize {
			return fmt.Errorf("%v's runq holds %d Gs, more than RunqSize %d", p.ID, len(p.Runq), s.RunqSize)
		}
		if p.Status == PDead {
			if len(p.Runq) > 0 {
				return fmt.Errorf("%v is dead but its runq holds %s (first %v)", p.ID, nGs(len(p.Runq)), p.Runq[0])
			}
			if p.Runnext != NoG {
				return fmt.Errorf("%v is dead but its runnext is %v", p.ID, p.Runnext)
			}
		}
	}
	return nil
}

func (c *checker) runnextNotInRunq() error {
	s := c.s
	var maxID int32
	n := 0
	for i := range s.Ps {
		if g := s.Ps[i].Runnext; g != NoG {
			maxID = max(maxID, int32(g))
			n++
		}
	}
	if n == 0 {
		return nil
	}
	c.mark.reset(denseLimit(maxID, len(s.Gs)))
	for i := range s.Ps {
		if g := s.Ps[i].Runnext; g != NoG {
			c.mark.add(int32(g), int32(s.Ps[i].ID))
		}
	}
	for i := range s.Ps {
		p := &s.Ps[i]
		for j, g := range p.Runq {
			if owner, ok := c.mark.get(int32(g)); ok {
				return fmt.Errorf("%v is %v's runnext and also in %v's runq[%d]", g, PID(owner), p.ID, j)
			}
		}
	}
	for j, g := range s.Global {
		if owner, ok := c.mark.get(int32(g)); ok {
			return fmt.Errorf("%v is %v's runnext and also in the global queue[%d]", g, PID(owner), j)
		}
	}
	return nil
}

func (c *checker) runningHasMAndP() error {
	s := c.s
	c.gIndex()
	if err := c.pIndex(); err != nil {
		return err
	}
	if err := c.mIndex(); err != nil {
		return err
	}
	for i := range s.Gs {
		g := &s.Gs[i]
		if g.Status != GRunning && g.Status != GSyscall {
			continue
		}
		if g.M == NoM {
			return fmt.Errorf("%v is %s but has no M", g.ID, gstatus(g.Status))
		}
		m := c.m(g.M)
		if m == nil {
			return fmt.Errorf("%v is %s on %v, which is not in Ms", g.ID, gstatus(g.Status), g.M)
		}
		if m.Curg != g.ID {
			if m.Curg == NoG {
				return fmt.Errorf("%v is %s on %v, which runs no G", g.ID, gstatus(g.Status), m.ID)
			}
			return fmt.Errorf("%v is %s on %v, whose curg is %v", g.ID, gstatus(g.Status), m.ID, m.Curg)
		}
		if g.Status == GSyscall {
			continue // the M may or may not still hold a P (until retake)
		}
		if m.P == NoP {
			return fmt.Errorf("%v is running on %v, which holds no P", g.ID, m.ID)
		}
		p := c.p(m.P)
		if p == nil {
			return fmt.Errorf("%v is running on %v, which holds %v, which is not in Ps", g.ID, m.ID, m.P)
		}
		if p.Status != PRunning {
			return fmt.Errorf("%v is running on %v, which holds %v, which is %v", g.ID, m.ID, p.ID, p.Status)
		}
		if p.M != m.ID {
			return fmt.Errorf("%v is running on %v, which holds %v, but %s", g.ID, m.ID, p.ID, pOwner(p))
		}
	}
	for i := range s.Ms {
		m := &s.Ms[i]
		if m.P != NoP {
			p := c.p(m.P)
			if p == nil {
				return fmt.Errorf("%v holds %v, which is not in Ps", m.ID, m.P)
			}
			if p.M != m.ID {
				return fmt.Errorf("%v holds %v, but %s", m.ID, p.ID, pOwner(p))
			}
			if p.Status != PRunning {
				return fmt.Errorf("%v holds %v, which is %v", m.ID, p.ID, p.Status)
			}
		}
		var curg *GState
		if m.Curg != NoG {
			curg = c.g(m.Curg)
			if curg == nil {
				return fmt.Errorf("%v's curg %v is not in Gs", m.ID, m.Curg)
			}
			if curg.Status != GRunning && curg.Status != GSyscall {
				return fmt.Errorf("%v's curg %v is %s", m.ID, curg.ID, gstatus(curg.Status))
			}
			if curg.M != m.ID {
				return fmt.Errorf("%v's curg %v has M %v", m.ID, curg.ID, curg.M)
			}
		}
		if m.OldP != NoP {
			if c.p(m.OldP) == nil {
				return fmt.Errorf("%v's OldP %v is not in Ps", m.ID, m.OldP)
			}
			if curg == nil {
				return fmt.Errorf("%v has OldP %v but runs no G", m.ID, m.OldP)
			}
			if curg.Status != GSyscall {
				return fmt.Errorf("%v has OldP %v but its curg %v is %s, not in a syscall", m.ID, m.OldP, curg.ID, gstatus(curg.Status))
			}
		}
	}
	for i := range s.Ps {
		p := &s.Ps[i]
		switch p.Status {
		case PRunning:
			if p.M == NoM {
				return fmt.Errorf("%v is running but has no M", p.ID)
			}
			m := c.m(p.M)
			if m == nil {
				return fmt.Errorf("%v's M %v is not in Ms", p.ID, p.M)
			}
			if m.P != p.ID {
				return fmt.Errorf("%v's M is %v, but %v holds %s", p.ID, m.ID, m.ID, pname(m.P))
			}
		case PIdle, PDead:
			if p.M != NoM {
				return fmt.Errorf("%v is %v but has M %v", p.ID, p.Status, p.M)
			}
		default:
			return fmt.Errorf("%v has unknown status %v", p.ID, p.Status)
		}
	}
	return nil
}

func (c *checker) idlePEmpty() error {
	s := c.s
	if err := c.pIndex(); err != nil {
		return err
	}
	seen := c.scratch(len(s.Ps)) // IdleP index + 1
	for j, id := range s.IdleP {
		i, ok := c.pPos.get(int32(id))
		if !ok {
			return fmt.Errorf("IdleP[%d] is %v, which is not in Ps", j, id)
		}
		if seen[i] != 0 {
			return fmt.Errorf("%v is in IdleP twice (IdleP[%d] and IdleP[%d])", id, seen[i]-1, j)
		}
		seen[i] = int32(j) + 1
		p := &s.Ps[i]
		if p.Status != PIdle {
			return fmt.Errorf("%v is in IdleP but %v", id, p.Status)
		}
		if len(p.Runq) > 0 {
			return fmt.Errorf("idle %v's runq holds %s (first %v)", id, nGs(len(p.Runq)), p.Runq[0])
		}
		if p.Runnext != NoG {
			return fmt.Errorf("idle %v's runnext is %v", id, p.Runnext)
		}
		if p.M != NoM {
			return fmt.Errorf("idle %v has M %v", id, p.M)
		}
	}
	for i := range s.Ps {
		if s.Ps[i].Status == PIdle && seen[i] == 0 {
			return fmt.Errorf("%v is idle but not in IdleP", s.Ps[i].ID)
		}
	}
	return nil
}

func (c *checker) idleMHasNothing() error {
	s := c.s
	if err := c.mIndex(); err != nil {
		return err
	}
	seen := c.scratch(len(s.Ms)) // IdleM index + 1
	for j, id := range s.IdleM {
		i, ok := c.mPos.get(int32(id))
		if !ok {
			return fmt.Errorf("IdleM[%d] is %v, which is not in Ms", j, id)
		}
		if seen[i] != 0 {
			return fmt.Errorf("%v is in IdleM twice (IdleM[%d] and IdleM[%d])", id, seen[i]-1, j)
		}
		seen[i] = int32(j) + 1
		m := &s.Ms[i]
		if m.P != NoP {
			return fmt.Errorf("idle %v holds %v", id, m.P)
		}
		if m.Curg != NoG {
			return fmt.Errorf("idle %v runs %v", id, m.Curg)
		}
		if m.Spinning {
			return fmt.Errorf("idle %v is spinning", id)
		}
	}
	return nil
}

func (c *checker) waitingOffQueues() error {
	s := c.s
	c.gIndex()
	for i := range s.Ps {
		p := &s.Ps[i]
		if p.Runnext != NoG {
			if gs := c.g(p.Runnext); gs != nil && (gs.Status == GWaiting || gs.Status == GDead) {
				return fmt.Errorf("%v is %s but %v's runnext", gs.ID, gstatus(gs.Status), p.ID)
			}
		}
		for j, g := range p.Runq {
			if gs := c.g(g); gs != nil && (gs.Status == GWaiting || gs.Status == GDead) {
				return fmt.Errorf("%v is %s but in %v's runq[%d]", gs.ID, gstatus(gs.Status), p.ID, j)
			}
		}
	}
	for j, g := range s.Global {
		if gs := c.g(g); gs != nil && (gs.Status == GWaiting || gs.Status == GDead) {
			return fmt.Errorf("%v is %s but in the global queue[%d]", gs.ID, gstatus(gs.Status), j)
		}
	}
	return nil
}

func (c *checker) spinningHasNoWork() error {
	s := c.s
	c.pIndex()
	n := 0
	for i := range s.Ms {
		m := &s.Ms[i]
		if !m.Spinning {
			continue
		}
		n++
		if m.Curg != NoG {
			return fmt.Errorf("spinning %v runs %v", m.ID, m.Curg)
		}
		if m.P == NoP {
			return fmt.Errorf("spinning %v holds no P", m.ID)
		}
		p := c.p(m.P)
		if p == nil {
			return fmt.Errorf("spinning %v holds %v, which is not in Ps", m.ID, m.P)
		}
		if len(p.Runq) > 0 {
			return fmt.Errorf("spinning %v holds %v, whose runq holds %s (first %v)", m.ID, p.ID, nGs(len(p.Runq)), p.Runq[0])
		}
		if p.Runnext != NoG {
			return fmt.Errorf("spinning %v holds %v, whose runnext is %v", m.ID, p.ID, p.Runnext)
		}
	}
	if n != s.NMSpinning {
		return fmt.Errorf("NMSpinning is %d but %d M(s) spin%s", s.NMSpinning, n, c.spinners())
	}
	return nil
}

// spinners lists the spinning Ms, for an error message.
func (c *checker) spinners() string {
	out := ""
	for i := range c.s.Ms {
		if c.s.Ms[i].Spinning {
			if out == "" {
				out = " ("
			} else {
				out += ", "
			}
			out += c.s.Ms[i].ID.String()
		}
	}
	if out != "" {
		out += ")"
	}
	return out
}

// ---------------------------------------------------------------------------
// Stacks.

func frameName(st *Stack, f int) string {
	return fmt.Sprintf("frame %d (%s)", f, st.Frames[f].Func)
}

func (c *checker) stackBounds() error {
	s := c.s
	for i := range s.Gs {
		g := &s.Gs[i]
		if g.Status == GDead {
			continue
		}
		st := &g.Stack
		if st.Hi < st.Lo {
			return fmt.Errorf("%v's stack has Hi %#x below Lo %#x", g.ID, st.Hi, st.Lo)
		}
		size := st.Size()
		if !isPow2(size) {
			return fmt.Errorf("%v's stack size %d is not a power of two", g.ID, size)
		}
		if size < s.StackMin || size > s.StackMax {
			return fmt.Errorf("%v's stack size %d is outside [StackMin %d, StackMax %d]", g.ID, size, s.StackMin, s.StackMax)
		}
		var used int64
		for f := range st.Frames {
			fr := &st.Frames[f]
			if fr.Size < 0 || fr.Size%8 != 0 {
				return fmt.Errorf("%v's %s has size %d, not a non-negative multiple of 8", g.ID, frameName(st, f), fr.Size)
			}
			if int64(len(fr.Slots)) != fr.Size/8 {
				return fmt.Errorf("%v's %s has %d slots, want %d for size %d", g.ID, frameName(st, f), len(fr.Slots), fr.Size/8, fr.Size)
			}
			used += fr.Size
			if used > size {
				return fmt.Errorf("%v's frames 0..%d total %d bytes, more than its stack size %d", g.ID, f, used, size)
			}
		}
		if st.SP < st.Lo || st.SP > st.Hi {
			return fmt.Errorf("%v's SP %#x is outside its stack [%#x, %#x]", g.ID, st.SP, st.Lo, st.Hi)
		}
		if want := st.Hi - uint64(used); st.SP != want {
			return fmt.Errorf("%v's SP is %#x, but Hi - frame sizes (%d bytes) is %#x", g.ID, st.SP, used, want)
		}
	}
	return nil
}

func (c *checker) stackPointersValid() error {
	s := c.s
	for i := range s.Gs {
		g := &s.Gs[i]
		st := &g.Stack
		if len(st.Frames) == 0 {
			continue
		}
		// tops[f] is the address of slot 0 of frame f, as Stack.SlotAddr
		// computes it.
		c.tops = c.tops[:0]
		top := st.Hi
		for f := range st.Frames {
			top -= uint64(st.Frames[f].Size)
			c.tops = append(c.tops, top)
		}
		for f := range st.Frames {
			for k, w := range st.Frames[f].Slots {
				if !w.Ptr {
					continue
				}
				if w.Val < st.Lo || w.Val >= st.Hi {
					return fmt.Errorf("%v's %s slot %d points to %#x, outside its stack [%#x, %#x)", g.ID, frameName(st, f), k, w.Val, st.Lo, st.Hi)
				}
				t := w.Target
				if t.Frame < 0 || t.Frame >= len(st.Frames) {
					return fmt.Errorf("%v's %s slot %d targets frame %d, but the stack has %d frames", g.ID, frameName(st, f), k, t.Frame, len(st.Frames))
				}
				if t.Slot < 0 || t.Slot >= len(st.Frames[t.Frame].Slots) {
					return fmt.Errorf("%v's %s slot %d targets slot %d of %s, which has %d slots", g.ID, frameName(st, f), k, t.Slot, frameName(st, t.Frame), len(st.Frames[t.Frame].Slots))
				}
				if want := c.tops[t.Frame] + uint64(8*t.Slot); w.Val != want {
					return fmt.Errorf("%v's %s slot %d points to %#x, but its target (frame %d slot %d) is at %#x", g.ID, frameName(st, f), k, w.Val, t.Frame, t.Slot, want)
				}
			}
		}
	}
	return nil
}
