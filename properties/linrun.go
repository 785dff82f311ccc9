package properties

import (
	"fmt"
	"github.com/anishathalye/porcupine"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gmplab/gmplab/impl"
	"github.com/gmplab/gmplab/spec"
)

// Recording run queue histories on real goroutines (impl.RunQueueLab).
//
// Two shapes:
//
//   - linPairs: groups of two Ps, an owner and its thief. The owner puts
//     (a quarter with runnext, spilling when the ring is full), gets,
//     drains and asks whether its thief's queue is empty; the thief
//     steals from its owner (half of the time runnext too), then gets
//     everything it stole, and sometimes asks whether the owner's queue is
//     empty. Groups share only the global queue, which they spill into, so
//     porcupine checks each group separately, and checkLinFast can see
//     every batch (a thief's gets return what its steal published).
//   - linMesh: every P is an owner that puts, gets, drains, puts on and
//     takes from the global queue, asks whether any queue is empty, and
//     when its own queue is empty steals from a random P. Nothing is
//     partitioned: steals span every pair of queues.
//
// Timestamps are nanoseconds of the monotonic clock since the run began,
// read by each goroutine before its call and after its return: Linux's
// monotonic clock is one clock for every CPU, so an operation whose
// return reading is below another's call reading did finish before the
// other started. (A shared atomic counter would be exact too, but its
// cache line, bouncing between CPUs, serializes the goroutines: in a
// first version not one pair of operations overlapped. Equal readings
// are concurrent: porcupine's intervals are closed.)
type linShape int

const (
	linPairs linShape = iota
	linMesh
)

func (s linShape) String() string { return [...]string{"pairs", "mesh"}[s] }

// linRecorder is one goroutine's history and clock.
type linRecorder struct {
	client int
	base   time.Time // the run's start, with its monotonic clock reading
	ops    []rqOp
}

// call returns a call timestamp.
func (r *linRecorder) call() int64 { return int64(time.Since(r.base)) }

// done records an operation that returns now.
func (r *linRecorder) done(in rqInput, call int64, out rqOutput) {
	in.Call, in.Ret = call, int64(time.Since(r.base))
	r.ops = append(r.ops, rqOp{Client: r.client, In: in, Out: out})
}

// linRun is one recording: the lab, its recorders, and whatever went
// wrong outside the history (an error from the lab).
type linRun struct {
	lab   *impl.RunQueueLab
	base  time.Time
	errMu sync.Mutex
	err   error
	// bar lines the goroutines up every burst operations, so that their
	// next bursts overlap.
	bar   linBarrier
	burst int
}

// linBurst is how many operations a goroutine makes between two meetings
// at the barrier, for the short histories porcupine checks.
const linBurst = 8

// linBarrier is a spinning barrier for n goroutines (a channel or a
// sync.Cond would wake them one at a time, too slowly for operations of
// tens of nanoseconds to overlap).
type linBarrier struct {
	n     int32
	count atomic.Int32 // arrivals in this generation; reset by the last
	gen   atomic.Int32 // incremented by the last arrival, which releases the others
}

// wait returns when all n goroutines called it (once per generation).
func (b *linBarrier) wait() {
	g := b.gen.Load() // load, before arriving: the generation this call waits out
	if b.count.Add(1) == b.n {
		b.count.Store(0) // before the release: nobody arrives again until gen moves
		b.gen.Add(1)     // releases the waiters; orders their next operations after everyone's previous ones
		return
	}
	for i := 0; b.gen.Load() == g; i++ { // load, synchronizes with the last arrival's Add
		if i > 64 {
			runtime.Gosched()
		}
	}
}

func (lr *linRun) fail(err error) {
	if err == nil {
		return
	}
	lr.errMu.Lock()
	defer lr.errMu.Unlock()
	if lr.err == nil {
		lr.err = err
	}
}

// Operations, each recorded around one lab call.

func (lr *linRun) put(r *linRecorder, group, p int, g spec.GID, next bool) {
	c := r.call()
	k, n, err := lr.lab.Put(p, g, next)
	lr.fail(err)
	r.done(rqInput{Kind: rqPut, P: p, G: g, Next: next, Group: group}, c, rqOutput{G: k, N: n})
}

