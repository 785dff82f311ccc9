package impl

import (
	"fmt"
	"io"
	"runtime/debug"
	"sync"
	"time"

	"github.com/gmplab/gmplab/spec"
)

// The concurrent engine: Ms are worker goroutines running the same step
// functions as drive mode (schedule, execute, spawn, park, ...), sysmon is
// a goroutine of its own (sysmon_loop.go), GOMAXPROCS changes and GC run
// under a stop-the-world (stw.go), and time is real wall time, scaled.
//
// Shared state and who touches it:
//   - pp.m, mp.p, mp.curg: atomics (atomicPtr), written by the owner (or
//     under a G's scan bit, or with the world stopped), read by sysmon,
//     world stoppers and exitsyscall.
//   - a G's fields other than status and preempt: only the M running it,
//     or a world stopper while every M is stopped; ownership passes
//     through the run queues (release/acquire) and sched.lock.
//   - mp.atBarrier, e.worldStarted and the idle lists: sched.lock.
//   - e.gcwaiting: atomic, written under sched.lock.

// Clock is the engine's source of time. Now must advance (compute
// busy-waits on it); Sleep blocks the calling goroutine for d.
type Clock interface {
	Now() time.Time
	Sleep(d time.Duration)
}

type realClock struct{}

func (realClock) Now() time.Time        { return time.Now() }
func (realClock) Sleep(d time.Duration) { time.Sleep(d) }

// RealClock is the default Clock: the wall clock.
var RealClock Clock = realClock{}

// RunOptions are the concurrent engine's knobs.
type RunOptions struct {
	// Clock is the time source (nil: RealClock).
	Clock Clock
	// TimeScale is wall time per logical time: with 0.01 a "compute 10ms"
	// busy-waits 100 µs and a "syscall 30ms" sleeps 300 µs. 0 means 1.
	TimeScale float64
	// ComputeUnit is the wall time between two checks of the preempt flag
	// inside a compute (0: 1 µs).
	ComputeUnit time.Duration
	// Seed seeds each M's steal order.
	Seed uint64
	// LockOSThread locks every M goroutine to its OS thread.
	LockOSThread bool
	// Trace records the event trace into Result.Events and the final
	// state into Result.Final. It serializes the engine's actions (each
	// is one critical section, so that the trace is a linearization of
	// the run; see tracer).
	Trace bool
	// FreshRule (with Trace) makes sysmon follow the untimed model's
	// rule that a slice is old only once its G has completed a statement
	// in it (model.G.Fresh), so that every SysmonPreempt in the trace is
	// enabled in the model; without it a G may be preempted inside its
	// first statement, as in the runtime.
	FreshRule bool
	// Timeout ends the run with OutcomeTimeout after this much wall time
	// (0: none).
	Timeout time.Duration
	// SchedTrace, if positive, makes sysmon print a GODEBUG=schedtrace
	// line (spec.Schedtrace) about every SchedTrace of logical time, as
	// the runtime's sysmon does; the lines go to SchedTraceOut (if set)
	// and to Result.SchedTrace. Like the runtime's, they are read without
	// stopping the world.
	SchedTrace    time.Duration
	SchedTraceOut io.Writer
	// SnapshotEvery, if positive, makes sysmon stop the world about every
	// SnapshotEvery of logical time and take a consistent spec.Snapshot
	// (Result.Snapshots): every M is then parked at a safe point, idle, or
	// blocked in a syscall.
	SnapshotEvery time.Duration
	// Mutants switches deliberate bugs on for the run (a mutation test;
	// see Mutants). Zero: the correct implementation.
	Mutants Mutants
}

// Outcome is how a concurrent run ended.
type Outcome uint8

const (
	OutcomeExited   Outcome = iota + 1 // main exited
	OutcomeDeadlock                    // every live G parked
	OutcomeFatal                       // stack overflow, failed check, bad pointer
	OutcomePanic                       // a panic inside the engine or interpreter
	OutcomeStuck                       // a runnable G while every M is idle (a scheduler bug)
	OutcomeTimeout                     // RunOptions.Timeout reached
)

