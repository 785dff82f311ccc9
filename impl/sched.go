package impl

import (
	"fmt"
	"sync"

	"github.com/gmplab/gmplab/spec"
)

// Sched is one run of a workload: the scheduler's shared state (the
// runtime's schedt plus allp, allm and allg).
//
// # Locking
//
// lock is sched.lock. It guards the global run queue (glob), the idle P
// and idle M stacks (pidle, midle), allm, procs and the park/ready keys'
// permits and waiters (a single lock keeps ready's "add a permit, pick a
// waiter, make it runnable" atomic). nmspinning and needspinning are
// atomics, read without the lock (the "Worker thread parking/unparking"
// protocol of proc.go: submitters publish work and then check
// nmspinning; spinners decrement nmspinning and then check for work).
// allp changes only with the world stopped. A P's local run queue is
// lock-free (runq.go). allg is guarded by allglock.
type Sched struct {
	cfg  spec.Config
	code *spec.Code
	mut  Mutants // deliberate bugs (mutants.go); zero in a correct run; immutable

	lock         sync.Mutex // sched.lock
	glob         globrunq   // the global run queue; guarded by lock
	pidle        []*p       // idle Ps, most recently idled last; guarded by lock
	npidle       atomicInt32
	midle        []*m // idle Ms, most recently parked last; guarded by lock
	nretake      int  // sysmon retakes between takeP and handoffp (see checkdead); guarded by lock
	nmspinning   atomicInt32
	needspinning atomicBool
	// procs is GOMAXPROCS, and allp every P ever created, by ID (dead
	// ones stay: an M in a syscall may hold one). Both change only with
	// the world stopped and lock held (procresize). They are read under
	// lock (an idle M's parkCheck may run during a stop), and without it
	// by running Ms, which cannot run while the world is stopped, and by
	// sysmon under sysmonlock, which the stopper holds.
	procs int
	allp  []*p
	allm  []*m // every M ever created, by ID; guarded by lock

	allglock sync.Mutex
	gids     gidTable // every G ID; lock-free (gfree.go)
	allg     []*g     // every g struct, recycled or not (allgs); guarded by allglock

	// gFree is the global list of free g structs (sched.gFree); guarded
	// by lock. gFreeN is its length, stored under lock, loaded without
	// it as a hint.
	gFree  []*g
	gFreeN atomicInt32

	names func(int) string // function names for stacks (codeNames)

	keys []key // park/ready keys, indexed like code.Keys; guarded by lock

	// The end of the run: main exited, or a fatal error. Guarded by lock.
	exited      bool
	fatal       string
	fatalG      spec.GID
	fatalReason string

	tr tracer

	// over is set (store, after the fields above) when main exits or a
	// fatal error ends the run; the concurrent engine's Ms poll it.
	over atomicBool

	// onStartM, when set (the concurrent engine), is called by startm
	// after it wired an M to a P: created says the M is new and needs a
	// thread. Set before the run starts.
	onStartM func(mp *m, created bool)
}

// p is a processor: the resource an M must hold to run Go code.
type p struct {
	id spec.PID

	// status is a spec.PStatus. Changed by the M that holds it, or under
	// lock when it goes to or comes from the idle list.
	status atomicUint32

	// m is the M holding it, or nil. Written under lock (pidleput), by
	// the M acquiring it (acquirep), or by whoever takes it from an M
	// blocked in a syscall (retake, exitsyscall, a world stopper) while
	// holding that G's scan bit. Read by sysmon, world stoppers and
	// exitsyscall without the lock: atomic, each load synchronizes with
	// the store it reads.
	m atomicPtr[m]

	runq runq // lock-free; see runq.go

	// gFree is the P's list of free g structs (gfput, gfget); only the
	// M holding the P touches it.
	gFree []*g

	// schedtick counts the slices started on this P (execute with
	// !inheritTime). Written only by the owner M; read by sysmon
	// (atomically: it only compares it).
	schedtick atomicUint32
	// syscalltick counts syscall exits and retakes. Written by the owner M
	// or by whoever takes the P from it.
	syscalltick atomicUint32
}

