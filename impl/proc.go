package impl

import (
	"strconv"

	"github.com/gmplab/gmplab/spec"
)

// This file is the scheduler proper: findRunnable's local part, stealing,
// execute, and the Worker thread parking/unparking protocol (wakep,
// startm, stopm, handoffp, the idle P list). Each function is one step of
// the model's action of the same name or a piece of one, with the same
// rules; see model/sched.go and the proc.go references there.

// runqput puts gp on pp's local queue (runnext when next), recording the
// kick and the spill. Must not be called with sched.lock held (a spill
// takes it).
// Executed only by the owner P, or by a world stopper while the owner is
// stopped (Sched.stopTheWorld).
func (s *Sched) runqput(pp *p, gp *g, next bool, mp *m) {
	kicked, spilled := pp.runq.runqput(gp, next, &s.glob)
	if !s.tr.on {
		return
	}
	if kicked != nil {
		s.tr.emit("Kick", kicked.id, pp.id, mid(mp), "by", gp.id.String())
	}
	if spilled > 0 {
		last := gp
		if kicked != nil {
			last = kicked
		}
		s.tr.emit("Spill", last.id, pp.id, mid(mp), "n", strconv.Itoa(int(spilled)))
	}
}

// execute makes gp, which the caller took from a queue and so owns, run
// on mp (which holds a P): a new slice unless inherit. A spinning mp
// stops spinning and wakes another spinner (resetspinning).
//
// Reference: proc.go:3331-3386 execute, 4021-4035 resetspinning.
// Executed only by mp, which holds its P.
func (s *Sched) execute(mp *m, gp *g, inherit bool, src string) {
	pp := mp.p.Load() // load, mp's own P: no other thread stores mp.p while mp runs
	gp.m = mp
	if gp.preempt.Load() { // load: usually clear; a request stored after it counts as made after execute
		gp.preempt.Store(false) // store, clears a stale request (execute clears gp.preempt)
	}
	gp.fresh = true
	mp.curg.Store(gp) // store, publishes gp to sysmon's preemptone and world stoppers (their curg loads)
	if !inherit {
		pp.schedtick.Add(1) // sysmon compares it, racily as the runtime does
	}
	gp.setStatus(spec.GRunning)
	if s.tr.on {
		s.tr.emit("Run", gp.id, pp.id, mp.id, "src", src, "inherit", strconv.FormatBool(inherit), "tick", strconv.FormatUint(uint64(pp.schedtick.Load()), 10)) // load, its own P's counter (the trace only)
	}
	if mp.spinning {
		mp.spinning = false
		s.nmspinning.Add(-1) // the spinner found work: nmspinning--, then wakep
		// The mutant MutResetspinningNoWakep skips this wakep and breaks
		// work conservation (golang/go#45867; resetspinning,
		// proc.go:4021-4035).
		if s.mut&MutResetspinningNoWakep == 0 {
			s.wakep(mp)
		}
	}
	s.normalize(mp, gp)
}

// wakep starts a spinning M on an idle P if no M is spinning; with no
// idle P it sets needspinning.
//
// Reference: proc.go:3212-3246 wakep, 7430-7443 pidlegetSpinning.
// Can be executed by any M; must not hold sched.lock.
func (s *Sched) wakep(by *m) {
	if s.nmspinning.Load() != 0 || !s.nmspinning.CompareAndSwap(0, 1) { // cas: at most one waker-created spinner
		return
	}
	s.lock.Lock()
	pp := s.pidleget()
	if pp == nil {
		s.needspinning.Store(true) // store (under sched.lock), read by schedule and parkCheck: a spinner is wanted
		s.nmspinning.Add(-1)       // undoes the cas above: no spinner was started
		s.lock.Unlock()
		return
	}
	s.lock.Unlock()
	s.startm(pp, true, by)
}

// pidleget pops the most recently idled P, or returns nil.
//
// Reference: proc.go:7402-7418 pidleget.
// sched.lock must be held.
func (s *Sched) pidleget() *p {
	n := len(s.pidle)
	if n == 0 {
		return nil
	}
	pp := s.pidle[n-1]
	s.pidle = s.pidle[:n-1]
	s.npidle.Add(-1) // add (under sched.lock, exact there), read lock-free as a hint by handoffp, schedule and retake
	return pp
}

