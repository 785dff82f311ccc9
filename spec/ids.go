package spec

import (
	"fmt"
	"strconv"
)

// GID identifies a goroutine. IDs start at 1 (the main goroutine of a
// workload is g1, as in the runtime); [NoG] means "no G".
type GID int32

// PID identifies a P. IDs are 0..Procs-1, as allp indices in the runtime;
// [NoP] means "no P".
type PID int32

// MID identifies an M (a worker thread). m0 is the thread that starts the
// workload; [NoM] means "no M".
type MID int32

const (
	NoG GID = 0
	NoP PID = -1
	NoM MID = -1
)

func (g GID) String() string {
	if g == NoG {
		return "-"
	}
	return "g" + strconv.Itoa(int(g))
}

func (p PID) String() string {
	if p == NoP {
		return "-"
	}
	return "p" + strconv.Itoa(int(p))
}

func (m MID) String() string {
	if m == NoM {
		return "-"
	}
	return "m" + strconv.Itoa(int(m))
}

// GStatus is a goroutine's status. The subset of runtime2.go's _G* states that
// the scheduler's queues and stacks distinguish; each comment states where a
// G in that status lives and who owns its stack (runtime2.go:17-119).
type GStatus uint8

const (
	// GDead: exited (or never started). On no queue; no stack.
	GDead GStatus = iota
	// GRunnable: on exactly one run queue (a P's runnext, a P's ring, or the
	// global queue). Stack not owned.
	GRunnable
	// GRunning: executing on an M that holds a P. Owns its stack. On no queue.
	GRunning
	// GSyscall: in a system call on an M; the M may or may not still hold a P
	// (go1.26 keeps the P wired until sysmon retakes it). Owns its stack.
	GSyscall
	// GWaiting: parked on a key. On no run queue; stack not owned.
	GWaiting
)

var gstatusNames = [...]string{"dead", "runnable", "running", "syscall", "waiting"}

func (s GStatus) String() string {
	if int(s) < len(gstatusNames) {
		return gstatusNames[s]
	}
	return fmt.Sprintf("GStatus(%d)", uint8(s))
}

// PStatus is a P's status (runtime2.go:120-160; go1.26 has no _Psyscall).
type PStatus uint8

const (
	// PIdle: on the idle list; empty local queue; no M.
	PIdle PStatus = iota
	// PRunning: owned by an M (running a G, scheduling, spinning, or wired to
	// an M whose G is in a syscall).
	PRunning
	// PDead: removed by a GOMAXPROCS decrease.
	PDead
)

var pstatusNames = [...]string{"idle", "running", "dead"}

func (s PStatus) String() string {
	if int(s) < len(pstatusNames) {
		return pstatusNames[s]
	}
	return fmt.Sprintf("PStatus(%d)", uint8(s))
}