func (o Outcome) String() string {
	switch o {
	case OutcomeExited:
		return "exited"
	case OutcomeDeadlock:
		return "deadlock"
	case OutcomeFatal:
		return "fatal"
	case OutcomePanic:
		return "panic"
	case OutcomeStuck:
		return "stuck"
	case OutcomeTimeout:
		return "timeout"
	}
	return fmt.Sprintf("Outcome(%d)", uint8(o))
}

// Result is the result of a concurrent run.
type Result struct {
	Outcome Outcome
	// Message details a fatal error, a deadlock, a panic (with its stack).
	Message     string
	FatalG      spec.GID
	FatalReason string
	// End is the logical time at the end (wall time / TimeScale); Wall
	// the wall time of the run.
	End, Wall time.Duration
	// Gs and Ms count the goroutines and threads created.
	Gs, Ms int
	// Exits[i] counts the goexits of G i+1 (each must be 0 or 1).
	Exits []uint32
	// Fns[i] is the function G i+1 started in (an index into
	// spec.Code.Funcs), to tell Gs apart by their role.
	Fns []int
	// Events is the trace (RunOptions.Trace).
	Events []spec.Event
	// Final is the state at the end of a traced run, after every engine
	// goroutine stopped (RunOptions.Trace; zero otherwise).
	Final spec.Snapshot
	// Leaked counts the engine goroutines that did not stop (after a
	// panic that left a lock held); 0 normally.
	Leaked int
	// SchedTrace holds the schedtrace lines (RunOptions.SchedTrace).
	SchedTrace []string
	// Snapshots holds the snapshots taken under stop-the-world
	// (RunOptions.SnapshotEvery).
	Snapshots []spec.Snapshot
	// Stats counts what the Ms and sysmon did.
	Stats Stats
	// Unfinished lists the Gs that were not dead at the end, in ID
	// order (main's exit ends the run wherever the others are).
	Unfinished []Unfinished
	// Keys is the park/ready keys' state at the end.
	Keys []spec.KeyState
}

// Stats counts the engine's mechanisms in one run.
type Stats struct {
	Spawns, Steals, Preempts, Syscalls, Grows, GCs, Gomaxprocs int
	// PreemptRequests and Retakes are sysmon's.
	PreemptRequests, Retakes int
}

func (s *Stats) add(o Stats) {
	s.Spawns += o.Spawns
	s.Steals += o.Steals
	s.Preempts += o.Preempts
	s.Syscalls += o.Syscalls
	s.Grows += o.Grows
	s.GCs += o.GCs
	s.Gomaxprocs += o.Gomaxprocs
	s.PreemptRequests += o.PreemptRequests
	s.Retakes += o.Retakes
}

// Unfinished is a G that was not dead when the run ended.
type Unfinished struct {
	ID     spec.GID
	Status spec.GStatus
	// AtExit: its next statement is its goexit (exit, or the return of
	// its outermost function): it completed its work.
	AtExit bool
}

