package impl

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/gmplab/gmplab/spec"
)

// runqSeed fixes the seed of the random run queue tests (0: a fresh seed,
// printed by each test).
var runqSeed = flag.Uint64("runq.seed", 0, "seed for the random run queue tests (0: time-based)")

// runqTestSeed returns the seed for a random test and logs how to reproduce
// its run.
func runqTestSeed(t testing.TB) uint64 {
	seed := *runqSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d; reproduce with: go test ./impl -run '^%s$' -runq.seed=%d", seed, t.Name(), seed)
	return seed
}

// runqCfg is the default config with a ring of size slots (spill and global
// batch size/2, as the runtime derives them).
func runqCfg(size int) spec.Config {
	return spec.Default(4).WithRunqSize(size)
}

// runqGs returns n Gs with IDs 1..n.
func runqGs(n int) []*g {
	gs := make([]*g, n)
	for i := range gs {
		gs[i] = &g{id: spec.GID(i + 1)}
	}
	return gs
}

func gids(gs []*g) []spec.GID {
	out := make([]spec.GID, len(gs))
	for i, gp := range gs {
		out[i] = gp.id
	}
	return out
}

func gidOf(gp *g) spec.GID {
	if gp == nil {
		return spec.NoG
	}
	return gp.id
}

// checkRunq fails unless q holds exactly runnext and ring (oldest first).
func checkRunq(t *testing.T, what string, q *runq, runnext *g, ring []*g) {
	t.Helper()
	rn, r := q.snapshot()
	if rn != runnext || !slices.Equal(r, ring) {
		t.Fatalf("%s: runq = runnext %v ring %v, want runnext %v ring %v", what, gidOf(rn), gids(r), gidOf(runnext), gids(ring))
	}
	if got, want := q.runqempty(), runnext == nil && len(ring) == 0; got != want {
		t.Fatalf("%s: runqempty = %v, want %v", what, got, want)
	}
	if got := q.runqlen(); got != uint32(len(ring)) {
		t.Fatalf("%s: runqlen = %d, want %d", what, got, len(ring))
	}
}

var runqRingSizes = []int{2, 4, 8, 256}

// TestSchedLocalQueue is the runtime's RunSchedLocalQueueTest
// (export_test.go:102-123): for every fill i below the ring size, the same
// G put i times comes back i times, then the queue is empty. It checks
// FIFO at every length without the slow path and the ring's wrap-around.
func TestSchedLocalQueue(t *testing.T) {
	for _, size := range runqRingSizes {
		q := newRunq(runqCfg(size))
		global := newGlobrunq(runqCfg(size))
		gs := runqGs(size)
		for i := 0; i < size; i++ {
			if gp, _ := q.runqget(); gp != nil {
				t.Fatalf("size %d iter %d: runq is not empty initially", size, i)
			}
			for j := 0; j < i; j++ {
				q.runqput(gs[i], false, global)
			}
			for j := 0; j < i; j++ {
				if gp, inherit := q.runqget(); gp != gs[i] || inherit {
					t.Fatalf("size %d: bad element at iter %d/%d: got %v inherit=%v", size, i, j, gidOf(gp), inherit)
				}
			}
			if gp, _ := q.runqget(); gp != nil {
				t.Fatalf("size %d iter %d: runq is not empty afterwards", size, i)
			}
		}
		if global.sizeHint() != 0 {
			t.Fatalf("size %d: the slow path ran", size)
		}
		// The counters advanced by 0+1+...+(size-1): wrap-around covered.
		if h, tl := q.head.Load(), q.tail.Load(); h != tl || h != uint32(size*(size-1)/2) {
			t.Fatalf("size %d: head %d tail %d, want both %d", size, h, tl, size*(size-1)/2)
		}
	}
}

