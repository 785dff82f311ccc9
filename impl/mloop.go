package impl

import (
	"math/rand/v2"
	"runtime"
	"strconv"

	"github.com/gmplab/gmplab/spec"
)

// The M's loop in the concurrent engine: schedule (findRunnable's local
// part, the steal rounds), execute, then run the G's statements until it
// parks, yields, exits, enters a syscall that costs it its P, or is
// preempted at a safe point. Idle Ms park on their note.

// mstart is an M's goroutine (mstart1 → schedule).
// Executed only by mp's goroutine.
func (e *engine) mstart(mp *m) {
	e.running.Add(1)
	defer e.running.Add(-1)
	defer e.wg.Done()
	defer e.recoverPanic("m" + strconv.Itoa(int(mp.id)))
	if e.opts.LockOSThread {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	rng := rand.New(rand.NewPCG(e.opts.Seed, uint64(mp.id)+1))
	for !e.over() {
		switch {
		case mp.p.Load() == nil: // load, synchronizes with startm's acquirep
			if !e.idle(mp) {
				return
			}
		case mp.curg.Load() == nil:
			if e.gcwaiting.Load() { // load: a stop-the-world is pending; stop here (gcstopm)
				e.barrier(mp)
				continue
			}
			e.findRunnable(mp, rng)
		default:
			e.runG(mp)
		}
	}
}

// findRunnable runs schedule for mp and, when it becomes (or stays) a
// spinning M with something to steal, the steal rounds.
// Executed only by mp, which holds a P and runs no G.
func (e *engine) findRunnable(mp *m, rng *rand.Rand) {
	s := e.s
	ev := s.tr.emit("Schedule", spec.NoG, pid(mp.p.Load()), mp.id)
	why := s.schedule(mp)
	if why != "" && !mp.spinning {
		s.tr.cancel(ev)
		panic("schedule refused: " + why)
	}
	if mp.p.Load() == nil || mp.curg.Load() != nil || !mp.spinning {
		return // it runs a G, or it stopped, or it will schedule again
	}
	e.stealWork(mp, rng)
}

// stealWork makes StealRounds passes over the other Ps in a random order
// (start and coprime step drawn from rng, as randomOrder does), taking
// half of the first non-empty ring found; a victim's runnext only in the
// last round, after backing off while the victim's M runs a G not in a
// syscall (runqgrab's usleep(3)). It stops early when a stop-the-world is
// pending or the run ends.
//
// Reference: proc.go:3828-3895 stealWork, 7995-8047 randomOrder.
// Executed only by mp, spinning with a P and no G.
func (e *engine) stealWork(mp *m, rng *rand.Rand) {
	s := e.s
	pp := mp.p.Load()
	n := s.procs
	if n <= 1 {
		return
	}
	for round := 0; round < s.cfg.StealRounds; round++ {
		pos := rng.IntN(n)
		inc := coprime(n, rng)
		runnextRound := round == s.cfg.StealRounds-1 || !s.cfg.StealRunnextLastRoundOnly
		for i := 0; i < n; i++ {
			if e.gcwaiting.Load() || e.over() {
				return
			}
			v := (pos + i*inc) % n
			vp := s.allp[v]
			if vp == pp || spec.PStatus(vp.status.Load()) != spec.PRunning {
				continue
			}
			busy := func() bool { // victimBusy: its M runs a G not in a syscall
				vm := vp.m.Load()
				if vm == nil {
					return false
				}
				vg := vm.curg.Load()
				return vg != nil && vg.getStatus() != spec.GSyscall
			}
			gp, k := pp.runq.runqsteal(&vp.runq, runnextRound, busy)
			if gp == nil {
				continue
			}
			if s.tr.on {
				s.tr.emit("Steal", spec.NoG, pp.id, mp.id, "victim", vp.id.String(), "round", strconv.Itoa(round),
					"n", strconv.Itoa(int(k)), "run", gp.id.String())
			}
			s.execute(mp, gp, false, "steal")
			return
		}
	}
}

// coprime returns a step in [1, n] coprime to n, drawn with rng.
func coprime(n int, rng *rand.Rand) int {
	for {
		c := 1 + rng.IntN(n)
		if gcd(c, n) == 1 {
			return c
		}
	}
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// idle parks mp, which holds no P and is on the idle-M list, until startm
// gives it a P; it returns false when the run ends. Before parking it
// re-checks for work (the "delicate dance": every parker has published
// its own state, so the last one to park sees all submitted work), and
// reports a deadlock when every M is idle.
// Executed only by mp.
func (e *engine) idle(mp *m) bool {
	for {
		if mp.p.Load() != nil { // load, synchronizes with startm's acquirep
			return true
		}
		if e.parkCheck(mp) {
			return true
		}
		select {
		case <-mp.note: // notesleep(&mp.park)
		case <-e.done:
			return false
		}
	}
}

// parkCheck is the re-check of an M that has released its P and is on
// the idle-M list, with nmspinning already decremented: if there is work
// (the global queue, a non-empty local queue of a running P, or a
// spinner wanted) and an idle P, it takes itself off the idle list, takes
// the P and becomes spinning, and returns true. Otherwise, when every M
// is idle, the run is over: checkdead.
//
// Reference: proc.go:3622-3700 (the delicate dance, checkRunqsNoP),
// 6367-6469 checkdead.
// Executed only by mp; takes sched.lock.
func (e *engine) parkCheck(mp *m) bool {
	s := e.s
	s.lock.Lock()
	if mp.p.Load() != nil || !s.takeIdleM(mp) {
		s.lock.Unlock()
		return mp.p.Load() != nil // startm took it meanwhile (or it is not idle)
	}
	work := s.glob.len() > 0 || s.needspinning.Load()
	for _, vp := range s.allp[:s.procs] {
		if work {
			break
		}
		work = spec.PStatus(vp.status.Load()) == spec.PRunning && !vp.runq.runqempty()
	}
	if work && !e.gcwaiting.Load() && len(s.pidle) > 0 {
		pp := s.pidleget()
		s.acquirep(mp, pp)
		mp.spinning = true
		s.nmspinning.Add(1) // becomeSpinning
		s.needspinning.Store(false)
		s.lock.Unlock()
		s.tr.emit("StartM", spec.NoG, pp.id, mp.id, "spinning", "true", "by", mp.id.String())
		return true
	}
	s.midle = append(s.midle, mp) // back on the list
	if len(s.midle) < len(s.allm) || s.over.Load() {
		s.lock.Unlock()
		return false
	}
	// Every M is idle: nothing runs and no syscall is in flight.
	runnable := false
	s.allglock.Lock()
	for _, gp := range s.allg {
		if gp.getStatus() == spec.GRunnable {
			runnable = true
			break
		}
	}
	s.allglock.Unlock()
	s.lock.Unlock()
	if runnable {
		e.end(OutcomeStuck, "checkdead: a G is runnable but every M is idle")
		return false
	}
	s.tr.emit("Deadlock", spec.NoG, spec.NoP, spec.NoM)
	e.end(OutcomeDeadlock, spec.DeadlockMessage)
	return false
}

// act records the event of an action of mp (as drive mode does), or
// returns -1 when tracing is off.
func (e *engine) act(kind string, mp *m, args ...string) int {
	if !e.s.tr.on {
		return -1
	}
	return e.s.tr.emit(kind, gid(mp.curg.Load()), pid(mp.p.Load()), mp.id, args...)
}

// runG runs mp's G statement by statement until it leaves mp (parks,
// yields, is preempted, exits, loses its P in a syscall) or a
// stop-the-world or the end of the run intervenes.
// Executed only by mp, which holds a P and runs a G.
func (e *engine) runG(mp *m) {
	s := e.s
	for {
		gp := mp.curg.Load()
		if gp == nil || mp.p.Load() == nil || e.over() {
			return
		}
		if e.gcwaiting.Load() { // a safe point between statements
			e.barrierWithG(mp, gp)
			continue
		}
		in := s.instr(gp)
		switch in.Op {
		case spec.OpCompute:
			e.compute(mp, gp)
		case spec.OpCall, spec.OpDescend:
			if gp.preempt.Load() { // the prologue's stackguard0 check
				e.preempt(mp, gp)
				continue
			}
			ev := e.act("Call", mp)
			if why := s.call(mp); why != "" {
				s.tr.cancel(ev) // a request arrived between the two loads
			}
		case spec.OpSpawn:
			ev := e.act("Spawn", mp)
			_, ng := s.spawn(mp)
			if ng != nil {
				s.tr.addArgs(ev, "new", ng.id.String())
			}
		case spec.OpGosched:
			e.act("Gosched", mp)
			s.gosched(mp, false)
			return
		case spec.OpPark:
			e.act("Park", mp)
			s.park(mp) // gp may run elsewhere at once: do not touch it
		case spec.OpReady:
			e.ready(mp, in.Key)
		case spec.OpExit, spec.OpReturn:
			e.act("Goexit", mp)
			gp.exits++
			s.goexit(mp)
			return
		case spec.OpSyscall:
			e.syscall(mp, gp, in)
		case spec.OpGC, spec.OpGomaxprocs:
			if !e.stopTheWorld(mp) {
				continue // another G stops the world: we were stopped; retry
			}
			if in.Op == spec.OpGC {
				e.act("GC", mp)
				s.gc(mp)
			} else {
				ev := e.act("Gomaxprocs", mp)
				_, from, to := s.gomaxprocs(mp)
				s.tr.addArgs(ev, "from", strconv.Itoa(from), "to", strconv.Itoa(to))
			}
			e.startTheWorld()
		default:
			panic("runG: unexpected statement " + in.Op.String())
		}
	}
}

// compute busy-waits gp's compute in units of about ComputeUnit of wall
// time; with AsyncPreempt a pending request stops it between units (an
// async safe point).
// Executed only by mp, running gp.
func (e *engine) compute(mp *m, gp *g) {
	s := e.s
	async := s.cfg.AsyncPreempt
	for gp.left > 1 {
		step := min(gp.left-1, e.unit)
		deadline := e.clock.Now().Add(e.wall(step))
		for e.clock.Now().Before(deadline) {
			// Busy, but yielding: Ms are goroutines, and on a host with
			// fewer CPUs than Ms a pure spin would starve sysmon and the
			// other Ms until Go's own sysmon preempts it (10 ms of wall
			// time, a second of logical time at TimeScale 0.01).
			runtime.Gosched()
		}
		gp.left -= step
		if e.over() {
			return
		}
		if gp.left > 1 && async && gp.preempt.Load() { // load, synchronizes with preemptone's store
			e.preempt(mp, gp)
			return
		}
	}
	ev := e.act("Compute", mp)
	if why := s.compute(mp); why != "" {
		s.tr.cancel(ev)
		e.preempt(mp, gp) // the request came with the last unit
	}
}

// preempt honours gp's preemption request at a safe point: during a
// pending stop-the-world mp stops at the barrier with gp at that safe
// point, and the stopper's step (gc, gomaxprocs: Sched.stopTheWorld) puts
// gp in its own P's runnext, as goschedImpl does when gcwaiting
// (proc.go:4331-4334); otherwise gp goes to the global tail (gopreempt_m).
// Executed only by mp, running gp.
func (e *engine) preempt(mp *m, gp *g) {
	if e.gcwaiting.Load() {
		e.barrierWithG(mp, gp)
		return
	}
	ev := e.act("Preempt", mp)
	if why := e.s.gosched(mp, true); why != "" {
		e.s.tr.cancel(ev)
	}
}

// ready adds a permit to key k, waking the first waiter it satisfies.
// Another M may change the key between the choice and the step; then it
// chooses again.
// Executed only by mp, running a G at a ready statement.
func (e *engine) ready(mp *m, k int) {
	s := e.s
	for {
		s.lock.Lock()
		waiter := spec.NoG
		if c := s.readyCandidates(k); len(c) > 0 {
			waiter = c[0].id
		}
		s.lock.Unlock()
		ev := -1
		if s.tr.on {
			ev = e.act("Ready", mp, "waiter", waiter.String())
		}
		if why := s.ready(mp, waiter); why == "" {
			return
		}
		s.tr.cancel(ev)
	}
}

// syscall: enter, block mp for the scaled duration, exit (with the
// retake protocol of exitSyscall).
// Executed only by mp, running gp.
func (e *engine) syscall(mp *m, gp *g, in spec.Instr) {
	s := e.s
	e.act("EnterSyscall", mp)
	s.enterSyscall(mp)
	e.clock.Sleep(e.wall(in.Dur))
	ev := e.act("ExitSyscall", mp)
	_, path := s.exitSyscall(mp)
	s.tr.addArgs(ev, "path", path)
	if path != "no-p" {
		s.tr.setP(ev, mp.p.Load().id)
	}
}