// Summary is a one-line description, e.g. "exited at 1.2ms (3 Ms, 11 Gs)".
func (r *Result) Summary() string {
	head := r.Outcome.String()
	if r.Message != "" {
		msg := r.Message
		if r.Outcome == OutcomePanic {
			if i := indexByte(msg, '\n'); i >= 0 {
				msg = msg[:i]
			}
		}
		head += ": " + msg
	}
	return fmt.Sprintf("%s at %v (%d Ms, %d Gs, %v wall)", head, r.End, r.Ms, r.Gs, r.Wall.Round(time.Microsecond))
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// engine is one concurrent run.
type engine struct {
	s     *Sched
	opts  RunOptions
	clock Clock
	scale float64
	unit  time.Duration // logical time per compute unit
	start time.Time

	wg       sync.WaitGroup
	running  atomicInt32   // goroutines of the run still running (add, for the leak report)
	done     chan struct{} // closed when the run ends
	doneOnce sync.Once
	// ended is set just before done is closed: over's cheap check
	// (a load, synchronizing with the store in finish).
	ended atomicBool

	// sysmonlock is sched.sysmonlock: held by sysmon during a round and
	// by a world stopper for the whole stop-the-world.
	sysmonlock sync.Mutex

	// gcwaiting is sched.gcwaiting: a stop-the-world is pending or in
	// force. Written under sched.lock; loaded without it by Ms at safe
	// points (an atomic load, synchronizing with the stopper's store).
	gcwaiting atomicBool
	// worldStarted is closed by startTheWorld; guarded by sched.lock.
	worldStarted chan struct{}
	// blocked lists the Gs in syscalls whose scan bit the stopper holds.
	// Only the stopper touches it.
	blocked []*g
	// sysmonStats counts sysmon's requests and retakes; only sysmon
	// touches it (read after it stopped).
	sysmonStats Stats
	// preempted lists the Gs (struct and ID: a struct may die and run
	// another ID meanwhile) whose preempt flag the stopper set
	// (preemptall). Only the stopper touches it.
	preempted []stwPreempted

	// The end: guarded by mu.
	mu      sync.Mutex
	outcome Outcome
	message string
	// schedtraceLines are sysmon's schedtrace lines; guarded by mu.
	schedtraceLines []string
	// snapshots are sysmon's stop-the-world snapshots; guarded by mu.
	snapshots []spec.Snapshot
	panicked  bool
}

// Run runs code under cfg on the concurrent engine until main exits, a
// fatal error, a deadlock, a panic or the timeout, and stops every
// goroutine it started before returning. The error is for bad arguments
// only; how the run ended is in the Result.
func Run(cfg spec.Config, code *spec.Code, boot Boot, opts RunOptions) (*Result, error) {
	s, err := newSched(cfg, code, boot, opts.Trace, opts.Mutants)
	if err != nil {
		return nil, err
	}
	e := &engine{s: s, opts: opts, clock: opts.Clock, scale: opts.TimeScale, done: make(chan struct{})}
	if e.clock == nil {
		e.clock = RealClock
	}
	if e.scale <= 0 {
		e.scale = 1
	}
	unitWall := opts.ComputeUnit
	if unitWall <= 0 {
		unitWall = time.Microsecond
	}
	e.unit = max(time.Duration(float64(unitWall)/e.scale), 1)
	e.start = e.clock.Now()
	if opts.Trace {
		s.tr.clock = e.now
	}
	for _, mp := range s.allm {
		mp.note = make(chan struct{}, 1)
	}
	s.onStartM = e.startedM
	var timer *time.Timer
	if opts.Timeout > 0 {
		timer = time.AfterFunc(opts.Timeout, func() {
			e.end(OutcomeTimeout, fmt.Sprintf("timeout after %v of wall time", opts.Timeout))
		})
	}
	e.wg.Add(2)
	go e.sysmon()
	go e.mstart(s.allm[0])
	<-e.done
	if timer != nil {
		timer.Stop()
	}
	leaked := e.wait()
	return e.result(leaked), nil
}

// wait waits for every goroutine of the run, giving up after a grace
// period (a panic may have left sched.lock held) and returning how many
// are still running then.
// Executed only by Run's goroutine, after done is closed.
func (e *engine) wait() int {
	ch := make(chan struct{})
	go func() { e.wg.Wait(); close(ch) }()
	select {
	case <-ch:
		return 0
	case <-time.After(5 * time.Second):
		return int(e.running.Load()) // load, count only
	}
}

// result builds the run's Result. With leaked == 0 every engine
// goroutine has stopped, so it reads their state (Ms' stats, sysmon's,
// the G table) without racing; otherwise it reads only what e.mu guards.
// Executed only by Run's goroutine, after wait.
func (e *engine) result(leaked int) *Result {
	s := e.s
	r := &Result{Wall: e.clock.Now().Sub(e.start), End: e.now(), Leaked: leaked}
	e.mu.Lock()
	outcome, msg := e.outcome, e.message
	r.SchedTrace = e.schedtraceLines
	r.Snapshots = e.snapshots
	e.mu.Unlock()
	if leaked == 0 {
		s.lock.Lock()
		switch {
		case outcome == OutcomePanic:
		case s.fatal != "":
			outcome, msg = OutcomeFatal, s.fatal
			r.FatalG, r.FatalReason = s.fatalG, s.fatalReason
		case s.exited:
			outcome, msg = OutcomeExited, ""
		}
		r.Ms = len(s.allm)
		for _, mp := range s.allm {
			r.Stats.add(mp.stats)
		}
		r.Stats.add(e.sysmonStats)
		for i, k := range s.keys {
			ks := spec.KeyState{Key: s.code.Keys[i], Permits: k.permits}
			for _, w := range k.waiters {
				ks.Waiters = append(ks.Waiters, w.id)
			}
			r.Keys = append(r.Keys, ks)
		}
		s.lock.Unlock()
		s.allglock.Lock()
		r.Gs = s.gids.len()
		r.Exits = make([]uint32, r.Gs)
		r.Fns = make([]int, r.Gs)
		for i := range r.Gs {
			rec := s.gids.at(i)
			r.Exits[i] = rec.exits
			r.Fns[i] = int(rec.fn)
			gp := s.gidG(rec)
			if gp == nil {
				continue
			}
			if st := gp.getStatus(); st != spec.GDead {
				in := s.instr(gp)
				r.Unfinished = append(r.Unfinished, Unfinished{ID: gp.id, Status: st,
					AtExit: in.Op == spec.OpExit || in.Op == spec.OpReturn && gp.stack.depth() == 1})
			}
		}
		s.allglock.Unlock()
		r.Events = s.tr.take()
		if s.tr.on {
			r.Final = s.snapshot()
		}
	} else {
		msg += fmt.Sprintf(" (%d engine goroutines did not stop)", leaked)
	}
	r.Outcome, r.Message = outcome, msg
	return r
}

// now is the logical time since the start.
// Can be executed by any goroutine.
func (e *engine) now() time.Duration {
	return time.Duration(float64(e.clock.Now().Sub(e.start)) / e.scale)
}

// wall converts a logical duration to wall time.
func (e *engine) wall(d time.Duration) time.Duration { return time.Duration(float64(d) * e.scale) }

// end ends the run with o (the first caller wins; main's exit and fatal
// errors are read from Sched by result).
// Can be executed by any goroutine.
func (e *engine) end(o Outcome, msg string) {
	e.mu.Lock()
	if e.outcome == 0 {
		e.outcome, e.message = o, msg
	}
	e.mu.Unlock()
	e.finish()
}

// finish marks the run ended and wakes everyone waiting on done.
// Can be executed by any goroutine.
func (e *engine) finish() {
	e.doneOnce.Do(func() {
		e.ended.Store(true) // store, seen by over
		close(e.done)
	})
}

// over reports whether the run ended (or must end).
// Can be executed by any goroutine.
func (e *engine) over() bool {
	if e.s.over.Load() { // load, synchronizes with setFatal/goexit's store
		e.end(OutcomeExited, "")
		return true
	}
	return e.ended.Load() // load, synchronizes with finish's store
}

// recoverPanic turns a panic of the calling engine goroutine into the
// run's result. Deferred by every goroutine of the engine.
func (e *engine) recoverPanic(who string) {
	if r := recover(); r != nil {
		e.mu.Lock()
		e.outcome, e.message, e.panicked = OutcomePanic, fmt.Sprintf("%s: panic: %v\n%s", who, r, debug.Stack()), true
		e.mu.Unlock()
		e.finish()
	}
}

// startedM is Sched.onStartM: startm wired mp to a P; wake it, or start
// its goroutine if it is new.
// Can be executed by any M or sysmon (whoever runs startm).
func (e *engine) startedM(mp *m, created bool) {
	if created {
		mp.note = make(chan struct{}, 1)
		e.wg.Add(1)
		go e.mstart(mp)
		return
	}
	select {
	case mp.note <- struct{}{}: // notewakeup(&mp.park); the M re-reads mp.p after it
	default: // a token is already pending
	}
}
