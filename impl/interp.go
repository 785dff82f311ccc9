package impl

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/gmplab/gmplab/spec"
)

// The interpreter: a G runs a program of the workload language (spec.Code)
// whose state lives in the G (the frames on its stack hold the program
// counters), so that any M resumes it. Statements that touch only the G's
// own frames (set, ref, store, check, repeat, return from a callee) run
// together with the scheduler-visible statement before them, as in the
// model; every other statement is one step of the M running the G.

// running returns the G mp runs, if it is in GRunning, and its current
// instruction.
// Executed only by mp.
func (s *Sched) running(mp *m) (*g, *spec.Instr, string) {
	// Loads of mp's own fields: others write them only while mp's G is in
	// a syscall or mp is stopped.
	gp := mp.curg.Load()
	if gp == nil || mp.p.Load() == nil || gp.getStatus() != spec.GRunning {
		return nil, nil, "the M runs no G"
	}
	return gp, s.instr(gp), ""
}

// instr returns gp's current instruction (a pointer into the code,
// which never changes: reading it costs no copy).
func (s *Sched) instr(gp *g) *spec.Instr {
	f := gp.stack.top()
	return &s.code.Funcs[f.fn].Instrs[f.pc]
}

// advancePC moves gp past its current statement and runs the local ones
// that follow.
// Executed only by the M running gp.
func (s *Sched) advancePC(mp *m, gp *g) {
	gp.fresh = false
	gp.stack.top().pc++
	s.normalize(mp, gp)
}

// normalize runs gp's local statements until it rests on one another
// thread could observe. A failed check or a bad pointer ends the run.
// Executed only by the M running gp.
func (s *Sched) normalize(mp *m, gp *g) {
	for {
		f := gp.stack.top()
		in := &s.code.Funcs[f.fn].Instrs[f.pc]
		var err error
		switch in.Op {
		case spec.OpSet:
			gp.stack.execSet(in.Slot, in.N)
		case spec.OpRef:
			err = gp.stack.execRef(in.Slot, in.Up, in.To)
		case spec.OpStore:
			err = gp.stack.execStore(in.Slot, in.N)
		case spec.OpCheck:
			err = gp.stack.execCheck(in.Slot, in.Deref, in.N)
		case spec.OpRepeat:
			if in.N == 0 {
				f.pc = in.Jump
				continue
			}
			f.loops = append(f.loops, in.N)
		case spec.OpEnd:
			n := len(f.loops)
			if f.loops[n-1] > 1 {
				f.loops[n-1]--
				f.pc = in.Jump + 1
				continue
			}
			f.loops = f.loops[:n-1]
		case spec.OpReturn:
			if gp.stack.depth() == 1 {
				return // Goexit
			}
			gp.stack.pop()
			continue // the caller's pc is already past its call
		case spec.OpDescend:
			if f.n > 0 {
				return // Call
			}
		case spec.OpCompute:
			if gp.left == 0 {
				gp.left = in.Dur
			}
			return
		default:
			return
		}
		if err != nil {
			var se *StackError
			reason := "bad-pointer"
			if errors.As(err, &se) {
				reason = se.Reason
			}
			s.setFatal(mp, gp, reason, s.pos(in)+": "+err.Error())
			return
		}
		f.pc++
	}
}

func (s *Sched) pos(in *spec.Instr) string {
	file := s.code.Prog.File
	if file == "" {
		file = "<input>"
	}
	return fmt.Sprintf("%s:%d:%d", file, in.Pos.Line, in.Pos.Col)
}

// setFatal ends the run with a fatal error on gp.
// Can be executed by any M.
func (s *Sched) setFatal(mp *m, gp *g, reason, msg string) {
	s.lock.Lock()
	if s.fatal == "" {
		s.fatal, s.fatalG, s.fatalReason = msg, gp.id, reason
	}
	s.lock.Unlock()
	s.over.Store(true) // store, the engine's Ms see the end
	pid := spec.NoP
	if mp != nil && mp.p.Load() != nil { // loads, the caller's own P
		pid = mp.p.Load().id
	}
	s.tr.emit("Fatal", gp.id, pid, mid(mp), "reason", reason)
}

