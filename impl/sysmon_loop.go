package impl

import (
	"io"
	"time"

	"github.com/gmplab/gmplab/spec"
)

// sysmontick is sysmon's record of one P (the runtime's pp.sysmontick).
// Only sysmon touches it.
type sysmontick struct {
	schedtick   uint32
	schedwhen   time.Duration
	syscalltick uint32
	syscallwhen time.Duration
}

// sysmon is the engine's sysmon goroutine: it sleeps 20 µs..10 ms
// (scaled), doubling the delay after SysmonIdleRounds rounds without a
// syscall retake, and each round preempts long slices and retakes Ps from
// syscalls by go1.26's rules (model/sysmon.go sysmonTick).
//
// Reference: proc.go:6486-6617 sysmon, 6630-6725 retake.
// Executed only by the sysmon goroutine.
func (e *engine) sysmon() {
	e.running.Add(1)        // count only; orders nothing (wait's leak report)
	defer e.running.Add(-1) // count only
	defer e.wg.Done()
	defer e.recoverPanic("sysmon")
	cfg := &e.s.cfg
	delay := cfg.SysmonMinDelay
	idle := 0
	var ticks []sysmontick
	nextST := e.opts.SchedTrace
	nextSnap := e.opts.SnapshotEvery
	for {
		e.clock.Sleep(e.wall(delay))
		if e.over() {
			return
		}
		e.sysmonlock.Lock()
		var n int
		now := e.now()
		ticks, n = e.retake(now, ticks)
		if st := e.opts.SchedTrace; st > 0 && now >= nextST {
			e.schedtrace(now)
			nextST = (now/st + 1) * st
		}
		e.sysmonlock.Unlock()
		if se := e.opts.SnapshotEvery; se > 0 && now >= nextSnap {
			e.snapshotSTW()
			nextSnap = (now/se + 1) * se
		}
		if n > 0 {
			idle = 0
		} else {
			idle++
		}
		switch {
		case idle == 0:
			delay = cfg.SysmonMinDelay
		case idle > cfg.SysmonIdleRounds:
			delay *= 2
		}
		delay = min(delay, cfg.SysmonMaxDelay)
	}
}

// retake is one sysmon round at logical time now: a P whose schedtick
// has not changed for ForcePreempt gets preemptone; a P whose M's G is in
// a syscall is, holding that G's scan bit, retaken and handed off when
// the policy says so. It returns the (grown) records and the number of
// syscall retakes. Each P's part is one action (beginAct).
//
// Reference: proc.go:6630-6725 retake.
// Executed only by sysmon, holding sysmonlock (so the world is not
// stopped and allp and procs are stable).
func (e *engine) retake(now time.Duration, ticks []sysmontick) ([]sysmontick, int) {
	s := e.s
	for len(ticks) < len(s.allp) {
		ticks = append(ticks, sysmontick{})
	}
	n := 0
	for i := range s.procs {
		if !e.beginAct() {
			break
		}
		if e.retakeP(s.allp[i], &ticks[i], now) {
			n++
			e.sysmonStats.Retakes++
		}
		e.endAct()
	}
	return ticks, n
}

// retakeP is retake's look at one running P; it reports a syscall
// retake. With tracing on it records the untimed model's actions
// (SysmonPreempt, SysmonRetake) before their effects, as drive mode does,
// and requests a preemption only when that action is enabled: the G has
// no request pending and, with RunOptions.FreshRule, has completed a
// statement in its slice.
// Executed only by sysmon, inside beginAct/endAct.
func (e *engine) retakeP(pp *p, pd *sysmontick, now time.Duration) bool {
	s := e.s
	cfg := &s.cfg
	if spec.PStatus(pp.status.Load()) != spec.PRunning { // load, a hint (as the runtime's); the syscall path re-checks it under the scan bit
		return false
	}
	sysretake := false
	if t := pp.schedtick.Load(); t != pd.schedtick { // load, compared only (racy, as the runtime's)
		pd.schedtick, pd.schedwhen = t, now
	} else if pd.schedwhen+cfg.ForcePreempt <= now {
		e.preemptone(pp)
		sysretake = true
	}
	gp := s.inSyscall(pp)
	if gp == nil || !gp.setBlockOnExitSyscall() {
		return false
	}
	// gp cannot leave its syscall now; check it still blocks pp's M.
	mp := pp.m.Load()                                                                                              // load under gp's scan bit: if pp is still wired to gp's M, nobody else can change that now
	if mp == nil || mp.curg.Load() != gp || mp.p.Load() != pp || spec.PStatus(pp.status.Load()) != spec.PRunning { // loads, likewise
		gp.resumeSyscall()
		return false
	}
	if t := pp.syscalltick.Load(); !sysretake && t != pd.syscalltick { // load, stable under the scan bit; compared only
		pd.syscalltick, pd.syscallwhen = t, now
		gp.resumeSyscall()
		return false
	}
	young := pd.syscallwhen+cfg.RetakeGrace > now
	keep := false
	switch cfg.RetakePolicy {
	case spec.RetakeGo126:
		keep = pp.runq.runqempty() && s.nmspinning.Load()+s.npidle.Load() > 0 && young // loads, a hint (as the runtime's retake)
	case spec.RetakeAfter:
		keep = young
	}
	if keep {
		gp.resumeSyscall()
		return false
	}
	s.tr.emit("SysmonRetake", spec.NoG, pp.id, spec.NoM)
	// From takeP to handoffp's startm pp belongs to nobody: an M that
	// leaves its syscall meanwhile finds no P and may park with its G on
	// the global queue. nretake keeps checkdead from calling that a stuck
	// run (the runtime's incidlelocked(-1), proc.go:6707-6714).
	s.lock.Lock()
	s.nretake++
	s.lock.Unlock()
	s.takeP(pp)
	gp.resumeSyscall() // the runtime resumes the thread before handoffp
	if testRetakeWindow != nil {
		testRetakeWindow()
	}
	s.handoffp(pp, nil)
	s.lock.Lock()
	s.nretake--
	e.checkdead() // incidlelocked(1): a deadlock the window hid is reported now
	return true
}

