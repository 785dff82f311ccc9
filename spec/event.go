package spec

import "time"

// Event is one line of a trace: something that happened at a logical time.
// Kind is either an action name (the model's transition that happened; see
// [ActionKinds]) or an effect name (a consequence inside that transition,
// such as a runnext kick or a spill; see [EffectKinds]). An action event is
// followed by the effect events it caused.
//
// Text form, one event per line (see [ParseEvent], [Event.String]):
//
//	@TIME KIND [g=G] [p=P] [m=M] [key=value ...]
//
// TIME is the logical time in nanoseconds; G, P and M are written g3, p0,
// m1; values contain no spaces. Example:
//
//	@0 Spawn g=g1 p=p0 m=m0 new=g2
//	@0 Kick g=g1 p=p0 m=m0 kicked=g5
//	@1500 Steal p=p1 m=m1 victim=p0 round=0 n=3 run=g7
type Event struct {
	Time time.Duration
	Kind string
	G    GID
	P    PID
	M    MID
	Args []Arg
}

// Arg is one key=value pair of an Event.
type Arg struct{ Key, Val string }

// Arg returns the value of key, or "".
func (e Event) Arg(key string) string {
	for _, a := range e.Args {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// ActionKinds are the model's actions, in a fixed order. Each is also the
// TLA+ action of the same name and the impl trace event of the same name.
var ActionKinds = []string{
	"Schedule",      // an M with a P and no G runs findRunnable's local part
	"Steal",         // a spinning M steals from a victim P
	"Compute",       // the running G computes
	"Call",          // the running G calls a function (stack check, growth)
	"Spawn",         // the running G starts a new G (newproc)
	"Gosched",       // the running G yields to the global queue
	"Preempt",       // the running G honours a preemption request
	"Park",          // the running G parks on a key
	"Ready",         // the running G readies a key
	"EnterSyscall",  // the running G enters a syscall
	"ExitSyscall",   // a G returns from its syscall
	"GC",            // the running G runs a GC (stack shrinking)
	"Goexit",        // the running G ends
	"Gomaxprocs",    // the running G changes GOMAXPROCS under stop-the-world
	"SysmonPreempt", // sysmon requests preemption of a P's G (untimed model)
	"SysmonRetake",  // sysmon retakes a P from a syscall (untimed model)
	"SysmonTick",    // one sysmon iteration (timed model)
	"Advance",       // logical time passes (timed model)
}

// EffectKinds are the consequences recorded inside an action.
var EffectKinds = []string{
	"Run",            // execute: a G starts running (src=runnext|ring|global|batch|steal|syscall, inherit, tick)
	"Kick",           // runqput: the old runnext moves to the ring tail
	"Spill",          // runqputslow: n Gs move from a full ring to the global tail
	"GlobalBatch",    // globrunqgetbatch: n Gs move from the global queue to a ring
	"StartM",         // startm: an M is given a P (spinning or not)
	"StopM",          // stopm: an M parks with no P
	"IdleP",          // pidleput: a P becomes idle
	"Spinning",       // an M becomes spinning
	"Handoff",        // handoffp: a P without a G is passed on
	"PreemptRequest", // preemptone: a G's preempt flag is set
	"Retake",         // a P is taken from an M blocked in a syscall
	"Grow",           // newstack: a stack is copied to a larger one
	"Shrink",         // shrinkstack: a stack is copied to a smaller one
	"Wake",           // a parked G becomes runnable
	"Fatal",          // the run ended in a fatal error (stack overflow, failed check)
	"Deadlock",       // all goroutines are asleep
	"Exit",           // main returned: the run ended
}

// DeadlockMessage is the runtime's message when every goroutine is
// parked (checkdead, proc.go:6367-6469): the outcome of a deadlocked run
// in both the simulator and the implementation.
const DeadlockMessage = "all goroutines are asleep - deadlock!"

// IsAction reports whether kind is one of ActionKinds.
func IsAction(kind string) bool {
	for _, k := range ActionKinds {
		if k == kind {
			return true
		}
	}
	return false
}

// IsEffect reports whether kind is one of EffectKinds.
func IsEffect(kind string) bool {
	for _, k := range EffectKinds {
		if k == kind {
			return true
		}
	}
	return false
}