// spawn: newproc; the new G goes to runnext, kicking the old one, then
// wakep.
// Executed only by mp.
func (s *Sched) spawn(mp *m) (string, *g) {
	gp, in, why := s.running(mp)
	if why != "" {
		return why, nil
	}
	if in.Op != spec.OpSpawn {
		return "the G's next statement is not spawn", nil
	}
	f := &s.code.Funcs[in.Fn]
	if _, ok := s.cfg.InitialStack(f.Frame); !ok {
		s.setFatal(mp, gp, "stack-overflow", s.cfg.FirstFrameOverflow(f.Name, f.Frame))
		return "", nil
	}
	ng := s.newG(in.Fn, in.N, mp.p.Load()) // load, mp's own P
	s.runqput(mp.p.Load(), ng, true, mp)   // load, mp's own P
	s.wakep(mp)
	s.advancePC(mp, gp)
	return "", ng
}

// compute: the G finishes its compute statement (untimed: at once).
// Executed only by mp.
func (s *Sched) compute(mp *m) string {
	gp, in, why := s.running(mp)
	if why != "" {
		return why
	}
	if in.Op != spec.OpCompute {
		return "the G's next statement is not compute"
	}
	if gp.preempt.Load() && s.cfg.AsyncPreempt { // load, synchronizes with preemptone's store
		return "a preemption request is pending at an async safe point"
	}
	gp.left = 0
	s.advancePC(mp, gp)
	return ""
}

// call: the prologue (a pending preemption request stops the call), the
// stack check and growth by copying, then the callee's frame.
//
// Reference: stack.go:1055-1222 newstack.
// Executed only by mp.
func (s *Sched) call(mp *m) string {
	gp, in, why := s.running(mp)
	if why != "" {
		return why
	}
	var n int64
	switch in.Op {
	case spec.OpCall:
		n = in.N
	case spec.OpDescend:
		n = gp.stack.top().n - 1
	default:
		return "the G's next statement is not a call"
	}
	if gp.preempt.Load() { // load, synchronizes with preemptone's store
		return "a preemption request is pending: the prologue preempts"
	}
	oldSize := gp.stack.size()
	gp.stack.top().pc++
	grew, err := gp.stack.push(in.Fn, s.code.Funcs[in.Fn].Frame, n, &s.cfg)
	if err != nil {
		gp.stack.top().pc--
		var se *StackError
		errors.As(err, &se)
		s.setFatal(mp, gp, se.Reason, se.Msg)
		return ""
	}
	if grew {
		s.tr.emit("Grow", gp.id, mp.p.Load().id, mp.id, "from", strconv.FormatInt(oldSize, 10), "to", strconv.FormatInt(gp.stack.size(), 10)) // load, mp's own P
	}
	gp.fresh = false
	s.normalize(mp, gp)
	return ""
}

// gosched: the G yields (Gosched) or honours a preemption request at a
// safe point (Preempt); it goes to the global tail and mp schedules.
//
// Reference: proc.go:4307-4346 goschedImpl.
// Executed only by mp.
func (s *Sched) gosched(mp *m, preempted bool) string {
	gp, in, why := s.running(mp)
	if why != "" {
		return why
	}
	if preempted {
		if !gp.preempt.Load() { // load, synchronizes with preemptone's store
			return "no preemption request is pending"
		}
		if !(in.Op == spec.OpCall || in.Op == spec.OpDescend || in.Op == spec.OpCompute && s.cfg.AsyncPreempt) {
			return "the G is not at a safe point"
		}
	} else if in.Op != spec.OpGosched {
		return "the G's next statement is not gosched"
	}
	gp.preempt.Store(false) // store, the request is honoured
	gp.m = nil
	mp.curg.Store(nil) // store, read by sysmon and world stoppers
	if !preempted {
		gp.stack.top().pc++ // normalized when it runs again
	}
	gp.setStatus(spec.GRunnable)
	s.lock.Lock()
	s.glob.put(gp)
	s.lock.Unlock()
	s.wakep(mp)
	return ""
}

// park: the G takes its permits if they are there and runs on, else it
// parks on the key and mp schedules.
//
// Reference: proc.go:4275 park_m.
// Executed only by mp.
func (s *Sched) park(mp *m) string {
	gp, in, why := s.running(mp)
	if why != "" {
		return why
	}
	if in.Op != spec.OpPark {
		return "the G's next statement is not park"
	}
	s.lock.Lock()
	k := &s.keys[in.Key]
	if k.permits >= in.N {
		k.permits -= in.N
		s.lock.Unlock()
		s.advancePC(mp, gp)
		return ""
	}
	gp.waitKey, gp.waitN = in.Key, in.N
	gp.m = nil
	mp.curg.Store(nil) // store, read by sysmon and world stoppers
	gp.stack.top().pc++
	gp.setStatus(spec.GWaiting)
	k.waiters = append(k.waiters, gp)
	s.lock.Unlock()
	return ""
}

