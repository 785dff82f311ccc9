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
//   - stack.go: goroutine stacks as bytes, grown by copying into a doubled
//     stack with every pointer into the old stack moved by the same delta.
//   - atomic.go: the one small layer through which every shared-memory
//     access goes, so that a deterministic schedule controller can
//     interpose on each of them; it costs nothing in normal builds.
//
// Every function on shared state ends its documentation with who may call
// it ("Executed only by the owner P.", "Can be executed by any P.",
// "sched.lock must be held."), and every atomic operation says what it
// synchronizes with.
package impl
