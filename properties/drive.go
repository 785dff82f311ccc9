// Package properties runs gmplab's forms side by side: the reference
// model (package model) and the implementation (package impl), and both
// against the real Go runtime. The harness is in ordinary files so that
// the command line can use it; the tests are in _test files.
//
// Linearizability of the run queues (lin*.go, lin_test.go): goroutines
// on impl.RunQueueLab (impl's own runq and globrunq code) record
// histories with call and return times, and two checkers judge them
// against rqSpec, the sequential specification with model/runq.go's
// rules and the runtime's in-flight windows (linspec.go):
//
//   - TestLinRunQueue: porcupine on short histories (-lin.runs, -lin.ops,
//     -lin.timeout), of two shapes: owner/thief pairs (partitioned per
//     pair) and a mesh where every P puts, gets, steals and uses the
//     global queue (one partition). Illegal: the history file and
//     porcupine's HTML are saved and their paths printed; undecided in
//     time: failed as unknown, never passed.
//   - TestLinFastLong: the fast checker (linfast.go: exactly once and
//     per-P FIFO conservation; necessary, not sufficient) on one history
//     of 10^5+ operations (-lin.fastops).
//   - TestLinCorpus: testdata/lin/*-ok.hist and *-bad.hist must get their
//     verdicts; TestLinCheckersReject: both checkers reject recorded
//     histories with one output made wrong; TestLinHistoryFile re-checks a
//     saved history (-lin.history=FILE).
//
// Fuzz targets (fuzz_test.go; plain go test runs their seed corpus):
//
//	go test ./properties -run '^$' -fuzz FuzzLockstep -fuzztime 60s -fuzzminimizetime 5s
//	go test ./properties -run '^$' -fuzz FuzzRunQueue -fuzztime 60s -fuzzminimizetime 5s
//
// (Without -fuzzminimizetime the fuzzer may spend up to a minute
// minimizing each new interesting input, shown as 0 execs/s.)
//
// FuzzLockstep decodes bytes into a small config, a workload and actions
// for the lockstep harness; FuzzRunQueue into sequential run queue
// operations on impl.RunQueueLab checked against rqSpec.
//
// Lockstep (model vs impl's drive mode, one action at a time, snapshots
// and trace events compared after every step) runs in four forms:
//
//   - TestLockstepRandomWalk: long seeded random walks over every example
//     workload and random small configs; cheap, finds most divergences;
//     prints the seed, the config and the action list.
//   - TestLockstepRapid: rapid's state machine (the primary property-based
//     form): shrinks a failure to a short action list and prints it as a
//     trace file for the regression corpus.
//   - TestLockstepGopter: gopter's commands (the second opinion): each
//     command is a concrete action whose precondition is re-checked while
//     shrinking; NextState is model.Step, Run the implementation.
//   - TestLockstepRegressions: the corpus testdata/regress/*.trace, every
//     failure found once, replayed on every run.
//
// lockstep.go holds the lockstep harness the tests and the mutation
// report share.
//
// Per-mechanism properties (mechanism.go): each scheduling rule (steal
// amount, runnext put and kick, spill, findRunnable's order, the %61
// check, global batches, Gosched, syscall exit, procresize, stack growth,
// shrinking and copying, work conservation, fairness) as a property of
// one transition over spec.Snapshot and spec.Event, checked after every
// step of seeded random walks of the model and of impl's drive mode
// (mechwalk.go); tests in mechanism_test.go.
//
// runqonce.go: impl's run queues on real goroutines (impl.RunqLab), every
// G taken exactly once.
//
// mutants.go: the checks by name (mechanisms, lockstep, runq-once) with
// budgets, seeded failures (Violation) that print a replay command
// ("gmplab mutants -replay ..."), and the mutation report: every mutant of
// spec.Mutants in each form, killed by which property and how fast
// (TestMutationReport, gmplab mutants).
//
// The model against the real Go runtime is package conform.
package properties

import (
	"fmt"

	"github.com/gmplab/gmplab/impl"
	"github.com/gmplab/gmplab/model"
)

// ApplyToDrive applies a model action to the implementation in drive
// mode: the action of the same name with the same parameters.
func ApplyToDrive(d *impl.Drive, a model.Action) error {
	switch a := a.(type) {
	case model.Schedule:
		return d.Schedule(a.M)
	case model.Steal:
		return d.Steal(a.M, a.Victim, a.Round)
	case model.Compute:
		return d.Compute(a.M)
	case model.Call:
		return d.Call(a.M)
	case model.Spawn:
		return d.Spawn(a.M)
	case model.Gosched:
		return d.Gosched(a.M)
	case model.Preempt:
		return d.Preempt(a.M)
	case model.Park:
		return d.Park(a.M)
	case model.Ready:
		return d.Ready(a.M, a.Waiter)
	case model.EnterSyscall:
		return d.EnterSyscall(a.M)
	case model.ExitSyscall:
		return d.ExitSyscall(a.M)
	case model.GC:
		return d.GC(a.M)
	case model.Goexit:
		return d.Goexit(a.M)
	case model.Gomaxprocs:
		return d.Gomaxprocs(a.M)
	case model.SysmonPreempt:
		return d.SysmonPreempt(a.P)
	case model.SysmonRetake:
		return d.SysmonRetake(a.P)
	}
	return fmt.Errorf("the implementation's drive mode has no %s (it is untimed)", a.Kind())
}