// readyCandidates lists the waiters on key k that one more permit would
// satisfy, in the order they parked.
// sched.lock must be held.
func (s *Sched) readyCandidates(k int) []*g {
	key := &s.keys[k]
	var out []*g
	for _, w := range key.waiters {
		if w.waitN <= key.permits+1 {
			out = append(out, w)
		}
	}
	return out
}

// firstWaiter is ready's waiter argument that names no G but asks for
// the first waiter that one more permit satisfies (the concurrent
// engine's choice), or none.
const firstWaiter spec.GID = -2

// ready: the G adds a permit to its key and, if waiter (nil: none) is a
// waiter that the permits now satisfy, makes it runnable in this P's
// runnext. In the concurrent engine waiter is firstWaiter.
//
// Reference: proc.go:1120-1140 ready.
// Executed only by mp.
func (s *Sched) ready(mp *m, waiter spec.GID) string {
	why, _ := s.readyWho(mp, waiter)
	return why
}

// readyWho is ready, also returning the waiter it woke (NoG: none).
// Executed only by mp.
func (s *Sched) readyWho(mp *m, waiter spec.GID) (string, spec.GID) {
	gp, in, why := s.running(mp)
	if why != "" {
		return why, spec.NoG
	}
	if in.Op != spec.OpReady {
		return "the G's next statement is not ready", spec.NoG
	}
	s.lock.Lock()
	k := &s.keys[in.Key]
	if waiter == firstWaiter {
		waiter = spec.NoG
		for _, w := range k.waiters {
			if w.waitN <= k.permits+1 {
				waiter = w.id
				break
			}
		}
	}
	if waiter == spec.NoG {
		cands := s.readyCandidates(in.Key)
		if len(cands) > 0 {
			s.lock.Unlock()
			return "a waiter is satisfied: name the one to wake", spec.NoG
		}
		k.permits++
		s.lock.Unlock()
		s.advancePC(mp, gp)
		return "", spec.NoG
	}
	i := -1
	for j, w := range k.waiters {
		if w.id == waiter {
			i = j
		}
	}
	if i < 0 || k.waiters[i].waitN > k.permits+1 {
		s.lock.Unlock()
		return fmt.Sprintf("%v is not a waiter on this key that one more permit satisfies", waiter), spec.NoG
	}
	w := k.waiters[i]
	k.permits += 1 - w.waitN
	k.waiters = append(k.waiters[:i:i], k.waiters[i+1:]...)
	w.waitKey, w.waitN = -1, 0
	w.setStatus(spec.GRunnable)
	s.lock.Unlock()
	s.tr.emit("Wake", w.id, mp.p.Load().id, mp.id, "by", gp.id.String()) // load, mp's own P
	s.runqput(mp.p.Load(), w, true, mp)                                  // load, mp's own P
	s.wakep(mp)
	s.advancePC(mp, gp)
	return "", waiter
}

// goexit: the G ends; when it is main, the run ends.
//
// Reference: proc.go:4507 goexit0.
// Executed only by mp.
func (s *Sched) goexit(mp *m) string {
	gp, in, why := s.running(mp)
	if why != "" {
		return why
	}
	if !(in.Op == spec.OpExit || in.Op == spec.OpReturn && gp.stack.depth() == 1) {
		return "the G's next statement is neither exit nor its last return"
	}
	gp.m = nil
	gp.left = 0
	gp.stack.stackfreeKeep(s.cfg.StackMin) // for gfput: frame records and starting-size memory stay for the next life
	mp.curg.Store(nil)                     // store, read by sysmon and world stoppers
	gp.setStatus(spec.GDead)
	s.gdead(gp)
	id := gp.id
	s.gfput(mp.p.Load(), gp) // gp may run again, under another ID: do not touch it
	if id == 1 {
		s.lock.Lock()
		s.exited = true
		s.lock.Unlock()
		s.over.Store(true)                           // store, the engine's Ms see the end
		s.tr.emit("Exit", id, mp.p.Load().id, mp.id) // load, mp's own P
	}
	return ""
}

// enterSyscall: the G enters a syscall; its P stays wired to mp [1.26].
//
// Reference: proc.go:4627-4716 reentersyscall.
// Executed only by mp.
func (s *Sched) enterSyscall(mp *m) string {
	gp, in, why := s.running(mp)
	if why != "" {
		return why
	}
	if in.Op != spec.OpSyscall {
		return "the G's next statement is not syscall"
	}
	gp.left = in.Dur
	mp.oldp = mp.p.Load() // load, mp's own P (before its G is in the syscall)
	gp.setStatus(spec.GSyscall)
	return ""
}