// m is a worker thread. In drive mode it is only this record; the
// concurrent engine gives each m a goroutine.
type m struct {
	id spec.MID
	// p is the P it holds. Written by itself, by startm before it runs,
	// and by sysmon's retake, a world stopper or another M's exitsyscall
	// taking the P from its G's syscall (under that G's scan bit); read by
	// them: atomic, loads synchronize with the store they read.
	p atomicPtr[p]
	// curg is the G it runs or whose syscall blocks it. Written by itself
	// (and by a world stopper while it is stopped); read by sysmon,
	// preemptone and world stoppers: atomic.
	curg atomicPtr[g]
	// spinning: written by itself, or by startm/a world stopper while it
	// does not run (the note or the barrier orders those writes).
	spinning bool
	oldp     *p // the P it held when its G entered a syscall; its own

	// stats counts what this M did (engine only); only the M touches
	// it, and Run reads it after every M stopped.
	stats Stats

	// Engine only (engine.go). note is the runtime's m.park: startm sends
	// a token after giving it a P. atBarrier: parked at a stop-the-world
	// barrier; guarded by sched.lock.
	note      chan struct{}
	atBarrier bool
}

// key is a park/ready key: a count of permits and the Gs waiting for them,
// in the order they parked.
type key struct {
	permits int64
	waiters []*g
}

// Boot describes the state at main.main's entry that a workload does not
// say (the same as the model's Boot): P0's schedtick and the runtime's own
// goroutines in P0's ring and runnext.
type Boot struct {
	Schedtick uint32
	Ring      []string
	Runnext   string
}

// newSched builds the state in which g1 starts running main on m0 and p0,
// with the other Ps idle, as the model's Init does.
// Called once, before the run starts (no other goroutine touches s yet).
func newSched(cfg spec.Config, code *spec.Code, boot Boot, trace bool, mut Mutants) (*Sched, error) {
	if code == nil {
		return nil, fmt.Errorf("impl: no workload")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Sched{cfg: cfg, code: code, mut: mut, procs: cfg.Procs, keys: make([]key, len(code.Keys)), names: codeNames(code)}
	s.tr.on = trace
	s.glob.init(&s.lock, cfg)
	for i := range cfg.Procs {
		s.allp = append(s.allp, s.newP(spec.PID(i)))
	}
	// runtime.procresize at start-up puts Ps n-1..1 on the idle list in
	// increasing order: the top of the stack is the highest ID.
	s.lock.Lock()
	for i := 1; i < cfg.Procs; i++ {
		s.pidleput(s.allp[i], nil)
	}
	s.lock.Unlock()
	for _, name := range append(append([]string{code.Funcs[code.Main].Name}, boot.Ring...), boot.Runnext) {
		if fn := code.FuncIndex(name); fn >= 0 {
			if _, ok := cfg.InitialStack(code.Funcs[fn].Frame); !ok {
				return nil, fmt.Errorf("impl: %s", cfg.FirstFrameOverflow(name, code.Funcs[fn].Frame))
			}
		}
	}
	m0 := &m{id: 0}
	s.allm = []*m{m0}
	s.acquirep(m0, s.allp[0])
	s.allp[0].schedtick.Store(boot.Schedtick) // store, before the run starts (no other thread yet)
	main := s.newG(code.Main, 0, nil)
	main.setStatus(spec.GRunning)
	main.m = m0
	m0.curg.Store(main) // store, before the run starts
	if len(boot.Ring) > cfg.RunqSize {
		return nil, fmt.Errorf("impl: %d boot Gs do not fit a ring of %d", len(boot.Ring), cfg.RunqSize)
	}
	for _, name := range boot.Ring {
		fn := code.FuncIndex(name)
		if fn < 0 {
			return nil, fmt.Errorf("impl: boot function %q is not in the workload", name)
		}
		s.allp[0].runq.runqput(s.newG(fn, 0, nil), false, &s.glob)
	}
	if boot.Runnext != "" {
		fn := code.FuncIndex(boot.Runnext)
		if fn < 0 {
			return nil, fmt.Errorf("impl: boot function %q is not in the workload", boot.Runnext)
		}
		s.allp[0].runq.runqput(s.newG(fn, 0, nil), true, &s.glob)
	}
	s.normalize(m0, main)
	return s, nil
}

// newP returns a new idle P with an empty queue. The P is not shared
// until the caller puts it in allp.
// Executed before the run starts (newSched) or by a world stopper with
// sched.lock held (procresize).
func (s *Sched) newP(id spec.PID) *p {
	pp := &p{id: id}
	pp.runq.init(s.cfg)
	pp.runq.mut = s.mut
	pp.status.Store(uint32(spec.PIdle)) // store, before the P is in allp
	return pp
}
