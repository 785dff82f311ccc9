package impl

import (
	"time"

	"github.com/gmplab/gmplab/spec"
)

// g is a goroutine of the implementation: its status, where it runs, and
// its whole execution state (the frames on its stack hold the program
// counters), so that any M can resume it. The M holds nothing of it.
type g struct {
	id spec.GID
	fn int // the function it started in (index into spec.Code.Funcs)

	// status is a spec.GStatus. The transitions and who makes them:
	// runnable -> running by the M that executes it (after taking it from a
	// queue, which made that M its only owner); running -> runnable,
	// waiting, syscall or dead by the M running it; waiting -> runnable by
	// the readier, with the key's lock held; syscall -> running by its own
	// M. Load-acquire / store-release: a status read by another thread
	// (sysmon, a snapshot) sees the fields written before the store.
	status atomicUint32

	// m is the M running it (running or in a syscall), or nil. Written by
	// that M; read by sysmon only through the P's M.
	m *m

	// preempt is a pending preemption request (gp.preempt): set by sysmon
	// or the stop-the-world, cleared by execute, read by the G's M at safe
	// points.
	preempt atomicBool

	// fresh is set by execute and cleared when the G completes a statement
	// (see model's G.Fresh). Owner: the M running it.
	fresh bool

	// waitKey and waitN: the key it is parked on and the permits it waits
	// for; -1 and 0 when not waiting. Guarded by the key's lock.
	waitKey int
	waitN   int64

	// left is what remains of its current compute or syscall. Owner: the
	// M running it.
	left time.Duration

	// schedlink links g into a gQueue (the global run queue, a spill
	// batch). Written and read only with sched.lock held, or by the one
	// thread that owns a batch it has not yet published.
	schedlink *g

	// stack is g's own stack (stack.go). Only the M running g, or the
	// world-stopping GC, touches it.
	stack stack
}

func (gp *g) getStatus() spec.GStatus { return spec.GStatus(gp.status.LoadAcq()) }

// setStatus publishes a new status (store-release: everything the caller
// wrote to gp before is visible to whoever loads the status).
func (gp *g) setStatus(s spec.GStatus) { gp.status.StoreRel(uint32(s)) }
