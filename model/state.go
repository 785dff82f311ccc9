package model

import (
	"fmt"
	"time"

	"github.com/gmplab/gmplab/spec"
)

// Env is what stays fixed during a run: the policy, the compiled workload,
// the mode and the mutations. It is shared by every State of a run and is
// never modified.
type Env struct {
	Cfg     spec.Config
	Code    *spec.Code
	Timed   bool
	Mutants Mutants
}

// State is the whole scheduler state. It is a value: Step builds a new
// State and never mutates the one it is given (inner slices are shared
// between States and are never written in place).
type State struct {
	Env *Env

	Now          time.Duration // logical time (timed mode only; 0 in untimed mode)
	Procs        int           // GOMAXPROCS
	Global       []spec.GID    // the global run queue, head first
	IdleP        []spec.PID    // sched.pidle as a stack: the last element is the top
	IdleM        []spec.MID    // sched.midle as a stack: the last element is the top
	NMSpinning   int           // sched.nmspinning
	NeedSpinning bool          // sched.needspinning
	Ps           []P           // allp, indexed by PID; destroyed Ps stay as PDead
	Ms           []M           // indexed by MID; Ms are never freed
	Gs           []G           // indexed by GID-1; dead Gs stay
	Keys         []Key         // indexed like Env.Code.Keys
	Sysmon       Sysmon

	// Fatal is set when the run ended in a fatal error (a stack overflow, a
	// failed check, a bad pointer): the message, and the G it happened on.
	Fatal       string
	FatalG      spec.GID
	FatalReason string // stack-overflow, check-failed, bad-pointer or bad-ref
	// Exited is set when main returned: the run ended normally.
	Exited bool
}

// P is a processor. Only the M that holds it (P.M) changes its queues,
// except that thieves take from Runq and Runnext.
type P struct {
	Status      spec.PStatus
	M           spec.MID   // the M that holds it, or NoM
	Runnext     spec.GID   // "run me next": not part of Runq
	Runq        []spec.GID // the ring [head, tail), oldest first
	Schedtick   uint32     // incremented by every execute that starts a new slice
	Syscalltick uint32     // incremented by exitsyscall and by a retake

	// sysmon's record of this P (p.sysmontick, proc.go:6619-6624); timed mode.
	SeenSchedtick   uint32
	SchedWhen       time.Duration
	SeenSyscalltick uint32
	SyscallWhen     time.Duration
}

// M is a worker thread.
type M struct {
	P        spec.PID // the P it holds, or NoP
	Curg     spec.GID // the G it runs or whose syscall blocks it, or NoG
	Spinning bool     // out of work and looking for some to steal
	OldP     spec.PID // the P it held when its G entered a syscall
}

// G is a goroutine: its status, where it runs, and its whole execution
// state (frames with program counters), so that any M can resume it.
type G struct {
	Status  spec.GStatus
	M       spec.MID
	Fn      int  // the function it started in (index into Env.Code.Funcs)
	Preempt bool // a preemption request is pending (gp.preempt)
	// Fresh is set when the G starts running and cleared when it completes
	// a statement. Untimed, sysmon may only find a slice old if the G has
	// done something in it: otherwise a G could be preempted and
	// rescheduled forever without running, an artefact of abstract time
	// (a real slice must last 10 ms before sysmon preempts it).
	Fresh   bool
	WaitKey int           // the key it is parked on, or -1
	WaitN   int64         // the permits it waits for
	Left    time.Duration // what remains of the current compute or syscall
	Stack   Stack
}

// Stack is a G's stack: its virtual address range (see spec.StackRegion)
// and its frames. SP is derived: Hi minus the frame sizes.
//
// The frames form a persistent linked list from the innermost frame (Top)
// to the outermost: a call, a return or a change to the innermost frame
// costs O(1) however deep the stack is, and States share the frames they
// did not change. Nodes are never modified once built.
type Stack struct {
	Gen    uint32 // incremented by every copy
	Lo, Hi uint64
	Top    *FrameNode // the innermost frame; nil for a dead G
}

// FrameNode is one frame in a Stack's list.
type FrameNode struct {
	Frame
	Up    *FrameNode // the caller's frame, or nil for the outermost
	Depth int        // 1 for the outermost frame
	Used  int64      // bytes of this frame and every frame above it
}

// Frame is one activation: the function, where it is, its argument n, the
// counters of the repeat blocks it is inside, and its words. Slots is nil
// until the frame's first write (all words zero), so that deep recursion
// through frames that store nothing stays cheap.
type Frame struct {
	Fn    int
	PC    int
	N     int64
	Loops []int64
	Slots []spec.Word
}

// Slot returns word i of the frame.
func (f *Frame) Slot(i int) spec.Word {
	if f.Slots == nil {
		return spec.Word{}
	}
	return f.Slots[i]
}

// Depth is the number of frames.
func (st *Stack) Depth() int {
	if st.Top == nil {
		return 0
	}
	return st.Top.Depth
}

// Node returns the frame at index i, counted from the outermost (0).
func (st *Stack) Node(i int) *FrameNode {
	n := st.Top
	for n != nil && n.Depth-1 > i {
		n = n.Up
	}
	if n == nil || n.Depth-1 != i {
		return nil
	}
	return n
}

// Frames lists the frames, outermost first.
func (st *Stack) Frames() []*FrameNode {
	out := make([]*FrameNode, st.Depth())
	for n := st.Top; n != nil; n = n.Up {
		out[n.Depth-1] = n
	}
	return out
}

// Key is a park/ready key: a count of permits and the Gs waiting for them.
type Key struct {
	Permits int64
	Waiters []spec.GID
}