// pidleput puts pp, which no M holds and whose local queue is empty, on
// the idle list.
//
// Reference: proc.go:7373-7393 pidleput (throws on a non-empty queue).
// sched.lock must be held.
func (s *Sched) pidleput(pp *p, by *m) {
	if !pp.runq.runqempty() {
		panic("pidleput: P has non-empty run queue")
	}
	pp.m.Store(nil)                     // store, read by sysmon, world stoppers and exitsyscall's pp.m loads
	pp.status.Store(uint32(spec.PIdle)) // store, read lock-free by thieves and sysmon (a hint to them)
	s.pidle = append(s.pidle, pp)
	s.npidle.Add(1) // add (under sched.lock), see pidleget
	s.tr.emit("IdleP", spec.NoG, pp.id, mid(by))
}

// acquirep wires pp to mp.
// Executed by mp, or for an M that is not running yet (startm, procresize).
func (s *Sched) acquirep(mp *m, pp *p) {
	pp.status.Store(uint32(spec.PRunning)) // store, published with the mp.p store below
	pp.m.Store(mp)                         // store, read by sysmon, world stoppers and exitsyscall's pp.m loads
	mp.p.Store(pp)                         // store last: an idle M whose load of mp.p sees pp sees the stores before it
}

// startm gives pp to an idle M, or to a new M if none is idle.
//
// Reference: proc.go:3035-3125 startm (mget, else newm).
// Can be executed by any M; must not hold sched.lock.
func (s *Sched) startm(pp *p, spinning bool, by *m) *m {
	s.lock.Lock()
	var mp *m
	created := false
	if n := len(s.midle); n > 0 {
		mp = s.midle[n-1]
		s.midle = s.midle[:n-1]
	} else {
		mp = &m{id: spec.MID(len(s.allm))}
		s.allm = append(s.allm, mp)
		created = true
	}
	s.lock.Unlock()
	mp.spinning = spinning // before acquirep: an idle M proceeds once its load of mp.p sees pp
	s.acquirep(mp, pp)
	if s.tr.on {
		s.tr.emit("StartM", spec.NoG, pp.id, mp.id, "spinning", strconv.FormatBool(spinning), "by", mid(by).String())
	}
	if s.onStartM != nil {
		s.onStartM(mp, created) // wake it (notewakeup(&mp.park)) or start its thread (newm)
	}
	return mp
}

// stopm parks mp, which holds no P, on the idle-M list.
//
// Reference: proc.go:2992-3011 stopm.
// Executed only by mp; must not hold sched.lock.
func (s *Sched) stopm(mp *m) {
	mp.p.Store(nil)    // store, read by sysmon and world stoppers
	mp.curg.Store(nil) // store, read by sysmon and world stoppers
	mp.spinning = false
	s.lock.Lock()
	s.midle = append(s.midle, mp)
	s.lock.Unlock()
	s.tr.emit("StopM", spec.NoG, spec.NoP, mp.id)
}

// handoffp passes on pp, which no M holds, after its M blocked in a
// syscall: it starts an M wherever findRunnable would find a G on pp.
//
// Reference: proc.go:3131-3197 handoffp (netpoll is not modelled, so
// sched.lastpoll is never 0 and rule 6 always applies).
// Can be executed by any M or sysmon; must not hold sched.lock.
func (s *Sched) handoffp(pp *p, by *m) {
	s.tr.emit("Handoff", spec.NoG, pp.id, mid(by))
	if !pp.runq.runqempty() || !s.glob.emptyHint() {
		s.startm(pp, false, by)
		return
	}
	if s.nmspinning.Load()+s.npidle.Load() == 0 && s.nmspinning.CompareAndSwap(0, 1) { // cas: become the lookout
		s.needspinning.Store(false) // store, this M is the spinner needspinning asked for
		s.startm(pp, true, by)
		return
	}
	s.lock.Lock()
	if s.glob.len() > 0 || int(s.npidle.Load()) == s.procs-1 { // load under sched.lock: exact (every change is under it)
		s.lock.Unlock()
		s.startm(pp, false, by)
		return
	}
	s.pidleput(pp, by)
	s.lock.Unlock()
}

// stealable reports whether a thief on pp could take anything from
// another running P: a non-empty ring or a runnext.
// Can be executed by any P.
func (s *Sched) stealable(pp *p) bool {
	for _, vp := range s.allp[:s.procs] {
		if vp == pp || spec.PStatus(vp.status.Load()) != spec.PRunning { // load, a hint: vp may go idle at once
			continue
		}
		if !vp.runq.runqempty() {
			return true
		}
	}
	return false
}

