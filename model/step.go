package model

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/gmplab/gmplab/spec"
)

// Step applies a to s and returns the new state. It never mutates s. A
// disabled action returns an error saying why.
func Step(s State, a Action) (State, error) {
	ns, _, err := step(s, a, false)
	return ns, err
}

// StepTrace is Step that also returns the trace events of the step: the
// action's own event first, then the effects it caused.
func StepTrace(s State, a Action) (State, []spec.Event, error) {
	return step(s, a, true)
}

// DisabledError is Step's error for an action that is not enabled.
type DisabledError struct {
	Action Action
	Why    string
}

func (e *DisabledError) Error() string {
	return fmt.Sprintf("%v is not enabled: %s", e.Action, e.Why)
}

func step(s State, a Action, trace bool) (State, []spec.Event, error) {
	if s.Env == nil {
		return s, nil, fmt.Errorf("model.Step: state has no Env (use model.Init)")
	}
	if s.Ended() {
		return s, nil, &DisabledError{a, "the run has ended"}
	}
	x := newStepper(s)
	x.trace = trace
	if trace {
		x.emitAction(a)
	}
	if why := x.apply(a); why != "" {
		return s, nil, &DisabledError{a, why}
	}
	return x.s, x.events, nil
}

// stepper builds the next state. It starts from a shallow copy of the
// input and copies each slice before its first write (copy on write), so
// a step costs what it changes, not the size of the state.
type stepper struct {
	s      State
	cfg    *spec.Config
	code   *spec.Code
	mut    Mutants
	ownPs  bool
	ownMs  bool
	ownGs  bool
	ownKey bool
	trace  bool
	events []spec.Event
}

func newStepper(s State) *stepper {
	return &stepper{s: s, cfg: &s.Env.Cfg, code: s.Env.Code, mut: s.Env.Mutants}
}

// pw, mw, gw and kw return a writable P, M, G or Key.
func (x *stepper) pw(p spec.PID) *P {
	if !x.ownPs {
		x.s.Ps = slices.Clone(x.s.Ps)
		x.ownPs = true
	}
	return &x.s.Ps[p]
}

func (x *stepper) mw(m spec.MID) *M {
	if !x.ownMs {
		x.s.Ms = slices.Clone(x.s.Ms)
		x.ownMs = true
	}
	return &x.s.Ms[m]
}

func (x *stepper) gw(g spec.GID) *G {
	if !x.ownGs {
		x.s.Gs = slices.Clone(x.s.Gs)
		x.ownGs = true
	}
	return &x.s.Gs[g-1]
}

func (x *stepper) kw(k int) *Key {
	if !x.ownKey {
		x.s.Keys = slices.Clone(x.s.Keys)
		x.ownKey = true
	}
	return &x.s.Keys[k]
}

// Read-only accessors.
func (x *stepper) p(p spec.PID) *P { return &x.s.Ps[p] }
func (x *stepper) m(m spec.MID) *M { return &x.s.Ms[m] }
func (x *stepper) g(g spec.GID) *G { return &x.s.Gs[g-1] }

// push returns q with v appended, never writing q's backing array.
func push[T any](q []T, v ...T) []T {
	return append(q[:len(q):len(q)], v...)
}

// prepend returns v followed by q.
func prepend[T any](q []T, v ...T) []T {
	out := make([]T, 0, len(v)+len(q))
	return append(append(out, v...), q...)
}

// remove returns q without its element at i.
func remove[T any](q []T, i int) []T {
	out := make([]T, 0, len(q)-1)
	return append(append(out, q[:i]...), q[i+1:]...)
}

func (x *stepper) emitAction(a Action) {
	ev := spec.Event{Time: x.s.Now, Kind: a.Kind(), G: spec.NoG, P: spec.NoP, M: spec.NoM}
	switch a := a.(type) {
	case Steal:
		ev.Args = []spec.Arg{{Key: "victim", Val: a.Victim.String()}, {Key: "round", Val: strconv.Itoa(a.Round)}}
	case Ready:
		ev.Args = []spec.Arg{{Key: "waiter", Val: a.Waiter.String()}}
	case SysmonPreempt:
		ev.P = a.P
	case SysmonRetake:
		ev.P = a.P
	case Advance:
		ev.Args = []spec.Arg{{Key: "d", Val: strconv.FormatInt(int64(a.D), 10)}}
	}
	if m := actorM(a); m != spec.NoM && int(m) < len(x.s.Ms) {
		ev.M = m
		ev.P = x.s.Ms[m].P
		ev.G = x.s.Ms[m].Curg
	}
	x.events = append(x.events, ev)
}

// emit records an effect event on behalf of M m (NoM for sysmon).
func (x *stepper) emit(kind string, g spec.GID, p spec.PID, m spec.MID, args ...string) {
	if !x.trace {
		return
	}
	ev := spec.Event{Time: x.s.Now, Kind: kind, G: g, P: p, M: m}
	for i := 0; i+1 < len(args); i += 2 {
		ev.Args = append(ev.Args, spec.Arg{Key: args[i], Val: args[i+1]})
	}
	x.events = append(x.events, ev)
}

// apply performs a on x.s, or returns why a is not enabled.
func (x *stepper) apply(a Action) string {
	switch a := a.(type) {
	case Schedule:
		return x.schedule(a.M)
	case Steal:
		return x.steal(a)
	case Compute:
		return x.compute(a.M)
	case Call:
		return x.call(a.M)
	case Spawn:
		return x.spawn(a.M)
	case Gosched:
		return x.gosched(a.M, false)
	case Preempt:
		return x.gosched(a.M, true)
	case Park:
		return x.park(a.M)
	case Ready:
		return x.ready(a)
	case EnterSyscall:
		return x.enterSyscall(a.M)
	case ExitSyscall:
		return x.exitSyscall(a.M)
	case GC:
		return x.gc(a.M)
	case Goexit:
		return x.goexit(a.M)
	case Gomaxprocs:
		return x.gomaxprocs(a.M)
	case SysmonPreempt:
		return x.sysmonPreempt(a.P)
	case SysmonRetake:
		return x.sysmonRetake(a.P)
	case SysmonTick:
		return x.sysmonTick()
	case Advance:
		return x.advance(a.D)
	case nil:
		return "nil action"
	}
	return fmt.Sprintf("unknown action type %T", a)
}