// exitSyscall: the G's syscall returns. Fast path: mp still holds its P.
// Else its old P if another M blocked in a syscall holds it, else an idle
// P, and the G runs on in the same slice; with no P the G goes to the
// global tail and mp stops. It returns the path taken.
//
// Reference: proc.go:4883-5116 exitsyscall, exitsyscallTryGetP,
// exitsyscallNoP.
// Executed only by mp.
func (s *Sched) exitSyscall(mp *m) (string, string) {
	gp := mp.curg.Load() // load, mp's own curg (nobody else changes it during the syscall)
	if gp == nil || gp.getStatus() != spec.GSyscall {
		return "the M is not blocked in a syscall", ""
	}
	// The optimistic CAS _Gsyscall -> _Grunning: it spins while sysmon or
	// a world stopper holds the G's scan bit (setBlockOnExitSyscall) to
	// take or inspect its P. From here the G runs, possibly without a P.
	gp.casFromSyscall()
	oldp := mp.oldp
	mp.oldp = nil
	gp.left = 0
	pp := mp.p.Load() // load, synchronizes with a retake's store of nil
	path := "fast"
	if pp == nil {
		path = "idle-p"
		if oldp != nil && int(oldp.id) < s.procs && spec.PStatus(oldp.status.Load()) == spec.PRunning { // loads, a hint: re-checked below under hg's scan bit
			if holder := oldp.m.Load(); holder != nil && holder != mp { // load, synchronizes with acquirep's store; a hint
				if hg := holder.curg.Load(); hg != nil && hg.setBlockOnExitSyscall() { // load, a hint: the cas decides
					// Holding hg's scan bit: hg cannot leave its syscall,
					// so holder's wiring is stable; re-check it.
					if holder.p.Load() == oldp && oldp.m.Load() == holder && holder.curg.Load() == hg && // loads under hg's scan bit: the wiring cannot change
						spec.PStatus(oldp.status.Load()) == spec.PRunning {
						holder.p.Store(nil)     // store under hg's scan bit; holder reads it after its casFromSyscall, which synchronizes with resumeSyscall
						oldp.syscalltick.Add(1) // add, under the scan bit; sysmon only compares it
						s.tr.emit("Retake", hg.id, oldp.id, mp.id, "from", holder.id.String())
						pp = oldp
						path = "old-p"
						s.acquirep(mp, pp)
					}
					hg.resumeSyscall()
				}
			}
		}
		if pp == nil {
			s.lock.Lock()
			pp = s.pidleget()
			s.lock.Unlock()
			if pp != nil {
				s.acquirep(mp, pp)
			}
		}
		if pp == nil {
			gp.m = nil
			gp.stack.top().pc++
			mp.curg.Store(nil) // store, read by sysmon and world stoppers
			gp.setStatus(spec.GRunnable)
			s.lock.Lock()
			s.glob.put(gp)
			s.lock.Unlock()
			s.stopm(mp)
			return "", "no-p"
		}
	}
	pp.syscalltick.Add(1) // add, the holder's; sysmon only compares it
	s.advancePC(mp, gp)
	return "", path
}

// gc: a garbage collection under a stop-the-world, as in the model:
// the world stops as for a GOMAXPROCS change (other running Gs go to
// their own P's runnext, proc.go:4331-4334), every stack safe to shrink
// (not in a syscall) that uses less than a quarter of its size is
// halved, and the world starts (procresize at the same count, wakep).
//
// Reference: stack.go:1286-1335 shrinkstack.
// Executed only by mp, with the world stopped (drive mode: always).
func (s *Sched) gc(mp *m) string {
	gp, in, why := s.running(mp)
	if why != "" {
		return why
	}
	if in.Op != spec.OpGC {
		return "the G's next statement is not gc"
	}
	oldm := s.stopTheWorld(mp)
	for _, x := range s.liveGs() { // in ID order, as the model shrinks
		st := x.getStatus()
		if st == spec.GDead || st == spec.GSyscall {
			continue
		}
		old := x.stack.size()
		if x.stack.shrink(&s.cfg) {
			s.tr.emit("Shrink", x.id, mp.p.Load().id, mp.id, "from", strconv.FormatInt(old, 10), "to", strconv.FormatInt(x.stack.size(), 10)) // load, mp's own P
		}
	}
	s.procresize(mp, s.procs, oldm)
	s.wakep(mp) // start the world
	s.advancePC(mp, gp)
	return ""
}