// TestSchedLocalQueueSteal is the runtime's RunSchedLocalQueueStealTest
// (export_test.go:125-167): for every fill i, a steal into a fresh P
// takes i/2 or i/2+1 (here exactly ceil(i/2)), and every G is seen
// exactly once between the thief and the victim.
func TestSchedLocalQueueSteal(t *testing.T) {
	for _, size := range runqRingSizes {
		p1, p2 := newRunq(runqCfg(size)), newRunq(runqCfg(size))
		global := newGlobrunq(runqCfg(size))
		gs := runqGs(size)
		for i := 0; i < size; i++ {
			sig := make(map[*g]int)
			for j := 0; j < i; j++ {
				p1.runqput(gs[j], false, global)
			}
			gp, n := p2.runqsteal(p1, true, nil)
			s := 0
			if gp != nil {
				s++
				sig[gp]++
			}
			for {
				gp, _ = p2.runqget()
				if gp == nil {
					break
				}
				s++
				sig[gp]++
			}
			for {
				gp, _ = p1.runqget()
				if gp == nil {
					break
				}
				sig[gp]++
			}
			for j := 0; j < i; j++ {
				if sig[gs[j]] != 1 {
					t.Fatalf("size %d: bad element %d (%d) at iter %d", size, j, sig[gs[j]], i)
				}
			}
			if len(sig) != i {
				t.Fatalf("size %d iter %d: saw %d distinct Gs", size, i, len(sig))
			}
			if s != i/2 && s != i/2+1 {
				t.Fatalf("size %d: bad steal %d, want %d or %d, iter %d", size, s, i/2, i/2+1, i)
			}
			if s != i-i/2 || n != uint32(s) {
				t.Fatalf("size %d iter %d: stole %d (n=%d), want ceil(%d/2) = %d", size, i, s, n, i, i-i/2)
			}
		}
	}
}

