package impl

import (
	"sync"
	"time"

	"github.com/gmplab/gmplab/spec"
)

// tracer records trace events (spec.Event) at the linearization points of
// the operations: after the CAS or the store, or with the lock held, that
// commits them. When it is off, emit returns at once.
//
// In the concurrent engine, tracing also serializes the actions: each
// action of an M or of sysmon (one model action: Schedule, a Steal,
// Compute, ..., SysmonPreempt, SysmonRetake) runs as one critical section
// under act, so that its events are contiguous and the order of the
// actions in the trace is a linearization of the run, which
// properties/refine replays through the model. What runs between actions
// (computes' busy waits, syscalls' sleeps, idle Ms parked, the barrier)
// stays concurrent; so do the lock-free protocols when tracing is off
// (their linearizability is checked on their own, in properties/).
type tracer struct {
	on  bool // set before the run starts; never changes during it
	act sync.Mutex
	mu  sync.Mutex
	now time.Duration // the logical time stamped on events (drive mode: 0)
	// clock, when set (the concurrent engine, before the run), gives the
	// logical time of an event instead of now.
	clock  func() time.Duration
	events []spec.Event
}

// emit records an event and returns its index (for addArgs), or -1 when
// tracing is off. args are key, value pairs.
// Can be executed by any M.
func (t *tracer) emit(kind string, gid spec.GID, pid spec.PID, mid spec.MID, args ...string) int {
	if !t.on {
		return -1
	}
	ev := spec.Event{Time: t.now, Kind: kind, G: gid, P: pid, M: mid}
	for i := 0; i+1 < len(args); i += 2 {
		ev.Args = append(ev.Args, spec.Arg{Key: args[i], Val: args[i+1]})
	}
	t.mu.Lock()
	if t.clock != nil {
		ev.Time = t.clock() // under mu, so that times are in event order
	}
	t.events = append(t.events, ev)
	i := len(t.events) - 1
	t.mu.Unlock()
	return i
}

// addArgs appends arguments to event i (an action's outcome, known only
// after its effects were recorded).
// Can be executed by any M.
func (t *tracer) addArgs(i int, args ...string) {
	if i < 0 {
		return
	}
	t.mu.Lock()
	for k := 0; k+1 < len(args); k += 2 {
		t.events[i].Args = append(t.events[i].Args, spec.Arg{Key: args[k], Val: args[k+1]})
	}
	t.mu.Unlock()
}

// setP sets the P of event i (ExitSyscall names the P the G came back
// with, known only at the end).
// Can be executed by any M.
func (t *tracer) setP(i int, pid spec.PID) {
	if i < 0 {
		return
	}
	t.mu.Lock()
	t.events[i].P = pid
	t.mu.Unlock()
}

// cancel drops event i (an action the concurrent engine announced and
// then found refused, because another thread changed the state first).
// Can be executed by any M.
func (t *tracer) cancel(i int) {
	if i < 0 {
		return
	}
	t.mu.Lock()
	t.events[i].Kind = ""
	t.mu.Unlock()
}

// take returns the events recorded since the last take (without the
// cancelled ones).
func (t *tracer) take() []spec.Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	evs := t.events[:0:0]
	for _, ev := range t.events {
		if ev.Kind != "" {
			evs = append(evs, ev)
		}
	}
	t.events = nil
	return evs
}

// lockAct and unlockAct bracket one action of the concurrent engine when
// tracing is on (see tracer); they do nothing when it is off.
// Can be executed by any M or sysmon, never nested.
func (t *tracer) lockAct() {
	if t.on {
		t.act.Lock()
	}
}

func (t *tracer) unlockAct() {
	if t.on {
		t.act.Unlock()
	}
}
