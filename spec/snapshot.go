package spec

// Snapshot is the abstract scheduler state that the model and impl both
// project onto. Two forms agree when their Snapshots are equal (go-cmp).
// Slices are in a canonical order: Ps by ID, Ms by ID, Gs by ID (dead Gs
// included, so that "no G lost" can be checked), queues in queue order.
// Time and statistics are not part of a Snapshot.
type Snapshot struct {
	Procs        int   // GOMAXPROCS
	Global       []GID // the global run queue, head first
	IdleP        []PID // sched.pidle, most recently idled first (LIFO)
	IdleM        []MID // sched.midle, most recently parked first
	NMSpinning   int   // sched.nmspinning
	NeedSpinning bool  // sched.needspinning
	Ps           []PState
	Ms           []MState
	Gs           []GState
	Keys         []KeyState // park/ready keys, sorted by name; keys never used may be omitted
	StackMin     int64      // the Config's stack bounds, for the stack invariants
	StackMax     int64
	RunqSize     int // the Config's ring capacity, for the bound invariant
}

// PState is one P. Ps removed by a GOMAXPROCS decrease stay, with Status PDead.
type PState struct {
	ID          PID
	Status      PStatus
	M           MID   // the owning M, or NoM
	Runnext     GID   // or NoG
	Runq        []GID // the ring [head, tail), oldest first
	Schedtick   uint32
	Syscalltick uint32
}

// MState is one M.
type MState struct {
	ID       MID
	P        PID // the P it holds, or NoP
	Curg     GID // the G it runs (or whose syscall it is blocked in), or NoG
	Spinning bool
	OldP     PID // the P it held when its G entered a syscall, or NoP
}

// GState is one G.
type GState struct {
	ID      GID
	Status  GStatus
	M       MID    // the M running it (running or syscall), or NoM
	Func    string // the function it started in
	Preempt bool   // a preemption request is pending
	WaitKey string // the key it is parked on (GWaiting), or ""
	Stack   Stack  // zero for dead Gs
}

// KeyState is a park/ready key.
type KeyState struct {
	Key     string
	Permits int64
	Waiters []GID // parked Gs in the order they parked
}

// Stack is a G's stack as the two forms must agree on it. Addresses are
// virtual, laid out by StackRegion; the stack grows down from Hi and
// Frames[0] is the outermost frame, directly below Hi.
type Stack struct {
	Lo, Hi uint64
	SP     uint64 // Hi minus the sum of the frame sizes
	Frames []Frame
}

// Size is Hi - Lo.
func (s Stack) Size() int64 { return int64(s.Hi - s.Lo) }

// Frame is one activation record.
type Frame struct {
	Func  string
	Size  int64
	Slots []Word // Size/8 words
}

// Word is one 8-byte stack slot: a plain value, or a pointer into the
// stack. Target is a ghost: the slot the pointer was made to point at (by
// the ref statement); the invariant [StackPointersValid] checks that Val
// still is that slot's address.
type Word struct {
	Ptr    bool
	Val    uint64 // the value (two's complement) or, for a pointer, the address
	Target Ref
}

// Ref names a slot: frame index (0 = outermost) and slot index.
type Ref struct{ Frame, Slot int }

// Stack address layout. Each G owns a 2^40-byte range of the virtual
// address space; each stack it ever has (generation 0, 1, ...) sits in one
// of 256 windows of 2^31 bytes inside it, so a copied stack never overlaps
// the stack it was copied from, and a pointer left unadjusted by a copy
// points outside the new stack.
const (
	stackGWindow   = 40
	stackGenWindow = 31
)

// StackRegion returns the bounds of generation gen of g's stack of the
// given size: [hi-size, hi).
func StackRegion(g GID, gen uint32, size int64) (lo, hi uint64) {
	hi = uint64(g)<<stackGWindow + uint64(gen%256)<<stackGenWindow + 1<<stackGenWindow
	return hi - uint64(size), hi
}

// SlotAddr returns the address of slot s of frame f in st.
func (st Stack) SlotAddr(f, s int) uint64 {
	top := st.Hi
	for i := 0; i <= f && i < len(st.Frames); i++ {
		top -= uint64(st.Frames[i].Size)
	}
	return top + uint64(8*s)
}