// TestSchedLocalQueueEmpty is the runtime's RunSchedLocalQueueEmptyTest
// (export_test.go:169-200, TestSchedLocalQueueEmpty): runqempty is never
// spuriously true while the owner concurrently does runqput(next) and
// runqget on a queue that always holds at least one G (the race of
// runqempty's comment).
func TestSchedLocalQueueEmpty(t *testing.T) {
	if runtime.NumCPU() == 1 {
		// Takes too long and does not trigger the race.
		t.Skip("skipping on uniprocessor")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	// The goroutines spin-wait; keep the GC from needing to stop them.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	runtime.GC()

	iters := int(1e5)
	if testing.Short() {
		iters = 1e2
	}
	q := newRunq(runqCfg(256))
	global := newGlobrunq(runqCfg(256))
	gs := runqGs(2)
	// The runtime's test starts a goroutine per iteration, which waits in
	// the spawning P's runnext until a spinning M steals it (~100 µs
	// here, 15 s for 1e5 iterations). One helper goroutine rendezvousing
	// on counters keeps the race as tight at a fraction of the cost:
	// iteration i starts when ready reaches 2(i+1) (each side waits for at least that: the other may already be past it), and the helper reports
	// its check by storing i+1 into checked.
	var ready, checked atomic.Uint32
	var failed atomic.Bool
	go func() {
		for i := 0; i < iters; i++ {
			for ready.Add(1); ready.Load() < uint32(2*(i+1)); {
			}
			if q.runqempty() {
				failed.Store(true)
			}
			checked.Store(uint32(i + 1))
		}
	}()
	for i := 0; i < iters; i++ {
		next0 := i&1 == 0
		next1 := i&2 == 0
		q.runqput(gs[0], next0, global)
		for ready.Add(1); ready.Load() < uint32(2*(i+1)); {
		}
		q.runqput(gs[1], next1, global)
		q.runqget()
		for checked.Load() != uint32(i+1) {
		}
		q.runqget()
		if failed.Load() {
			t.Fatalf("iter %d: queue is empty (next0=%v next1=%v)", i, next0, next1)
		}
	}
	checkRunq(t, "end", q, nil, nil)
}

// TestRunqSpill checks runqputslow: a put on a full ring moves exactly the
// SpillBatch oldest Gs and then the G that did not fit (the new G, or the
// kicked runnext) to the global tail, in order.
func TestRunqSpill(t *testing.T) {
	type tc struct{ size, spill int }
	var cases []tc
	for _, size := range []int{2, 4, 256} {
		cases = append(cases, tc{size, size / 2}, tc{size, 1}, tc{size, size})
	}
	for _, c := range cases {
		for _, next := range []bool{false, true} {
			t.Run(fmt.Sprintf("size=%d/spill=%d/next=%v", c.size, c.spill, next), func(t *testing.T) {
				cfg := runqCfg(c.size)
				cfg.SpillBatch = c.spill
				q, global := newRunq(cfg), newGlobrunq(cfg)
				gs := runqGs(c.size + 3)
				// Something already on the global queue: the spill goes behind it.
				global.lock.Lock()
				global.put(gs[c.size+2])
				global.lock.Unlock()
				ring := gs[:c.size]
				for _, gp := range ring {
					if k, s := q.runqput(gp, false, global); k != nil || s != 0 {
						t.Fatalf("put %v: kicked %v spilled %d", gidOf(gp), gidOf(k), s)
					}
				}
				newg, old := gs[c.size], gs[c.size+1]
				var runnext, bound *g
				if next {
					q.runqput(old, true, global) // runnext, no kick
					runnext, bound = newg, old
				} else {
					bound = newg
				}
				checkRunq(t, "full", q, map[bool]*g{true: old}[next], ring)
				kicked, spilled := q.runqput(newg, next, global)
				if next && kicked != old || !next && kicked != nil {
					t.Fatalf("kicked %v", gidOf(kicked))
				}
				if spilled != uint32(c.spill+1) {
					t.Fatalf("spilled %d, want %d", spilled, c.spill+1)
				}
				want := append([]*g{gs[c.size+2]}, ring[:c.spill]...)
				want = append(want, bound)
				if got := global.snapshot(); !slices.Equal(got, want) {
					t.Fatalf("global = %v, want %v", gids(got), gids(want))
				}
				if global.sizeHint() != int32(len(want)) {
					t.Fatalf("global size hint %d, want %d", global.sizeHint(), len(want))
				}
				checkRunq(t, "after spill", q, runnext, ring[c.spill:])
				// Gs linked into the global queue end with a nil schedlink.
				if want[len(want)-1].schedlink != nil {
					t.Fatal("last spilled G has a schedlink")
				}
			})
		}
	}
}

// TestRunqputslowRetry: runqputslow returns false, changing nothing, when
// a consumer advanced head after runqput read it; runqput then succeeds on
// its fast path.
func TestRunqputslowRetry(t *testing.T) {
	cfg := runqCfg(4)
	q, global := newRunq(cfg), newGlobrunq(cfg)
	gs := runqGs(5)
	for _, gp := range gs[:4] {
		q.runqput(gp, false, global)
	}
	h, tl := q.head.Load(), q.tail.Load()
	thief := newRunq(cfg)
	if gp, n := thief.runqsteal(q, false, nil); gp != gs[1] || n != 2 {
		t.Fatalf("steal = %v, %d", gidOf(gp), n)
	}
	if q.runqputslow(gs[4], h, tl, global) {
		t.Fatal("runqputslow succeeded with a stale head")
	}
	if global.sizeHint() != 0 {
		t.Fatal("global queue changed")
	}
	checkRunq(t, "after failed spill", q, nil, gs[2:4])
	func() {
		defer func() {
			if r := recover(); r != "runqputslow: queue is not full" {
				t.Fatalf("recover() = %v", r)
			}
		}()
		q.runqputslow(gs[4], q.head.Load(), q.tail.Load(), global)
	}()
}

// TestRunqRunnext: runqget prefers runnext and inherits the time slice;
// runnext kicks go to the ring tail; with Config.Runnext off next is
// ignored.
func TestRunqRunnext(t *testing.T) {
	cfg := runqCfg(8)
	q, global := newRunq(cfg), newGlobrunq(cfg)
	gs := runqGs(4)
	q.runqput(gs[0], false, global)
	q.runqput(gs[1], true, global)
	if k, _ := q.runqput(gs[2], true, global); k != gs[1] {
		t.Fatalf("kicked %v, want g2", gidOf(k))
	}
	checkRunq(t, "kick", q, gs[2], gs[:2])
	for i, want := range []struct {
		g       *g
		inherit bool
	}{{gs[2], true}, {gs[0], false}, {gs[1], false}, {nil, false}} {
		if gp, inherit := q.runqget(); gp != want.g || inherit != want.inherit {
			t.Fatalf("get %d = %v,%v, want %v,%v", i, gidOf(gp), inherit, gidOf(want.g), want.inherit)
		}
	}

	cfg.Runnext = false
	q = newRunq(cfg)
	q.runqput(gs[0], true, global)
	q.runqput(gs[1], true, global)
	checkRunq(t, "runnext off", q, nil, gs[:2])
}

// TestRunqStealCount checks every steal amount against spec.Config's rule
// (the model's StealCount), for every ring length of every size and both
// StealAmounts: the oldest n are taken, the youngest of them returned, the
// others published on the thief's ring in order; runnext is taken only
// from an empty ring and only when asked.
func TestRunqStealCount(t *testing.T) {
	for _, size := range []int{2, 4, 8, 16, 32, 64, 128, 256} {
		for _, amount := range []spec.StealAmount{spec.StealHalf, spec.StealOne} {
			cfg := runqCfg(size)
			cfg.StealAmount = amount
			global := newGlobrunq(cfg)
			gs := runqGs(size + 1)
			for l := 0; l <= size; l++ {
				for _, withNext := range []bool{false, true} {
					victim, thief := newRunq(cfg), newRunq(cfg)
					// Offset the thief's counters so the batch wraps its ring.
					thief.head.Store(uint32(size - 1))
					thief.tail.Store(uint32(size - 1))
					for _, gp := range gs[:l] {
						victim.runqput(gp, false, global)
					}
					var rn *g
					if withNext {
						rn = gs[size]
						victim.runqput(rn, true, global)
					}
					what := fmt.Sprintf("size %d %v len %d runnext %v", size, amount, l, withNext)
					// Not asked for runnext.
					gp, n := thief.runqsteal(victim, false, nil)
					want := cfg.StealCount(l)
					if int(n) != want {
						t.Fatalf("%s: stole %d, want %d", what, n, want)
					}
					if want == 0 {
						if gp != nil {
							t.Fatalf("%s: stole %v from an empty ring", what, gidOf(gp))
						}
						checkRunq(t, what+": victim", victim, rn, nil)
						// Asked for runnext: taken only if there is one.
						gp, n = thief.runqsteal(victim, true, nil)
						if gp != rn || (rn != nil) != (n == 1) {
							t.Fatalf("%s: runnext steal = %v, %d", what, gidOf(gp), n)
						}
						checkRunq(t, what+": victim after runnext steal", victim, nil, nil)
						checkRunq(t, what+": thief after runnext steal", thief, nil, nil)
						continue
					}
					if gp != gs[want-1] {
						t.Fatalf("%s: runs %v, want the youngest stolen %v", what, gidOf(gp), gidOf(gs[want-1]))
					}
					checkRunq(t, what+": thief", thief, nil, gs[:want-1])
					checkRunq(t, what+": victim", victim, rn, gs[want:l])
					// Asking for runnext changes nothing while the ring is non-empty.
					if l-want > 0 {
						v2, t2 := newRunq(cfg), newRunq(cfg)
						for _, gp := range gs[want:l] {
							v2.runqput(gp, false, global)
						}
						v2.runqput(gs[size], true, global)
						_, n2 := t2.runqsteal(v2, true, nil)
						if int(n2) != cfg.StealCount(l-want) {
							t.Fatalf("%s: second steal %d", what, n2)
						}
						if rn2, _ := v2.snapshot(); rn2 != gs[size] {
							t.Fatalf("%s: runnext stolen from a non-empty ring", what)
						}
					}
				}
			}
		}
	}
}

// TestRunqgrabBackoff: a busy victim makes the thief back off before
// taking runnext; if the victim takes runnext meanwhile, the thief's CAS
// fails and it retries, finding nothing.
func TestRunqgrabBackoff(t *testing.T) {
	cfg := runqCfg(8)
	global := newGlobrunq(cfg)
	gs := runqGs(1)

	victim, thief := newRunq(cfg), newRunq(cfg)
	victim.runqput(gs[0], true, global)
	calls := 0
	start := time.Now()
	gp, n := thief.runqsteal(victim, true, func() bool { calls++; return true })
	if d := time.Since(start); d < runqgrabBackoffTime {
		t.Errorf("backed off for %v, want >= %v", d, runqgrabBackoffTime)
	}
	if gp != gs[0] || n != 1 || calls != 1 {
		t.Fatalf("steal = %v, %d after %d predicate calls", gidOf(gp), n, calls)
	}

	// The victim runs its runnext during the back-off.
	victim.runqput(gs[0], true, global)
	gp, n = thief.runqsteal(victim, true, func() bool {
		if got, inherit := victim.runqget(); got != gs[0] || !inherit {
			t.Errorf("victim's runqget = %v, %v", gidOf(got), inherit)
		}
		return true
	})
	if gp != nil || n != 0 {
		t.Fatalf("stole %v, %d although the victim ran it", gidOf(gp), n)
	}
	checkRunq(t, "victim", victim, nil, nil)
	checkRunq(t, "thief", thief, nil, nil)

	// A victim that is not busy (nil, or false: e.g. its G is in a
	// syscall) is robbed without delay.
	victim.runqput(gs[0], true, global)
	if gp, _ := thief.runqsteal(victim, true, func() bool { return false }); gp != gs[0] {
		t.Fatalf("steal = %v", gidOf(gp))
	}
}

// TestRunqstealOverflow: a stolen batch that does not fit the thief's ring
// is an internal error, as in the runtime.
func TestRunqstealOverflow(t *testing.T) {
	cfg := runqCfg(4)
	global := newGlobrunq(cfg)
	gs := runqGs(8)
	victim, thief := newRunq(cfg), newRunq(cfg)
	for _, gp := range gs[:4] {
		victim.runqput(gp, false, global)
	}
	for _, gp := range gs[4:7] {
		thief.runqput(gp, false, global)
	}
	defer func() {
		if r := recover(); r != "runqsteal: runq overflow" {
			t.Fatalf("recover() = %v", r)
		}
	}()
	thief.runqsteal(victim, false, nil)
}

// TestRunqdrain: runnext first, then the ring in order; the queue is left
// empty.
func TestRunqdrain(t *testing.T) {
	cfg := runqCfg(4)
	global := newGlobrunq(cfg)
	gs := runqGs(6)
	q := newRunq(cfg)
	for i := 0; i < 3; i++ { // wrap the counters
		q.runqput(gs[0], false, global)
		q.runqget()
	}
	for _, gp := range gs[:4] {
		q.runqput(gp, false, global)
	}
	q.runqput(gs[4], true, global)
	d := q.runqdrain()
	if got, want := d.slice(), append([]*g{gs[4]}, gs[:4]...); !slices.Equal(got, want) || d.size != 5 {
		t.Fatalf("drain = %v (size %d), want %v", gids(got), d.size, gids(want))
	}
	checkRunq(t, "drained", q, nil, nil)
	if d := q.runqdrain(); !d.empty() {
		t.Fatal("second drain not empty")
	}
}

// TestRunqputbatch: the front of the batch fills the free slots in order,
// the rest stays in the batch.
func TestRunqputbatch(t *testing.T) {
	cfg := runqCfg(4)
	global := newGlobrunq(cfg)
	gs := runqGs(6)
	q := newRunq(cfg)
	q.runqput(gs[0], false, global)
	var b gQueue
	for _, gp := range gs[1:6] {
		b.pushBack(gp)
	}
	q.runqputbatch(&b)
	checkRunq(t, "batch", q, nil, gs[:4])
	if got := b.slice(); !slices.Equal(got, gs[4:6]) || b.size != 2 {
		t.Fatalf("left in batch %v (size %d), want g5 g6", gids(got), b.size)
	}
	var empty gQueue
	q.runqputbatch(&empty)
	checkRunq(t, "empty batch", q, nil, gs[:4])
}

// refQueues is a sequential reference of the local and global queues, in
// slices, with the semantics of model/runq.go and model/sched.go (the impl
// may not import model; properties/ compares the two directly).
type refQueues struct {
	cfg     spec.Config
	runnext []*g   // per P
	ring    [][]*g // per P
	global  []*g
}

func (r *refQueues) put(p int, gp *g, next bool) {
	if next && r.cfg.Runnext {
		old := r.runnext[p]
		r.runnext[p] = gp
		if old == nil {
			return
		}
		gp = old
	}
	if len(r.ring[p]) < r.cfg.RunqSize {
		r.ring[p] = append(r.ring[p], gp)
		return
	}
	n := r.cfg.SpillBatch
	r.global = append(r.global, r.ring[p][:n]...)
	r.global = append(r.global, gp)
	r.ring[p] = slices.Clone(r.ring[p][n:])
}

func (r *refQueues) get(p int) (*g, bool) {
	if gp := r.runnext[p]; gp != nil {
		r.runnext[p] = nil
		return gp, true
	}
	if len(r.ring[p]) == 0 {
		return nil, false
	}
	gp := r.ring[p][0]
	r.ring[p] = r.ring[p][1:]
	return gp, false
}

func (r *refQueues) steal(thief, victim int, stealRunnext bool) (*g, int) {
	if l := len(r.ring[victim]); l > 0 {
		n := r.cfg.StealCount(l)
		stolen := r.ring[victim][:n]
		r.ring[victim] = r.ring[victim][n:]
		r.ring[thief] = append(r.ring[thief], stolen[:n-1]...)
		return stolen[n-1], n
	}
	if gp := r.runnext[victim]; gp != nil && stealRunnext {
		r.runnext[victim] = nil
		return gp, 1
	}
	return nil, 0
}

// TestRunqSequentialVsReference runs random sequences of every run queue
// operation on two Ps and the global queue, and compares each result and
// the whole state after every step with refQueues.
func TestRunqSequentialVsReference(t *testing.T) {
	seed := runqTestSeed(t)
	rng := rand.New(rand.NewPCG(seed, 0))
	steps := 10000
	if testing.Short() {
		steps = 1000
	}
	for _, size := range runqRingSizes {
		for _, amount := range []spec.StealAmount{spec.StealHalf, spec.StealOne} {
			for _, runnextOn := range []bool{true, false} {
				cfg := runqCfg(size)
				cfg.Procs = 1 + rng.IntN(4)
				cfg.StealAmount = amount
				cfg.Runnext = runnextOn
				cfg.SpillBatch = 1 + rng.IntN(size)
				what := fmt.Sprintf("size %d spill %d procs %d %v runnext %v", size, cfg.SpillBatch, cfg.Procs, amount, runnextOn)
				qs := []*runq{newRunq(cfg), newRunq(cfg)}
				global := newGlobrunq(cfg)
				ref := &refQueues{cfg: cfg, runnext: make([]*g, 2), ring: make([][]*g, 2)}
				nextG := 0
				fresh := func() *g { // a new G for every put
					nextG++
					return &g{id: spec.GID(nextG)}
				}
				for step := 0; step < steps; step++ {
					p := rng.IntN(2)
					var op string
					switch k := rng.IntN(100); {
					case k < 45:
						gp, next := fresh(), rng.IntN(3) == 0
						op = fmt.Sprintf("put(p%d, %v, next=%v)", p, gidOf(gp), next)
						qs[p].runqput(gp, next, global)
						ref.put(p, gp, next)
					case k < 75:
						op = fmt.Sprintf("get(p%d)", p)
						gp, inh := qs[p].runqget()
						rgp, rinh := ref.get(p)
						if gp != rgp || inh != rinh {
							t.Fatalf("%s step %d %s = %v,%v, want %v,%v", what, step, op, gidOf(gp), inh, gidOf(rgp), rinh)
						}
					case k < 85:
						// Steal into an empty thief, as stealWork does.
						victim, thief := p, 1-p
						for d := qs[thief].runqdrain(); !d.empty(); {
							d.pop()
						}
						ref.runnext[thief], ref.ring[thief] = nil, nil
						stealNext := rng.IntN(2) == 0
						op = fmt.Sprintf("steal(p%d <- p%d, %v)", thief, victim, stealNext)
						gp, n := qs[thief].runqsteal(qs[victim], stealNext, nil)
						rgp, rn := ref.steal(thief, victim, stealNext)
						if gp != rgp || int(n) != rn {
							t.Fatalf("%s step %d %s = %v,%d, want %v,%d", what, step, op, gidOf(gp), n, gidOf(rgp), rn)
						}
					case k < 90:
						op = fmt.Sprintf("drain(p%d)", p)
						d := qs[p].runqdrain()
						var want []*g
						if ref.runnext[p] != nil {
							want = append(want, ref.runnext[p])
						}
						want = append(want, ref.ring[p]...)
						ref.runnext[p], ref.ring[p] = nil, nil
						if got := d.slice(); !slices.Equal(got, want) {
							t.Fatalf("%s step %d %s = %v, want %v", what, step, op, gids(got), gids(want))
						}
					case k < 95:
						// findRunnable: a global batch onto an empty ring.
						if len(ref.ring[p]) != 0 {
							continue
						}
						op = fmt.Sprintf("globalbatch(p%d)", p)
						global.lock.Lock()
						gp, rest := global.getBatch()
						global.lock.Unlock()
						qs[p].runqputbatch(&rest)
						if !rest.empty() {
							t.Fatalf("%s step %d %s: batch did not fit", what, step, op)
						}
						n := cfg.GlobalBatch(len(ref.global))
						var rgp *g
						if n > 0 {
							rgp = ref.global[0]
							ref.ring[p] = append(ref.ring[p], ref.global[1:n]...)
							ref.global = ref.global[n:]
						}
						if gp != rgp {
							t.Fatalf("%s step %d %s = %v, want %v", what, step, op, gidOf(gp), gidOf(rgp))
						}
					default:
						op = "globalget"
						global.lock.Lock()
						gp := global.get()
						global.lock.Unlock()
						var rgp *g
						if len(ref.global) > 0 {
							rgp, ref.global = ref.global[0], ref.global[1:]
						}
						if gp != rgp {
							t.Fatalf("%s step %d %s = %v, want %v", what, step, op, gidOf(gp), gidOf(rgp))
						}
					}
					for i, q := range qs {
						rn, ring := q.snapshot()
						if rn != ref.runnext[i] || !slices.Equal(ring, ref.ring[i]) {
							t.Fatalf("%s step %d after %s: p%d = runnext %v ring %v, want runnext %v ring %v",
								what, step, op, i, gidOf(rn), gids(ring), gidOf(ref.runnext[i]), gids(ref.ring[i]))
						}
					}
					if got := global.snapshot(); !slices.Equal(got, ref.global) {
						t.Fatalf("%s step %d after %s: global = %v, want %v", what, step, op, gids(got), gids(ref.global))
					}
				}
			}
		}
	}
}

// TestRunqStress races an owner that puts (ring and runnext, spilling
// when full), gets and drains, against 1-3 thieves that steal from every
// other P (runnext included), run what they get from their own queues,
// re-ready some Gs onto their own queues and take from the global queue.
// At the end every G was run exactly once or is still queued exactly once
// (a ring, a runnext or the global queue). Run it with -race.
func TestRunqStress(t *testing.T) {
	seed := runqTestSeed(t)
	ops := 300_000
	if testing.Short() {
		ops = 30_000
	}
	for _, c := range []struct {
		size    int
		thieves int
	}{{4, 1}, {8, 3}, {256, 2}} {
		t.Run(fmt.Sprintf("size=%d/thieves=%d", c.size, c.thieves), func(t *testing.T) {
			runqStress(t, seed, runqCfg(c.size), c.thieves, ops/3)
		})
	}
}

func runqStress(t *testing.T, seed uint64, cfg spec.Config, thieves, ops int) {
	nP := 1 + thieves
	cfg.Procs = nP
	global := newGlobrunq(cfg)
	qs := make([]*runq, nP)
	for i := range qs {
		qs[i] = newRunq(cfg)
	}
	gs := runqGs(ops)
	runs := make([]atomic.Int32, ops+1) // by G id
	var stop atomic.Bool
	var stats [8]atomic.Int64 // puts, gets, steals, stolen, spills, globalgets, reput, backoffs
	run := func(gp *g) {
		if gp == nil {
			return
		}
		runs[gp.id].Add(1)
	}

	var wg sync.WaitGroup
	var started atomic.Int32
	// The owner (P0) creates every G.
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer stop.Store(true)
		rng := rand.New(rand.NewPCG(seed, 0))
		q := qs[0]
		for started.Load() != int32(thieves) {
			runtime.Gosched()
		}
		for i, n := 0, 0; i < ops; n++ {
			if n%32 == 0 {
				// Let the thieves run even when Ps outnumber CPUs: without
				// this the owner can finish within one time slice.
				runtime.Gosched()
			}
			switch k := rng.IntN(100); {
			case k < 60:
				_, spilled := q.runqput(gs[i], rng.IntN(4) == 0, global)
				i++
				stats[0].Add(1)
				if spilled > 0 {
					stats[4].Add(1)
				}
			case k < 97:
				gp, _ := q.runqget()
				run(gp)
				stats[1].Add(1)
			default:
				for d := q.runqdrain(); !d.empty(); {
					run(d.pop())
				}
			}
		}
	}()
	for th := 1; th < nP; th++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(th)))
			q := qs[th]
			busy := func() bool { return rng.IntN(64) == 0 }
			started.Add(1)
			for !stop.Load() {
				// Run from the local queue, sometimes re-readying the G.
				if gp, _ := q.runqget(); gp != nil {
					if rng.IntN(8) == 0 {
						q.runqput(gp, rng.IntN(2) == 0, global)
						stats[6].Add(1)
					} else {
						run(gp)
					}
					continue
				}
				if rng.IntN(4) == 0 && !global.emptyHint() {
					global.lock.Lock()
					gp, rest := global.getBatch()
					global.lock.Unlock()
					q.runqputbatch(&rest)
					if !rest.empty() {
						panic("runqStress: global batch did not fit an empty ring")
					}
					run(gp)
					stats[5].Add(1)
					continue
				}
				victim := rng.IntN(nP - 1)
				if victim >= th {
					victim++
				}
				gp, n := q.runqsteal(qs[victim], rng.IntN(2) == 0, busy)
				stats[2].Add(1)
				stats[3].Add(int64(n))
				if gp == nil && rng.IntN(16) == 0 {
					runtime.Gosched()
				}
				run(gp)
			}
		}()
	}
	wg.Wait()

	// What is left, with every M stopped.
	where := make([]int, ops+1)
	for _, q := range qs {
		rn, ring := q.snapshot()
		if rn != nil {
			where[rn.id]++
		}
		for _, gp := range ring {
			where[gp.id]++
		}
	}
	global.lock.Lock()
	for _, gp := range global.snapshot() {
		where[gp.id]++
	}
	if int(global.len()) != len(global.snapshot()) {
		t.Errorf("global len %d, list %d", global.len(), len(global.snapshot()))
	}
	global.lock.Unlock()
	bad := 0
	for id := 1; id <= ops; id++ {
		if n := int(runs[id].Load()) + where[id]; n != 1 {
			if bad++; bad < 10 {
				t.Errorf("g%d: run %d times and queued %d times", id, runs[id].Load(), where[id])
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d Gs not accounted exactly once", bad)
	}
	t.Logf("puts %d gets %d spills %d steals %d (stole %d Gs) global batches %d re-readied %d",
		stats[0].Load(), stats[1].Load(), stats[4].Load(), stats[2].Load(), stats[3].Load(), stats[5].Load(), stats[6].Load())
	if stats[3].Load() == 0 {
		t.Errorf("no G was stolen")
	}
}

// TestAtomicHook checks the instrumented build's interposition: every
// shared-memory operation of runqput, runqget and runqsteal reaches the
// controller hook, before it happens. Needs -tags gmplabsched or -race.
func TestAtomicHook(t *testing.T) {
	if !instrumented {
		t.Skip("the hook exists only with -tags gmplabsched (or -race)")
	}
	cfg := runqCfg(4)
	global := newGlobrunq(cfg)
	victim, thief := newRunq(cfg), newRunq(cfg)
	in := func(q *runq, addr unsafe.Pointer) bool {
		a := uintptr(addr)
		base := uintptr(unsafe.Pointer(q))
		ring := uintptr(unsafe.Pointer(&q.ring[0]))
		return a >= base && a < base+unsafe.Sizeof(*q) ||
			a >= ring && a < ring+uintptr(len(q.ring))*unsafe.Sizeof(q.ring[0])
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var tailWhenStoreRel []uint32
	restore := setSchedHook(func(op opKind, addr unsafe.Pointer) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case in(victim, addr):
			seen["victim "+op.String()]++
		case in(thief, addr):
			seen["thief "+op.String()]++
		case op == opBackoff:
			seen[op.String()]++
		}
		if addr == unsafe.Pointer(&victim.tail) && op == opStoreRel {
			tailWhenStoreRel = append(tailWhenStoreRel, victim.tail.v.Load())
		}
	})
	gs := runqGs(4)
	victim.runqput(gs[0], false, global)
	victim.runqput(gs[1], false, global)
	victim.runqput(gs[2], false, global)
	victim.runqput(gs[3], true, global)
	victim.runqget()                                            // g4, from runnext
	thief.runqsteal(victim, true, nil)                          // g1 g2: publishes g1
	thief.runqsteal(victim, true, func() bool { return false }) // g3
	victim.runqput(gs[3], true, global)
	thief.runqsteal(victim, true, func() bool { return true }) // g4 from runnext, after a back-off
	restore()
	victim.runqput(gs[0], false, global) // not seen: hook removed

	for _, k := range []string{
		"victim load-acquire", "victim store-release", "victim cas-release", "victim cas", "victim load",
		"victim slot-store", "victim slot-load", "thief slot-store", "thief slot-load", "thief store-release", "backoff",
	} {
		if seen[k] == 0 {
			t.Errorf("hook never saw %q; saw %v", k, seen)
		}
	}
	if !slices.Equal(tailWhenStoreRel, []uint32{0, 1, 2}) {
		t.Errorf("tail at the hook of its store-releases = %v, want [0 1 2] (the hook runs before the store)", tailWhenStoreRel)
	}
}