func (lr *linRun) get(r *linRecorder, group, p int) spec.GID {
	c := r.call()
	g, inh, err := lr.lab.Get(p)
	lr.fail(err)
	r.done(rqInput{Kind: rqGet, P: p, Group: group}, c, rqOutput{G: g, Inherit: inh})
	return g
}

func (lr *linRun) drain(r *linRecorder, group, p int) {
	c := r.call()
	gs, err := lr.lab.Drain(p)
	lr.fail(err)
	r.done(rqInput{Kind: rqDrain, P: p, Group: group}, c, rqOutput{Gs: gs})
}

func (lr *linRun) steal(r *linRecorder, group, thief, victim int, next bool) int {
	c := r.call()
	g, n, err := lr.lab.Steal(thief, victim, next)
	lr.fail(err)
	r.done(rqInput{Kind: rqSteal, P: thief, Victim: victim, Next: next, Group: group}, c, rqOutput{G: g, N: n})
	return n
}

func (lr *linRun) empty(r *linRecorder, group, p int) bool {
	c := r.call()
	e, err := lr.lab.Empty(p)
	lr.fail(err)
	r.done(rqInput{Kind: rqEmpty, P: p, Group: group}, c, rqOutput{Empty: e})
	return e
}

func (lr *linRun) globalPut(r *linRecorder, group, p int, g spec.GID) {
	c := r.call()
	lr.fail(lr.lab.GlobalPut(g))
	r.done(rqInput{Kind: rqGlobalPut, P: p, G: g, Group: group}, c, rqOutput{})
}

func (lr *linRun) globalGet(r *linRecorder, group, p int) {
	c := r.call()
	g, n, err := lr.lab.GlobalGet(p)
	lr.fail(err)
	r.done(rqInput{Kind: rqGlobalGet, P: p, Group: group}, c, rqOutput{G: g, N: n})
}

// linConfig draws a config for a linearizability run: rings of 2 to 16
// slots (spills and wrap-around are frequent) or the runtime's 256,
// runnext on or off, StealOne sometimes.
func linConfig(rng *rand.Rand, procs int) spec.Config {
	cfg := spec.Default(procs).WithRunqSize([]int{2, 4, 4, 8, 16, 256}[rng.IntN(6)])
	cfg.Runnext = rng.IntN(5) != 0
	if rng.IntN(6) == 0 {
		cfg.StealAmount = spec.StealOne
	}
	return cfg
}

