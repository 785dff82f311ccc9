package impl

import (
	"fmt"
	"strconv"

	"github.com/gmplab/gmplab/spec"
)

// Drive steps the implementation one action at a time on the caller's
// goroutine: the same data structures and scheduling functions as the
// concurrent engine (lock-free run queues, the global queue under
// sched.lock, byte stacks), with no worker goroutines. There is one method
// per action of the model (spec.ActionKinds), with the same name and
// parameters, so that a test can run model and implementation in
// lockstep. Each returns a *DisabledError when the action is not enabled.
//
// Drive mode is untimed (like the explorer's model): computes finish in
// one step, syscalls return when ExitSyscall is called, and sysmon acts
// only through SysmonPreempt and SysmonRetake.
//
// A Drive is not safe for concurrent use.
type Drive struct {
	s *Sched
}

// DisabledError says why an action was refused.
type DisabledError struct {
	Action string
	Why    string
}

func (e *DisabledError) Error() string { return fmt.Sprintf("%s is not enabled: %s", e.Action, e.Why) }

// NewDrive starts a run of code under cfg in drive mode: g1 runs main on
// m0 and p0. With trace set, Events returns the trace. The optional
// mutants switch deliberate bugs on for the whole run (a mutation test;
// see Mutants).
func NewDrive(cfg spec.Config, code *spec.Code, boot Boot, trace bool, mutants ...Mutants) (*Drive, error) {
	var mut Mutants
	for _, m := range mutants {
		mut |= m
	}
	s, err := newSched(cfg, code, boot, trace, mut)
	if err != nil {
		return nil, err
	}
	return &Drive{s: s}, nil
}

// Snapshot projects the current state onto spec.Snapshot.
func (d *Drive) Snapshot() spec.Snapshot { return d.s.snapshot() }

// Events returns the trace events recorded since the last call.
func (d *Drive) Events() []spec.Event { return d.s.tr.take() }

// Ended reports whether main exited or a fatal error ended the run, and
// the fatal error's message ("" if none).
func (d *Drive) Ended() (bool, string) {
	d.s.lock.Lock()
	defer d.s.lock.Unlock()
	return d.s.exited || d.s.fatal != "", d.s.fatal
}

// begin checks the run is on, finds M id, and records the action's event.
func (d *Drive) begin(action string, id spec.MID, args ...string) (*m, int, error) {
	if ended, _ := d.Ended(); ended {
		return nil, -1, &DisabledError{action, "the run has ended"}
	}
	if id < 0 || int(id) >= len(d.s.allm) {
		return nil, -1, &DisabledError{action, "no such M"}
	}
	mp := d.s.allm[id]
	return mp, d.s.tr.emit(action, gid(mp.curg.Load()), pid(mp.p.Load()), mp.id, args...), nil // loads (drive mode: nothing runs concurrently)
}

// done turns a refusal into an error, dropping the action's event.
func (d *Drive) done(action string, ev int, why string) error {
	if why == "" {
		return nil
	}
	if ev >= 0 {
		d.s.tr.mu.Lock()
		d.s.tr.events = d.s.tr.events[:ev]
		d.s.tr.mu.Unlock()
	}
	return &DisabledError{action, why}
}

func (d *Drive) mAction(name string, id spec.MID, f func(*m) string) error {
	mp, ev, err := d.begin(name, id)
	if err != nil {
		return err
	}
	return d.done(name, ev, f(mp))
}

// Schedule: M id, holding a P and running no G, runs findRunnable.
func (d *Drive) Schedule(id spec.MID) error { return d.mAction("Schedule", id, d.s.schedule) }

// Steal: spinning M id steals from victim in the given round.
func (d *Drive) Steal(id spec.MID, victim spec.PID, round int) error {
	mp, ev, err := d.begin("Steal", id, "victim", victim.String(), "round", strconv.Itoa(round))
	if err != nil {
		return err
	}
	why, n, gp := d.s.steal(mp, victim, round)
	if why == "" {
		d.s.tr.addArgs(ev, "n", strconv.Itoa(n), "run", gp.id.String())
	}
	return d.done("Steal", ev, why)
}

