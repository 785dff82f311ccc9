package model

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gmplab/gmplab/spec"
)

// Action is one transition of the model. The set is closed: the types in
// this file. An action's String is its text form, "Kind key=value ...",
// which ParseAction reads back; Kind is the action's name in spec.ActionKinds,
// in tla/GMP.tla and in impl's traces.
type Action interface {
	Kind() string
	String() string
	isAction()
}

// Schedule: M, holding a P and running no G, runs findRunnable.
type Schedule struct{ M spec.MID }

// Steal: spinning M steals from Victim's queue in round Round of stealWork.
type Steal struct {
	M      spec.MID
	Victim spec.PID
	Round  int
}

// Compute: the G on M finishes its compute statement.
type Compute struct{ M spec.MID }

// Call: the G on M calls a function (call, or descend with n > 0).
type Call struct{ M spec.MID }

// Spawn: the G on M starts a new G.
type Spawn struct{ M spec.MID }

// Gosched: the G on M yields.
type Gosched struct{ M spec.MID }

// Preempt: the G on M honours its preemption request at a safe point.
type Preempt struct{ M spec.MID }

// Park: the G on M parks on a key (or takes permits that are there).
type Park struct{ M spec.MID }

// Ready: the G on M adds a permit to a key and wakes Waiter, a waiter that
// the permits now satisfy (NoG when there is none to wake).
type Ready struct {
	M      spec.MID
	Waiter spec.GID
}

// EnterSyscall: the G on M enters a syscall.
type EnterSyscall struct{ M spec.MID }

// ExitSyscall: the G whose syscall blocks M returns from it.
type ExitSyscall struct{ M spec.MID }

// GC: the G on M runs a garbage collection.
type GC struct{ M spec.MID }

// Goexit: the G on M ends (exit, or its outermost function returns).
type Goexit struct{ M spec.MID }

// Gomaxprocs: the G on M changes GOMAXPROCS.
type Gomaxprocs struct{ M spec.MID }

// SysmonPreempt: sysmon finds P's slice too old and requests preemption
// (untimed mode: the age is a choice).
type SysmonPreempt struct{ P spec.PID }

// SysmonRetake: sysmon retakes P from the syscall of its M's G (untimed
// mode: the syscall's age is a choice).
type SysmonRetake struct{ P spec.PID }

// SysmonTick: one iteration of sysmon at its wake-up time (timed mode).
type SysmonTick struct{}

// Advance: D of logical time passes (timed mode).
type Advance struct{ D time.Duration }

func (Schedule) Kind() string      { return "Schedule" }
func (Steal) Kind() string         { return "Steal" }
func (Compute) Kind() string       { return "Compute" }
func (Call) Kind() string          { return "Call" }
func (Spawn) Kind() string         { return "Spawn" }
func (Gosched) Kind() string       { return "Gosched" }
func (Preempt) Kind() string       { return "Preempt" }
func (Park) Kind() string          { return "Park" }
func (Ready) Kind() string         { return "Ready" }
func (EnterSyscall) Kind() string  { return "EnterSyscall" }
func (ExitSyscall) Kind() string   { return "ExitSyscall" }
func (GC) Kind() string            { return "GC" }
func (Goexit) Kind() string        { return "Goexit" }
func (Gomaxprocs) Kind() string    { return "Gomaxprocs" }
func (SysmonPreempt) Kind() string { return "SysmonPreempt" }
func (SysmonRetake) Kind() string  { return "SysmonRetake" }
func (SysmonTick) Kind() string    { return "SysmonTick" }
func (Advance) Kind() string       { return "Advance" }

func (a Schedule) String() string { return "Schedule m=" + a.M.String() }
func (a Steal) String() string {
	return fmt.Sprintf("Steal m=%v victim=%v round=%d", a.M, a.Victim, a.Round)
}
func (a Compute) String() string      { return "Compute m=" + a.M.String() }
func (a Call) String() string         { return "Call m=" + a.M.String() }
func (a Spawn) String() string        { return "Spawn m=" + a.M.String() }
func (a Gosched) String() string      { return "Gosched m=" + a.M.String() }
func (a Preempt) String() string      { return "Preempt m=" + a.M.String() }
func (a Park) String() string         { return "Park m=" + a.M.String() }
func (a Ready) String() string        { return fmt.Sprintf("Ready m=%v waiter=%v", a.M, a.Waiter) }
func (a EnterSyscall) String() string { return "EnterSyscall m=" + a.M.String() }
func (a ExitSyscall) String() string  { return "ExitSyscall m=" + a.M.String() }
func (a GC) String() string           { return "GC m=" + a.M.String() }
func (a Goexit) String() string       { return "Goexit m=" + a.M.String() }
func (a Gomaxprocs) String() string   { return "Gomaxprocs m=" + a.M.String() }
func (a SysmonPreempt) String() string {
	return "SysmonPreempt p=" + a.P.String()
}
func (a SysmonRetake) String() string { return "SysmonRetake p=" + a.P.String() }
func (SysmonTick) String() string     { return "SysmonTick" }
func (a Advance) String() string      { return "Advance d=" + strconv.FormatInt(int64(a.D), 10) }