// runLinHistory records one history of the given shape: ops operations
// per goroutine, meeting at a barrier every burst operations. The seed fixes
// the config and every goroutine's choices; the interleaving is the
// machine's; mut switches mutants on in the queues. The history ends with one Check per group, taken after every
// goroutine stopped.
func runLinHistory(shape linShape, seed uint64, ops, burst int, mut impl.Mutants) (rqHistory, error) {
	rng := rand.New(rand.NewPCG(seed, 0x6c696e))
	var procs, groups int
	switch shape {
	case linPairs:
		groups = 1 + rng.IntN(2)
		procs = 2 * groups
	case linMesh:
		groups = 1
		procs = 2 + rng.IntN(2)
	}
	cfg := linConfig(rng, procs)
	opts := impl.RunQueueLabOptions{Mutants: mut}
	if rng.IntN(2) == 0 {
		// Every victim is busy: a thief backs off ~3 µs before taking
		// runnext, the window in which the owner may take it itself.
		opts.VictimBusy = func(int) bool { return true }
	}
	// Under -race (an instrumented build) goroutines also yield in the
	// middle of operations, at random shared-memory accesses.
	opts.Perturb = []int{0, 4, 16}[rng.IntN(3)]
	lab, err := impl.NewRunQueueLab(cfg, procs*ops, opts)
	if err != nil {
		return rqHistory{}, err
	}
	defer lab.Close()
	lr := &linRun{lab: lab, base: time.Now(), bar: linBarrier{n: int32(procs)}, burst: max(burst, 1)}
	recs := make([]*linRecorder, procs)
	for i := range recs {
		recs[i] = &linRecorder{client: i, base: lr.base}
	}
	// G numbers: P i's owner uses i*ops+1 .. (i+1)*ops.
	// Every P's goroutine gets its own thread for the run, and they all
	// start together (a spinning barrier: a channel would wake them one
	// by one, and the first could finish before the last starts). With
	// more goroutines than CPUs the OS then interrupts operations in the
	// middle, which is when the in-flight windows are widest.
	if n := runtime.GOMAXPROCS(0); n < procs {
		defer runtime.GOMAXPROCS(n)
		runtime.GOMAXPROCS(procs)
	}
	var wg sync.WaitGroup
	for p := range procs {
		prng := rand.New(rand.NewPCG(seed, uint64(p)+1))
		r := recs[p]
		nextG := spec.GID(p*ops + 1)
		fresh := func() spec.GID { g := nextG; nextG++; return g }
		wg.Add(1)
		switch {
		case shape == linPairs && p%2 == 0:
			go func() {
				defer wg.Done()
				lr.bar.wait()
				linPairsOwner(lr, r, prng, p/2, p, ops, fresh)
			}()
		case shape == linPairs:
			go func() {
				defer wg.Done()
				lr.bar.wait()
				linPairsThief(lr, r, prng, p/2, p, p-1, ops)
			}()
		default:
			go func() {
				defer wg.Done()
				lr.bar.wait()
				linMeshP(lr, r, prng, p, procs, ops, fresh)
			}()
		}
	}
	wg.Wait()
	if lr.err != nil {
		return rqHistory{}, lr.err
	}

	h := rqHistory{Cfg: cfg, Groups: groups, Perturbed: lab.Perturbed()}
	for _, r := range recs {
		h.Ops = append(h.Ops, r.ops...)
	}
	slices.SortStableFunc(h.Ops, func(a, b rqOp) int { return int(a.In.Call - b.In.Call) })
	snap := lab.Snapshot()
	end := int64(time.Since(lr.base)) + 1
	for grp := range groups {
		c := end
		h.Ops = append(h.Ops, rqOp{Client: procs, In: rqInput{Kind: rqCheck, Group: grp, Call: c, Ret: c}, Out: rqOutput{Snap: groupSnap(snap, shape, grp, ops)}})
	}
	return h, nil
}

// groupSnap is the part of snap that group grp's spec state holds: its
// Ps' queues (the others empty) and the global queue filtered to its Gs.
func groupSnap(snap impl.RunQueueLabSnapshot, shape linShape, grp, ops int) *rqSnap {
	in := func(p int) bool { return shape == linMesh || p/2 == grp }
	inG := func(g spec.GID) bool { return shape == linMesh || (int(g)-1)/ops/2 == grp }
	s := &rqSnap{}
	for p, q := range snap.Ps {
		if in(p) {
			s.Runnext = append(s.Runnext, q.Runnext)
			s.Rings = append(s.Rings, slices.Clone(q.Ring))
		} else {
			s.Runnext = append(s.Runnext, spec.NoG)
			s.Rings = append(s.Rings, nil)
		}
	}
	for _, g := range snap.Global {
		if inG(g) {
			s.Global = append(s.Global, g)
		}
	}
	return s
}

// linMeet meets the other goroutines at the barrier before every
// burst-th operation. Every goroutine makes the same number of
// operations, so they meet equally often.
func linMeet(lr *linRun, i int) {
	if i%lr.burst == 0 {
		lr.bar.wait()
	}
}

// linYield varies the goroutines' relative speed: a short random spin
// before most operations, now and then a yield of the processor.
func linYield(rng *rand.Rand) {
	switch k := rng.IntN(64); {
	case k == 0:
		runtime.Gosched()
	case k < 32:
		// A few to a few hundred nanoseconds of local work (no shared
		// memory: that would serialize the goroutines).
		x := uint64(k)
		for i := k * 8; i > 0; i-- {
			x = x*6364136223846793005 + 1442695040888963407
		}
		if x == 0 {
			runtime.Gosched() // practically never; keeps the loop
		}
	}
}

