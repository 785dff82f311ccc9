// Package impl is gmplab's concurrent, lock-free implementation of Go's GMP
// scheduler: the system under test. It imports spec, never model; the
// tests in properties/ run it side by side with the model.
//
// It is built the way the runtime is built (proc.go, runtime2.go,
// stack.go) and keeps the runtime's names:
//
//   - runq.go: a P's local run queue, a ring whose head is advanced by CAS
//     by anyone and whose tail is stored only by the owner, plus runnext
//     (set only by the owner, cleared by CAS): runqput with the runnext
//     kick, runqputslow (spill half plus one to the global queue),
//     runqget, runqgrab/runqsteal (steal half), runqempty.
//   - globrunq.go: the global run queue under sched.lock, with the batch
//     rule min(cap, size, size/GOMAXPROCS+1).
//   - runqlab.go: RunQueueLab, the run queues and the global queue opened
//     to tests on real goroutines (properties/ checks their histories for
//     linearizability); the scheduler does not use it.
//   - stack.go: goroutine stacks as bytes, grown by copying into a doubled
//     stack with every pointer into the old stack moved by the same delta.
//   - atomic.go: the one small layer through which every shared-memory
//     access goes, so that a deterministic schedule controller can
//     interpose on each of them; it costs nothing in normal builds.
//   - sched.go, g.go: the shared state (the runtime's schedt, p, m, g).
//   - gfree.go: G IDs (a lock-free table: IDs are never reused, the
//     snapshot lists dead Gs too) and the free lists of g structs per P
//     and global (gfput, gfget), through which exited Gs' structs and
//     frame records are reused.
//   - proc.go, interp.go, sysmon.go, procresize.go: the scheduler as step
//     functions, one per action of the model (spec.ActionKinds) with the
//     model's rules: findRunnable's local part, stealing, execute, wakep,
//     startm, stopm, handoffp; the G's statements (the interpreter of
//     spec.Code: the G's program counters live in its stack frames, so any
//     M resumes it); sysmon's preemption requests and retakes; procresize.
//
// The step functions run in two engines:
//
//   - drive.go, drive mode: the caller applies one action at a time on its
//     own goroutine (Drive has one method per model action). The tests in
//     properties/ run it in lockstep with the model and compare snapshots
//     and trace events after every step.
//   - engine.go, mloop.go, sysmon_loop.go, stw.go, the concurrent engine
//     (Run): Ms are worker goroutines looping schedule, steal, execute and
//     the G's statements; idle Ms park on a per-M channel (the runtime's
//     note); sysmon is its own goroutine; GOMAXPROCS changes and GC stop
//     the world; syscalls really block their M; time is an injected clock,
//     scaled. With tracing on (trace.go) each action is one critical
//     section, so that the trace is a linearization of the run that
//     properties/refine replays through the model; sysmon then records
//     the untimed model's SysmonPreempt and SysmonRetake.
//
// mutants.go holds Mutants, deliberate bugs (some of them Go's historical
// scheduler bugs) switched on for a whole run through NewDrive or
// RunOptions.Mutants, for the mutation report in properties; each bug's
// code sits next to the rule it breaks. runqlab.go exposes the run queues
// alone (RunqLab) for properties' concurrent exactly-once check.
//
// Every function on shared state ends its documentation with who may call
// it ("Executed only by the owner P.", "Can be executed by any P.",
// "sched.lock must be held."), and every atomic operation says what it
// synchronizes with.
package impl