// Compute: the G on M id finishes its compute.
func (d *Drive) Compute(id spec.MID) error { return d.mAction("Compute", id, d.s.compute) }

// Call: the G on M id calls a function.
func (d *Drive) Call(id spec.MID) error { return d.mAction("Call", id, d.s.call) }

// Spawn: the G on M id starts a new G.
func (d *Drive) Spawn(id spec.MID) error {
	mp, ev, err := d.begin("Spawn", id)
	if err != nil {
		return err
	}
	why, ng := d.s.spawn(mp)
	if why == "" {
		d.s.tr.addArgs(ev, "new", ng.id.String())
	}
	return d.done("Spawn", ev, why)
}

// Gosched: the G on M id yields.
func (d *Drive) Gosched(id spec.MID) error {
	return d.mAction("Gosched", id, func(mp *m) string { return d.s.gosched(mp, false) })
}

// Preempt: the G on M id honours its preemption request.
func (d *Drive) Preempt(id spec.MID) error {
	return d.mAction("Preempt", id, func(mp *m) string { return d.s.gosched(mp, true) })
}

// Park: the G on M id parks on its key (or takes the permits there).
func (d *Drive) Park(id spec.MID) error { return d.mAction("Park", id, d.s.park) }

// Ready: the G on M id readies its key, waking waiter (NoG: none).
func (d *Drive) Ready(id spec.MID, waiter spec.GID) error {
	mp, ev, err := d.begin("Ready", id, "waiter", waiter.String())
	if err != nil {
		return err
	}
	return d.done("Ready", ev, d.s.ready(mp, waiter))
}

// EnterSyscall: the G on M id enters a syscall.
func (d *Drive) EnterSyscall(id spec.MID) error {
	return d.mAction("EnterSyscall", id, d.s.enterSyscall)
}

// ExitSyscall: the G whose syscall blocks M id returns from it.
func (d *Drive) ExitSyscall(id spec.MID) error {
	mp, ev, err := d.begin("ExitSyscall", id)
	if err != nil {
		return err
	}
	why, path := d.s.exitSyscall(mp)
	if why == "" {
		d.s.tr.addArgs(ev, "path", path)
		if path != "no-p" {
			d.s.tr.setP(ev, mp.p.Load().id) // the P it came back with
		}
	}
	return d.done("ExitSyscall", ev, why)
}

// GC: the G on M id runs a garbage collection.
func (d *Drive) GC(id spec.MID) error { return d.mAction("GC", id, d.s.gc) }

// Goexit: the G on M id ends.
func (d *Drive) Goexit(id spec.MID) error { return d.mAction("Goexit", id, d.s.goexit) }

// Gomaxprocs: the G on M id changes GOMAXPROCS.
func (d *Drive) Gomaxprocs(id spec.MID) error {
	mp, ev, err := d.begin("Gomaxprocs", id)
	if err != nil {
		return err
	}
	why, from, to := d.s.gomaxprocs(mp)
	if why == "" {
		d.s.tr.addArgs(ev, "from", strconv.Itoa(from), "to", strconv.Itoa(to))
	}
	return d.done("Gomaxprocs", ev, why)
}

// SysmonPreempt: sysmon requests the preemption of P id's G.
func (d *Drive) SysmonPreempt(id spec.PID) error {
	return d.sysmon("SysmonPreempt", id, d.s.sysmonPreempt)
}

// SysmonRetake: sysmon retakes P id from a syscall.
func (d *Drive) SysmonRetake(id spec.PID) error {
	return d.sysmon("SysmonRetake", id, d.s.sysmonRetake)
}

func (d *Drive) sysmon(name string, id spec.PID, f func(spec.PID) string) error {
	if ended, _ := d.Ended(); ended {
		return &DisabledError{name, "the run has ended"}
	}
	ev := d.s.tr.emit(name, spec.NoG, id, spec.NoM)
	return d.done(name, ev, f(id))
}