// Sysmon is sysmon's own state (timed mode).
type Sysmon struct {
	Next  time.Duration // when it next wakes
	Delay time.Duration // its current sleep
	Idle  int           // consecutive rounds without a retake
}

// Boot describes the state at main.main's entry that a workload does not
// say: the runtime's own goroutines and P0's schedtick (brief 10.1).
type Boot struct {
	// Schedtick is P0's schedtick when main starts running.
	Schedtick uint32
	// Ring lists functions whose Gs sit in P0's ring, oldest first, created
	// before main (e.g. the runtime's updateMaxProcsGoroutine).
	Ring []string
	// Runnext is a function whose G sits in P0's runnext (e.g.
	// runtime.runFinalizers), or "".
	Runnext string
}

// Init returns the state in which g1 starts running main on m0 and p0, the
// other Ps idle. Gs for boot.Ring and boot.Runnext get IDs after g1. The
// workload must compile and cfg must be valid.
func Init(env *Env, boot Boot) (State, error) {
	if env == nil || env.Code == nil {
		return State{}, fmt.Errorf("model.Init: no workload")
	}
	if err := env.Cfg.Validate(); err != nil {
		return State{}, err
	}
	cfg := env.Cfg
	s := State{Env: env, Procs: cfg.Procs, Keys: make([]Key, len(env.Code.Keys))}
	s.Ps = make([]P, cfg.Procs)
	for i := range s.Ps {
		s.Ps[i].M = spec.NoM
		s.Ps[i].Status = spec.PIdle
	}
	// runtime.procresize at start-up puts Ps n-1..1 on the idle list in
	// increasing order, so the top of the stack is the highest ID.
	for i := 1; i < cfg.Procs; i++ {
		s.IdleP = append(s.IdleP, spec.PID(i))
	}
	s.Ps[0].Status = spec.PRunning
	s.Ps[0].M = 0
	s.Ps[0].Schedtick = boot.Schedtick
	s.Ms = []M{{P: 0, Curg: 1, OldP: spec.NoP}}
	for _, name := range append(append([]string{env.Code.Funcs[env.Code.Main].Name}, boot.Ring...), boot.Runnext) {
		if fn := env.Code.FuncIndex(name); fn >= 0 {
			if _, ok := cfg.InitialStack(env.Code.Funcs[fn].Frame); !ok {
				return State{}, fmt.Errorf("model.Init: %s", cfg.FirstFrameOverflow(name, env.Code.Funcs[fn].Frame))
			}
		}
	}
	x := newStepper(s)
	main := x.newG(env.Code.Main, 0)
	x.gw(main).Status = spec.GRunning
	x.gw(main).M = 0
	if len(boot.Ring) > cfg.RunqSize {
		return State{}, fmt.Errorf("model.Init: %d boot Gs do not fit a ring of %d", len(boot.Ring), cfg.RunqSize)
	}
	for _, name := range boot.Ring {
		fn := env.Code.FuncIndex(name)
		if fn < 0 {
			return State{}, fmt.Errorf("model.Init: boot function %q is not in the workload", name)
		}
		g := x.newG(fn, 0)
		x.pw(0).Runq = append(x.s.Ps[0].Runq, g)
	}
	if boot.Runnext != "" {
		fn := env.Code.FuncIndex(boot.Runnext)
		if fn < 0 {
			return State{}, fmt.Errorf("model.Init: boot function %q is not in the workload", boot.Runnext)
		}
		x.pw(0).Runnext = x.newG(fn, 0)
	}
	if env.Timed {
		x.s.Sysmon = Sysmon{Next: cfg.SysmonMinDelay, Delay: cfg.SysmonMinDelay}
	}
	x.normalize(main)
	return x.s, nil
}

// Cfg returns the run's policy.
func (s *State) Cfg() *spec.Config { return &s.Env.Cfg }

// SP returns the stack pointer of st: Hi minus the frame sizes.
func (st *Stack) SP() uint64 {
	return st.Hi - uint64(st.used())
}

func (st *Stack) used() int64 {
	if st.Top == nil {
		return 0
	}
	return st.Top.Used
}

// pushFrame returns a node for frame f called from up.
func pushFrame(up *FrameNode, f Frame, code *spec.Code) *FrameNode {
	n := &FrameNode{Frame: f, Up: up, Depth: 1, Used: code.Funcs[f.Fn].Frame}
	if up != nil {
		n.Depth = up.Depth + 1
		n.Used += up.Used
	}
	return n
}

// Size is Hi - Lo.
func (st *Stack) Size() int64 { return int64(st.Hi - st.Lo) }

// NPIdle is sched.npidle.
func (s *State) NPIdle() int { return len(s.IdleP) }

// Ended reports whether the run is over: main returned or a fatal error.
func (s *State) Ended() bool { return s.Exited || s.Fatal != "" }

// Deadlocked reports whether every live G is parked (checkdead's "all
// goroutines are asleep"): nothing can ever run again.
func (s *State) Deadlocked() bool {
	if s.Ended() || len(s.Global) > 0 {
		return false
	}
	// Fast path, O(Ps + Ms): a runnable G sits on a run queue, and a
	// running G or a G in a syscall is an M's curg (spec.GInOnePlace).
	for i := range s.Ms {
		if s.Ms[i].Curg != spec.NoG {
			return false
		}
	}
	for i := range s.Ps {
		if !s.Ps[i].localEmpty() {
			return false
		}
	}
	// Nothing visible. Check every G, so that a G that a broken scheduler
	// lost (runnable, on no queue) is not mistaken for a deadlock.
	for i := range s.Gs {
		switch s.Gs[i].Status {
		case spec.GRunnable, spec.GRunning, spec.GSyscall:
			return false
		}
	}
	return true
}