// testRetakeWindow, when a test sets it (before Run), runs in retakeP
// between takeP and handoffp, to hold open the window in which pp belongs
// to nobody (TestCheckdeadRetakeWindow). Nil otherwise.
var testRetakeWindow func()

// preemptone is sysmon's preemptone of pp's G. With tracing on it is the
// model's SysmonPreempt, recorded only when that action is enabled (see
// retakeP); otherwise it asks as the runtime does, even again.
// Executed only by sysmon, inside beginAct/endAct.
func (e *engine) preemptone(pp *p) {
	s := e.s
	if s.tr.on {
		mp := pp.m.Load() // load, ordered by the action lock
		if mp == nil {
			return
		}
		// Inside an action no M changes its G or the G's fields, so
		// these plain reads (fresh) are ordered by the action lock.
		gp := mp.curg.Load()                                                                                   // load, ordered by the action lock
		if gp == nil || gp.getStatus() != spec.GRunning || gp.preempt.Load() || e.opts.FreshRule && gp.fresh { // loads, ordered by the action lock
			return
		}
		s.tr.emit("SysmonPreempt", spec.NoG, pp.id, spec.NoM)
	}
	if s.preemptone(pp) {
		e.sysmonStats.PreemptRequests++
	}
}

// schedtrace records one GODEBUG=schedtrace line (proc.go:6899-6993),
// reading the counters without stopping the world, as the runtime does:
// the numbers of one line need not be from one instant.
// Executed only by sysmon, holding sysmonlock (allp and procs are stable).
func (e *engine) schedtrace(now time.Duration) {
	s := e.s
	s.lock.Lock()
	l := spec.Schedtrace{
		Now: now, Procs: s.procs, IdleProcs: int(s.npidle.Load()), Threads: len(s.allm) + 1, // load under sched.lock: exact
		Spinning: int(s.nmspinning.Load()), NeedSpinning: s.needspinning.Load(), // loads, racy as the runtime's schedtrace
		IdleThreads: len(s.midle), RunQueue: int(s.glob.len()),
	}
	s.lock.Unlock()
	for _, pp := range s.allp[:l.Procs] {
		l.Runq = append(l.Runq, int(pp.runq.runqlen()))
		l.Schedticks = append(l.Schedticks, pp.schedtick.Load()) // load, racy as the runtime's schedtrace
	}
	line := l.String()
	e.mu.Lock()
	e.schedtraceLines = append(e.schedtraceLines, line)
	e.mu.Unlock()
	if w := e.opts.SchedTraceOut; w != nil {
		io.WriteString(w, line+"\n")
	}
}

// snapshotSTW stops the world, projects the state onto spec.Snapshot and
// starts the world again. A concurrent stop-the-world by a G (gomaxprocs,
// gc) wins: the snapshot is skipped this round.
// Executed only by sysmon, not holding sysmonlock.
func (e *engine) snapshotSTW() {
	if !e.stopTheWorld(nil) {
		return
	}
	snap := e.s.snapshot()
	e.startTheWorld()
	e.mu.Lock()
	e.snapshots = append(e.snapshots, snap)
	e.mu.Unlock()
}