// linPairsOwner makes ops owner operations on p.
func linPairsOwner(lr *linRun, r *linRecorder, rng *rand.Rand, group, p, ops int, fresh func() spec.GID) {
	for i := range ops {
		linMeet(lr, i)
		linYield(rng)
		switch k := rng.IntN(100); {
		case k < 55:
			lr.put(r, group, p, fresh(), rng.IntN(4) == 0)
		case k < 88:
			lr.get(r, group, p)
		case k < 91:
			lr.drain(r, group, p)
		case k < 96:
			lr.empty(r, group, p+1)
		default:
			lr.empty(r, group, p)
		}
	}
}

// linPairsThief makes ops steals (each followed by its gets) or Empty
// calls.
func linPairsThief(lr *linRun, r *linRecorder, rng *rand.Rand, group, p, victim, ops int) {
	for i := range ops {
		linMeet(lr, i)
		linYield(rng)
		if rng.IntN(10) == 0 {
			lr.empty(r, group, victim)
			continue
		}
		lr.steal(r, group, p, victim, rng.IntN(2) == 0)
		// Get what the steal published (n-1 Gs), then the empty answer.
		for lr.get(r, group, p) != spec.NoG {
		}
	}
}

// linMeshP makes ops operations as P p's owner in the mesh shape.
func linMeshP(lr *linRun, r *linRecorder, rng *rand.Rand, p, procs, ops int, fresh func() spec.GID) {
	for i := range ops {
		linMeet(lr, i)
		linYield(rng)
		if lr.empty(r, 0, p) {
			switch k := rng.IntN(100); {
			case k < 45:
				victim := rng.IntN(procs - 1)
				if victim >= p {
					victim++
				}
				lr.steal(r, 0, p, victim, rng.IntN(2) == 0)
			case k < 65:
				lr.globalGet(r, 0, p)
			default:
				lr.put(r, 0, p, fresh(), rng.IntN(4) == 0)
			}
			continue
		}
		switch k := rng.IntN(100); {
		case k < 45:
			lr.put(r, 0, p, fresh(), rng.IntN(4) == 0)
		case k < 80:
			lr.get(r, 0, p)
		case k < 85:
			lr.drain(r, 0, p)
		case k < 90:
			lr.globalPut(r, 0, p, fresh())
		default:
			lr.empty(r, 0, rng.IntN(procs))
		}
	}
}

// linOpsPerCase is the operations per goroutine of one "lin" check case.
const linOpsPerCase = 80

// linCaseTimeout bounds porcupine on one "lin" check case; a history it
// cannot decide is reported as inconclusive (unknown), never a pass and
// never a kill.
const linCaseTimeout = 20 * time.Second

// linCase is one case of the "lin" check: seed's history (even seeds the
// pairs shape, odd seeds the mesh) with mut switched on, checked by
// porcupine and by the fast checker.
func linCase(seed uint64, mut impl.Mutants) *caseFailure {
	shape := linShape(seed % 2)
	h, err := runLinHistory(shape, seed, linOpsPerCase, linBurst, mut)
	if err != nil {
		return inconclusive("lin-run", fmt.Sprintf("%s: %v", shape, err))
	}
	switch res, _, _ := checkLinPorcupine(h, linCaseTimeout); res {
	case porcupine.Illegal:
		return &caseFailure{Property: "lin/porcupine", Detail: fmt.Sprintf("%s (%s): the history is not linearizable (go test ./properties -run 'TestLinRunQueue/%s$' -lin.seed=%d writes porcupine's visualization)", shape, h.Cfg, shape, seed)}
	case porcupine.Unknown:
		return inconclusive("lin/porcupine-unknown", fmt.Sprintf("%s (%s): porcupine did not decide within %v (unknown: neither a pass nor a violation)", shape, h.Cfg, linCaseTimeout))
	}
	if err := checkLinFast(h); err != nil {
		return &caseFailure{Property: "lin/fast", Detail: fmt.Sprintf("%s (%s): %v", shape, h.Cfg, err)}
	}
	return nil
}
