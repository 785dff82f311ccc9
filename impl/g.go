package impl

import (
	"runtime"
	"time"

	"github.com/gmplab/gmplab/spec"
)

// g is a goroutine of the implementation: its status, where it runs, and
// its whole execution state (the frames on its stack hold the program
// counters), so that any M can resume it. The M holds nothing of it.
type g struct {
	// id and fn (the function it started in, an index into
	// spec.Code.Funcs) are written by newG on the M that creates or
	// recycles the struct, before the G is published. Another thread
	// reads them only while the struct cannot be recycled: holding the
	// G's scan bit; as the world stopper, under sched.lock with
	// gcwaiting set (see stopTheWorld); under sched.lock while the G
	// waits on a key; or inside an action with tracing on.
	id spec.GID
	fn int

	// allgIndex is its index in Sched.allg, fixed for the struct's life.
	allgIndex int32

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

// gScan is the scan bit of a status (the runtime's _Gscan): held on a G
// in a syscall by sysmon, a world stopper or another M taking the G's P
// (setBlockOnExitSyscall), it keeps the G from leaving the syscall.
const gScan uint32 = 0x1000

// getStatus returns gp's status without the scan bit (load-acquire,
// synchronizes with the setStatus or CAS whose value it reads).
// Can be executed by any M.
func (gp *g) getStatus() spec.GStatus { return spec.GStatus(gp.status.LoadAcq() &^ gScan) }

// setBlockOnExitSyscall takes gp's scan bit if gp is in a syscall
// (_Gsyscall -> _Gsyscall|_Gscan) and reports whether it did. While the
// bit is held gp's M spins in exitSyscall's CAS, so the holder may take
// or inspect gp's M's P; it must call resumeSyscall.
//
// Reference: proc.go:6750-6794 setBlockOnExitSyscall.
// Can be executed by sysmon, a world stopper or an M in exitsyscall.
func (gp *g) setBlockOnExitSyscall() bool {
	return gp.status.CompareAndSwap(uint32(spec.GSyscall), uint32(spec.GSyscall)|gScan) // cas, synchronizes with the M's store-release of _Gsyscall
}

// resumeSyscall drops the scan bit taken by setBlockOnExitSyscall.
// Executed only by the holder of gp's scan bit.
func (gp *g) resumeSyscall() {
	gp.status.StoreRel(uint32(spec.GSyscall)) // store-release, publishes the P taken under the bit to gp's M
}

// casFromSyscall is exitsyscall's optimistic CAS _Gsyscall -> _Grunning,
// spinning (yielding the processor) while another thread holds the scan
// bit.
//
// Reference: proc.go:4883-4900 exitsyscall, casgstatus.
// Executed only by gp's M.
func (gp *g) casFromSyscall() {
	for !gp.status.CompareAndSwap(uint32(spec.GSyscall), uint32(spec.GRunning)) { // cas, synchronizes with resumeSyscall
		runtime.Gosched()
	}
}

// setStatus publishes a new status (store-release: everything the caller
// wrote to gp before is visible to whoever loads the status).
// Executed only by gp's owner: newG's M, the M running gp or that took it
// from a queue, the readier with the key's lock held, or a world stopper
// while gp's M is stopped (or before the run starts).
func (gp *g) setStatus(s spec.GStatus) { gp.status.StoreRel(uint32(s)) }