func (Schedule) isAction()      {}
func (Steal) isAction()         {}
func (Compute) isAction()       {}
func (Call) isAction()          {}
func (Spawn) isAction()         {}
func (Gosched) isAction()       {}
func (Preempt) isAction()       {}
func (Park) isAction()          {}
func (Ready) isAction()         {}
func (EnterSyscall) isAction()  {}
func (ExitSyscall) isAction()   {}
func (GC) isAction()            {}
func (Goexit) isAction()        {}
func (Gomaxprocs) isAction()    {}
func (SysmonPreempt) isAction() {}
func (SysmonRetake) isAction()  {}
func (SysmonTick) isAction()    {}
func (Advance) isAction()       {}

// actorM returns the M an action is taken by, or NoM.
func actorM(a Action) spec.MID {
	switch a := a.(type) {
	case Schedule:
		return a.M
	case Steal:
		return a.M
	case Compute:
		return a.M
	case Call:
		return a.M
	case Spawn:
		return a.M
	case Gosched:
		return a.M
	case Preempt:
		return a.M
	case Park:
		return a.M
	case Ready:
		return a.M
	case EnterSyscall:
		return a.M
	case ExitSyscall:
		return a.M
	case GC:
		return a.M
	case Goexit:
		return a.M
	case Gomaxprocs:
		return a.M
	}
	return spec.NoM
}

// ParseAction reads an action's text form ("Steal m=m1 victim=p0 round=3").
func ParseAction(s string) (Action, error) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return nil, fmt.Errorf("empty action")
	}
	args := map[string]string{}
	for _, w := range f[1:] {
		k, v, ok := strings.Cut(w, "=")
		if !ok {
			return nil, fmt.Errorf("action %q: expected key=value, found %q", s, w)
		}
		if _, dup := args[k]; dup {
			return nil, fmt.Errorf("action %q: %s given twice", s, k)
		}
		args[k] = v
	}
	used := 0
	var err error
	get := func(key string) string {
		v, ok := args[key]
		if !ok && err == nil {
			err = fmt.Errorf("action %q: missing %s=", s, key)
		}
		used++
		return v
	}
	m := func() spec.MID { return spec.MID(parseID(get("m"), "m", &err)) }
	var a Action
	switch f[0] {
	case "Schedule":
		a = Schedule{m()}
	case "Steal":
		mm := m()
		v := spec.PID(parseID(get("victim"), "p", &err))
		r, e := strconv.Atoi(get("round"))
		if e != nil && err == nil {
			err = fmt.Errorf("action %q: round: want an integer", s)
		}
		a = Steal{mm, v, r}
	case "Compute":
		a = Compute{m()}
	case "Call":
		a = Call{m()}
	case "Spawn":
		a = Spawn{m()}
	case "Gosched":
		a = Gosched{m()}
	case "Preempt":
		a = Preempt{m()}
	case "Park":
		a = Park{m()}
	case "Ready":
		mm := m()
		w := get("waiter")
		var g spec.GID
		if w != "-" {
			g = spec.GID(parseID(w, "g", &err))
		}
		a = Ready{mm, g}
	case "EnterSyscall":
		a = EnterSyscall{m()}
	case "ExitSyscall":
		a = ExitSyscall{m()}
	case "GC":
		a = GC{m()}
	case "Goexit":
		a = Goexit{m()}
	case "Gomaxprocs":
		a = Gomaxprocs{m()}
	case "SysmonPreempt":
		a = SysmonPreempt{spec.PID(parseID(get("p"), "p", &err))}
	case "SysmonRetake":
		a = SysmonRetake{spec.PID(parseID(get("p"), "p", &err))}
	case "SysmonTick":
		a = SysmonTick{}
	case "Advance":
		d, e := strconv.ParseInt(get("d"), 10, 64)
		if e != nil && err == nil {
			err = fmt.Errorf("action %q: d: want nanoseconds", s)
		}
		a = Advance{time.Duration(d)}
	default:
		return nil, fmt.Errorf("unknown action %q (known: %s)", f[0], strings.Join(spec.ActionKinds, ", "))
	}
	if err != nil {
		return nil, err
	}
	if used != len(args) {
		return nil, fmt.Errorf("action %q: unexpected arguments", s)
	}
	return a, nil
}

func parseID(v, prefix string, err *error) int32 {
	if *err != nil {
		return 0
	}
	if !strings.HasPrefix(v, prefix) {
		*err = fmt.Errorf("expected %sN, found %q", prefix, v)
		return 0
	}
	n, e := strconv.ParseInt(v[len(prefix):], 10, 32)
	if e != nil || n < 0 {
		*err = fmt.Errorf("expected %sN, found %q", prefix, v)
		return 0
	}
	return int32(n)
}
