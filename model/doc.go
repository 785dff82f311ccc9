// Package model is gmplab's reference model of Go's GMP scheduler: a pure,
// deterministic state machine. It has no goroutines, atomics or clocks;
// every free choice (which P a thief robs, which waiter a ready wakes, when
// sysmon looks) is a parameter of an [Action], and time is logical.
//
// # Glossary (proc.go's words)
//
// A G is a goroutine, an M a worker thread, a P the resource an M must hold
// to run Go code. Each P has a local run queue (a ring of Config.RunqSize
// slots plus the one-slot runnext); there is one global run queue. An M that
// has a P but no G runs findRunnable; an M out of local work may spin
// (look for work to steal); an M with nothing to do parks on the idle-M
// list and its P goes on the idle-P list.
//
// # State and steps
//
// [State] is a value. [Step] returns a new State and never mutates its
// input; [Enabled] lists the actions enabled in a State; [StepTrace] also
// returns the trace [spec.Event]s of the step. Every action's effect is one
// atomic step of the scheduler: the model's interleavings are those of the
// runtime at the granularity of its lock-protected or CAS-committed
// operations. The lock-free ring protocol below that granularity is the
// subject of impl/ and tla/RunQueue.tla.
//
// # What each action models
//
//	Schedule       schedule/findRunnable (proc.go:3389-3798): the %61 global
//	               check, runqget, the global batch, becoming spinning, and
//	               dropping the P (pidleput + stopm)
//	Steal          stealWork/runqsteal/runqgrab (proc.go:3828-3895, 7662-7747)
//	Spawn          newproc + runqput with the runnext kick and runqputslow
//	               (proc.go:5295-5308, 7478-7560) + wakep
//	Gosched        goschedImpl (proc.go:4307-4346)
//	Preempt        gopreempt_m at a safe point (stack.go:1151-1175)
//	Park, Ready    gopark / ready (proc.go:1120-1140), to runnext
//	EnterSyscall   reentersyscall (proc.go:4627-4716); the P stays wired [1.26]
//	ExitSyscall    exitsyscall, exitsyscallTryGetP, exitsyscallNoP (proc.go:4883-5116)
//	Call           the prologue check and newstack/copystack (stack.go:929-1222)
//	GC             shrinkstack of every stack at a GC (stack.go:1286-1335)
//	Goexit         goexit0
//	Gomaxprocs     stopTheWorld + procresize + startTheWorld (proc.go:6030-6251)
//	SysmonPreempt  retake's long-slice preemption, time abstracted (proc.go:6660-6671)
//	SysmonRetake   retake of a P from a syscall, time abstracted (proc.go:6693-6716)
//	SysmonTick     one iteration of sysmon with logical time (proc.go:6486-6725)
//	Advance        logical time passes
//
// # Two modes
//
// Untimed (the explorer's mode): time is abstract. A compute finishes in one
// step, a syscall may return at any step, and "this slice has run 10 ms" or
// "this syscall is 10 ms old" are choices: SysmonPreempt and SysmonRetake
// are enabled whenever their non-timing conditions hold, except that a G
// must have completed a statement in its slice before sysmon may find the
// slice old (G.Fresh; otherwise preempt-and-reschedule could repeat
// forever without progress, which 10 ms of real time rules out). Timed (the
// simulator's mode): Advance moves a logical clock, computes and syscalls
// take their durations, and SysmonTick applies retake's rules to the clock.
//
// # What is abstracted away
//
// Netpoll, timers, GC workers, locked Ms and the trace reader are not
// modelled (the workload language cannot create them). The G's local
// statements (set, ref, store, check, repeat, return from a callee) run in
// the same step as the scheduler-visible statement before them: no other
// thread can observe them in between. A GC is one atomic step: it stops the
// world as a GOMAXPROCS change does (every other running G is preempted
// into its own P's runnext, proc.go:4331-4334), shrinks stacks, and starts
// the world with procresize at the same count. A stop-the-world is one
// atomic step. Program exit (main returns) and fatal errors end the run.
package model
