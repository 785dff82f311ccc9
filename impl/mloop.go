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
	e.running.Add(1)        // count only; orders nothing (wait's leak report)
	defer e.running.Add(-1) // count only
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
		case mp.curg.Load() == nil: // load, mp's own curg (a world stopper writes it only while mp is stopped)
			if e.gcwaiting.Load() { // load, synchronizes with the stopper's store: stop here (gcstopm)
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
	if !e.beginAct() {
		return
	}
	ev := s.tr.emit("Schedule", spec.NoG, pid(mp.p.Load()), mp.id) // load, mp's own P
	why := s.schedule(mp)
	if why != "" {
		s.tr.cancel(ev) // a spinning M with something to steal: it steals below
	}
	e.endAct()
	if why != "" && !mp.spinning {
		panic("schedule refused: " + why)
	}
	if mp.p.Load() == nil || mp.curg.Load() != nil || !mp.spinning { // loads, mp's own fields
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
	pp := mp.p.Load() // load, mp's own P
	n := s.procs
	if n <= 1 {
		return
	}
	for round := 0; round < s.cfg.StealRounds; round++ {
		pos := rng.IntN(n)
		inc := coprime(n, rng)
		runnextRound := round == s.cfg.StealRounds-1 || !s.cfg.StealRunnextLastRoundOnly
		for i := 0; i < n; i++ {
			if e.gcwaiting.Load() || e.over() { // load, synchronizes with the stopper's store
				return
			}
			v := (pos + i*inc) % n
			vp := s.allp[v]
			if vp == pp {
				continue
			}
			if !e.beginAct() {
				return
			}
			if spec.PStatus(vp.status.Load()) != spec.PRunning { // load, a hint: an idle P's queue is empty (pidleput)
				e.endAct()
				continue
			}
			busy := func() bool { // victimBusy: its M runs a G not in a syscall
				vm := vp.m.Load() // load, synchronizes with acquirep's store; a hint for the back-off
				if vm == nil {
					return false
				}
				vg := vm.curg.Load() // load, synchronizes with execute's store; a hint
				return vg != nil && vg.getStatus() != spec.GSyscall
			}
			gp, k := pp.runq.runqsteal(&vp.runq, runnextRound, busy)
			if gp == nil {
				e.endAct()
				continue
			}
			if s.tr.on { // after the CAS that committed the steal, before its effects
				s.tr.emit("Steal", spec.NoG, pp.id, mp.id, "victim", vp.id.String(), "round", strconv.Itoa(round),
					"n", strconv.Itoa(int(k)), "run", gp.id.String())
			}
			s.execute(mp, gp, false, "steal")
			e.endAct()
			mp.stats.Steals++
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
	s.tr.lockAct()
	defer s.tr.unlockAct()
	s.lock.Lock()
	if mp.p.Load() != nil || !s.isIdleM(mp) { // load, synchronizes with startm's acquirep (not ordered by the lock)
		s.lock.Unlock()
		return mp.p.Load() != nil // startm took it meanwhile (or it is not idle)
	}
	work := s.glob.len() > 0 || s.needspinning.Load() // load, synchronizes with wakep's store (under sched.lock)
	for _, vp := range s.allp[:s.procs] {
		if work {
			break
		}
		work = spec.PStatus(vp.status.Load()) == spec.PRunning && !vp.runq.runqempty() // load, synchronizes with acquirep's or pidleput's store
	}
	// With tracing on, actions are atomic (see tracer): the Schedule that
	// stopped mp saw every queue, and every later submitter ran wakep, as
	// in the model, which has no such re-check; so mp waits for startm.
	if work && !s.tr.on && !e.gcwaiting.Load() && len(s.pidle) > 0 { // load under sched.lock, which the stopper holds to store it: exact
		s.takeIdleM(mp)
		pp := s.pidleget()
		s.acquirep(mp, pp)
		mp.spinning = true
		s.nmspinning.Add(1)         // becomeSpinning
		s.needspinning.Store(false) // store (under sched.lock), the wanted spinner is this M
		s.lock.Unlock()
		s.tr.emit("StartM", spec.NoG, pp.id, mp.id, "spinning", "true", "by", mp.id.String())
		return true
	}
	// mp stays where it is on the idle list (its order is the model's).
	return e.checkdead()
}

// checkdead ends the run when every M is idle: stuck if a G is runnable
// (a lost wake-up), a deadlock otherwise. It does nothing while sysmon is
// between taking a P from a syscall and handing it off (nretake > 0): the
// P belongs to nobody then, and the M that left the syscall may have
// parked with its G on the global queue, which handoffp's startm is about
// to run (the runtime's incidlelocked(-1) around retake's handoffp,
// proc.go:6707-6714). Returns false.
//
// Reference: proc.go:6367-6469 checkdead.
// Executed with sched.lock held (it unlocks it), by an M in parkCheck or
// by sysmon after a retake, inside their action when tracing is on.
func (e *engine) checkdead() bool {
	s := e.s
	if len(s.midle) < len(s.allm) || s.nretake > 0 || s.over.Load() { // load, synchronizes with setFatal/goexit's store
		s.lock.Unlock()
		return false
	}
	// Every M is idle: nothing runs and no syscall is in flight.
	runnable := false
	for _, gp := range s.liveGs() {
		if gp.getStatus() == spec.GRunnable {
			runnable = true
			break
		}
	}
	s.lock.Unlock()
	if runnable {
		e.end(OutcomeStuck, "checkdead: a G is runnable but every M is idle")
		return false
	}
	s.tr.emit("Deadlock", spec.NoG, spec.NoP, spec.NoM)
	e.end(OutcomeDeadlock, spec.DeadlockMessage)
	return false
}

// beginAct starts an action of an M or of sysmon: with tracing on, it
// takes the action lock (see tracer) and returns false, without it, when
// the run is over (no action follows main's exit in the trace). With
// tracing off it does nothing.
// Can be executed by any M or sysmon, not nested.
func (e *engine) beginAct() bool {
	return !e.s.tr.on || e.beginTracedAct() // the test inlines: nothing else when tracing is off
}

// beginTracedAct is beginAct with tracing on.
// Can be executed by any M or sysmon, not nested.
func (e *engine) beginTracedAct() bool {
	e.s.tr.act.Lock()
	if e.over() {
		e.s.tr.act.Unlock()
		return false
	}
	return true
}

// endAct ends an action begun by beginAct.
// Executed only by the goroutine that began the action.
func (e *engine) endAct() {
	if e.s.tr.on {
		e.s.tr.act.Unlock()
	}
}

// act records the event of an action of mp (as drive mode does), or
// returns -1 when tracing is off.
// Executed only by mp, inside beginAct/endAct.
func (e *engine) act(kind string, mp *m, args ...string) int {
	if !e.s.tr.on {
		return -1
	}
	return e.s.tr.emit(kind, gid(mp.curg.Load()), pid(mp.p.Load()), mp.id, args...) // loads, mp's own fields
}

// runG runs mp's G statement by statement until it leaves mp (parks,
// yields, is preempted, exits, loses its P in a syscall) or a
// stop-the-world or the end of the run intervenes. Each statement's
// action is one beginAct/endAct section.
// Executed only by mp, which holds a P and runs a G.
func (e *engine) runG(mp *m) {
	s := e.s
	for {
		// Loads of mp's own fields: a world stopper changes them only
		// while mp is stopped.
		gp := mp.curg.Load()
		if gp == nil || mp.p.Load() == nil || e.over() {
			return
		}
		if e.gcwaiting.Load() { // load, synchronizes with the stopper's store; a safe point between statements
			e.barrierWithG(mp, gp)
			continue
		}
		in := s.instr(gp)
		switch in.Op {
		case spec.OpCompute:
			e.compute(mp, gp)
		case spec.OpSyscall:
			e.syscall(mp, gp, in)
		case spec.OpReady:
			e.ready(mp)
		case spec.OpGC, spec.OpGomaxprocs:
			if !e.stopTheWorld(mp) {
				continue // another G stops the world: we were stopped; retry
			}
			if !e.beginAct() {
				e.startTheWorld()
				return
			}
			if in.Op == spec.OpGC {
				e.act("GC", mp)
				s.gc(mp)
				mp.stats.GCs++
			} else {
				mp.stats.Gomaxprocs++
				ev := e.act("Gomaxprocs", mp)
				_, from, to := s.gomaxprocs(mp)
				s.tr.addArgs(ev, "from", strconv.Itoa(from), "to", strconv.Itoa(to))
			}
			e.endAct()
			e.startTheWorld()
		case spec.OpCall, spec.OpDescend:
			if gp.preempt.Load() { // load, synchronizes with preemptone's store: the prologue's stackguard0 check
				e.preempt(mp, gp)
				continue
			}
			if !e.beginAct() {
				return
			}
			ev := e.act("Call", mp)
			gen := gp.stack.gen
			if why := s.call(mp); why != "" {
				s.tr.cancel(ev) // a request arrived between the two loads
			}
			if gp.stack.gen != gen {
				mp.stats.Grows++
			}
			e.endAct()
		default:
			if !e.beginAct() {
				return
			}
			leaves := e.step(mp, gp, in)
			e.endAct()
			if leaves {
				return
			}
		}
	}
}

// step runs one of gp's statements that is a single action (spawn,
// gosched, park, exit) and reports whether gp left mp.
// Executed only by mp, running gp, inside beginAct/endAct.
func (e *engine) step(mp *m, gp *g, in *spec.Instr) bool {
	s := e.s
	switch in.Op {
	case spec.OpSpawn:
		ev := e.act("Spawn", mp)
		_, ng := s.spawn(mp)
		if ng != nil && s.tr.on {
			s.tr.addArgs(ev, "new", ng.id.String())
		}
		mp.stats.Spawns++
		return false
	case spec.OpGosched:
		e.act("Gosched", mp)
		s.gosched(mp, false)
		return true
	case spec.OpPark:
		e.act("Park", mp)
		s.park(mp) // gp may run elsewhere at once: do not touch it
		return false
	case spec.OpExit, spec.OpReturn:
		e.act("Goexit", mp)
		s.goexit(mp)
		return true
	}
	panic("runG: unexpected statement " + in.Op.String())
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
	if !e.beginAct() {
		return
	}
	ev := e.act("Compute", mp)
	why := s.compute(mp)
	if why != "" {
		s.tr.cancel(ev)
	}
	e.endAct()
	if why != "" {
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
	if e.gcwaiting.Load() { // load, synchronizes with the stopper's store
		e.barrierWithG(mp, gp)
		return
	}
	if !e.beginAct() {
		return
	}
	ev := e.act("Preempt", mp)
	if why := e.s.gosched(mp, true); why != "" {
		e.s.tr.cancel(ev)
	} else {
		mp.stats.Preempts++
	}
	e.endAct()
}

// ready adds a permit to key k, waking the first waiter it satisfies
// (the choice and the step under one hold of sched.lock). Its event is
// recorded before the step's effects and names the waiter after it.
// Executed only by mp, running a G at a ready statement.
func (e *engine) ready(mp *m) {
	s := e.s
	if !e.beginAct() {
		return
	}
	ev := e.act("Ready", mp)
	why, w := s.readyWho(mp, firstWaiter)
	if why != "" {
		panic("ready refused: " + why)
	}
	if s.tr.on {
		s.tr.addArgs(ev, "waiter", w.String())
	}
	e.endAct()
}

// syscall: enter, block mp for the scaled duration, exit (with the
// retake protocol of exitSyscall). With tracing on, the exit is an
// action only once no one holds gp's scan bit: sysmon and the other Ms
// take it only inside actions, and a world stopper keeps it until the
// world starts, so mp waits outside the action lock meanwhile.
// Executed only by mp, running gp.
func (e *engine) syscall(mp *m, gp *g, in *spec.Instr) {
	s := e.s
	if !e.beginAct() {
		return
	}
	e.act("EnterSyscall", mp)
	s.enterSyscall(mp)
	mp.stats.Syscalls++
	e.endAct()
	e.clock.Sleep(e.wall(in.Dur))
	for {
		if !e.beginAct() {
			return
		}
		if s.tr.on && gp.status.LoadAcq()&gScan != 0 { // load-acquire: a world stopper holds the bit
			e.endAct()
			runtime.Gosched()
			continue
		}
		break
	}
	ev := e.act("ExitSyscall", mp)
	_, path := s.exitSyscall(mp)
	s.tr.addArgs(ev, "path", path)
	if path != "no-p" {
		s.tr.setP(ev, mp.p.Load().id) // load, mp's own P
	}
	e.endAct()
}