// schedule is findRunnable's local part for mp, which holds a P and runs
// no G: the fairness check (one global G when schedtick %
// GlobalCheckPeriod == 0), runqget (runnext inherits the slice), a global
// batch; with nothing found, becoming spinning when stealing is possible
// and allowed, else dropping the P and stopping. It returns why it is not
// enabled, or "".
//
// Reference: proc.go:3389-3798 findRunnable.
// Executed only by mp.
func (s *Sched) schedule(mp *m) string {
	if mp.p.Load() == nil || mp.curg.Load() != nil { // loads, mp's own fields (others write them only while mp's G is in a syscall or mp is stopped)
		return "the M must hold a P and run no G"
	}
	pp := mp.p.Load() // load, mp's own P
	// The fairness check (proc.go:3443); the mutant MutNoGlobalCheck
	// never makes it.
	if per := uint32(s.cfg.GlobalCheckPeriod); per > 0 && pp.schedtick.Load()%per == 0 && !s.glob.emptyHint() && s.mut&MutNoGlobalCheck == 0 { // load, its own P's counter
		s.lock.Lock()
		gp := s.glob.get()
		s.lock.Unlock()
		if gp != nil {
			s.execute(mp, gp, false, "global")
			return ""
		}
	}
	if gp, inherit := pp.runq.get(); gp != nil {
		src := "ring"
		if inherit {
			src = "runnext"
			if s.mut&MutRunnextNewSlice != 0 {
				// Mutant (golang/go#52934): a new slice for a runnext G,
				// which inherits it (execute, proc.go:3331-3386).
				inherit = false
			}
		}
		s.execute(mp, gp, inherit, src)
		return ""
	}
	if !s.glob.emptyHint() {
		s.lock.Lock()
		gp, rest := s.glob.getBatch()
		s.lock.Unlock()
		if gp != nil {
			n := 1 + int(rest.size)
			pp.runq.runqputbatch(&rest)
			s.tr.emit("GlobalBatch", gp.id, pp.id, mp.id, "n", strconv.Itoa(n))
			s.execute(mp, gp, false, "batch")
			return ""
		}
	}
	stealable := s.stealable(pp)
	if mp.spinning && stealable {
		return "a spinning M with work to steal must Steal"
	}
	// Loads: nmspinning and npidle are a hint (the runtime's racy check);
	// needspinning's load synchronizes with wakep's store.
	canSpin := mp.spinning || 2*s.nmspinning.Load() < int32(s.procs)-s.npidle.Load()
	if !mp.spinning && (canSpin || s.needspinning.Load()) {
		mp.spinning = true
		s.nmspinning.Add(1)         // add, nmspinning++ before looking for work (the spinning protocol)
		s.needspinning.Store(false) // store, the wanted spinner is this M
		s.tr.emit("Spinning", spec.NoG, pp.id, mp.id)
		if stealable {
			return ""
		}
	}
	// Nothing anywhere: release the P, stop spinning, stop.
	s.lock.Lock()
	mp.p.Store(nil) // store (under sched.lock), read by sysmon and world stoppers
	s.pidleput(pp, mp)
	s.lock.Unlock()
	if mp.spinning {
		mp.spinning = false
		s.nmspinning.Add(-1) // add, nmspinning-- before parkCheck re-checks for work (the delicate dance)
	}
	s.stopm(mp)
	return ""
}

// steal takes work from victim for the spinning thief mp: ceil(half) of
// its ring (the youngest stolen G runs, the others go to the thief's
// ring), or, with an empty ring in a round that may take it, runnext.
//
// Reference: proc.go:3828-3895 stealWork, 7662-7747 runqgrab/runqsteal.
// Executed only by mp.
func (s *Sched) steal(mp *m, victim spec.PID, round int) (string, int, *g) {
	if !mp.spinning || mp.p.Load() == nil || mp.curg.Load() != nil { // loads, mp's own fields
		return "the M must be spinning with a P and no G", 0, nil
	}
	if victim < 0 || int(victim) >= s.procs || victim == mp.p.Load().id { // load, mp's own P
		return "the victim must be another P in allp", 0, nil
	}
	if round < 0 || round >= s.cfg.StealRounds {
		return "round out of range", 0, nil
	}
	vp := s.allp[victim]
	if spec.PStatus(vp.status.Load()) != spec.PRunning { // load (drive mode only: nothing runs concurrently)
		return "the victim is idle", 0, nil
	}
	runnextRound := round == s.cfg.StealRounds-1 || !s.cfg.StealRunnextLastRoundOnly
	// A runnext steal backs off while the victim runs a G not in a
	// syscall; drive mode has no concurrent victim to wait for.
	gp, n := mp.p.Load().runq.runqsteal(&vp.runq, runnextRound, nil) // load, mp's own P
	if gp == nil {
		return "nothing to steal from the victim in this round", 0, nil
	}
	s.execute(mp, gp, false, "steal")
	return "", int(n), gp
}

// mid is the ID of mp, or NoM.
func mid(mp *m) spec.MID {
	if mp == nil {
		return spec.NoM
	}
	return mp.id
}
