package impl

// Atomics
//
// Every access to memory that more than one thread (M, sysmon, a thief)
// touches without a lock goes through the small set of types in this
// file: the run queue's head and tail, runnext, the ring slots, the
// global queue's emptiness hint, and whatever flags and counters the
// scheduler shares. (RunQueueLab's held flags, lab bookkeeping, use
// sync/atomic directly, deliberately.)
// There are two reasons for the one layer.
//
//  1. Documentation. As in the runtime (HACKING.md, "Atomics"), whether an
//     access is atomic tells the reader whether something else touches the
//     variable concurrently, and each method's name says the memory-order
//     role it plays: LoadAcq ("load-acquire, synchronize with ..."),
//     StoreRel ("store-release, makes ... available"), CasRel
//     ("cas-release, commits ..."). Go's sync/atomic is sequentially
//     consistent, which is at least as strong as each of the runtime's
//     acquire/release operations, so the names are promises about what the
//     protocol needs, not about what the hardware does. Load, Store and
//     CompareAndSwap without a suffix are for the sites where the runtime
//     itself uses a plain sequentially consistent atomic (atomic.Load,
//     runnext's cas) or a plain read of a field only the reader writes.
//
//  2. Interposition. A deterministic schedule controller (a later test
//     harness) must be able to stop a thread before each shared-memory
//     operation and decide who goes next. Every method below first calls
//     yield(op, addr), naming the kind of operation and the variable. In
//     normal builds yield is an empty function (atomic_plain.go): it and
//     every wrapper here inline away, so a wrapper costs exactly the
//     sync/atomic operation it wraps. Checked with
//
//	go build -gcflags=-m ./impl 2>&1 | grep atomic.go
//
//     which reports "can inline (*atomicUint32).LoadAcq" and friends, and
//     "inlining call to (*atomicUint32).LoadAcq" at every use in runq.go;
//     BenchmarkRunqPutGet measures the result against a hand-written ring.
//     Under the build tag gmplabsched (atomic_controlled.go) yield calls
//     the hook a controller installs with setSchedHook.
//
//     Synchronization primitives are not shared variables and are not
//     interposed: a controller does not see the mutexes (sched.lock,
//     sysmonlock, allglock, gidTable.grow, the tracer's locks, e.mu), the
//     channels (mp.note, e.done, e.worldStarted), e.wg, e.doneOnce or
//     sync.Pool (stack.go's stackPools).
//
// Ring slots (gptrSlot) are the one shared location the runtime accesses
// with plain loads and stores: a slot is published to consumers by the
// owner's store-release of tail, and a consumer's (possibly stale,
// speculative) read of it is validated by its cas-release of head. In a
// normal build gptrSlot is a plain *g, like the runtime's guintptr. Under
// the race detector it is an atomic pointer instead (atomic_controlled.go
// is also built with -race), because the stale read that a failing head
// CAS later discards is a deliberate race (runqgrab, proc.go:7717-7722)
// that the race detector would report; see gptrSlot.

import (
	"sync/atomic"
	"unsafe"
)

// opKind names a shared-memory operation for the schedule controller's
// hook (yield). The suffix says the memory-order role, as the method names
// do.
type opKind uint8

const (
	opLoad      opKind = iota // sequentially consistent load (runtime: atomic.Load or a plain owner read)
	opLoadAcq                 // load-acquire
	opStore                   // sequentially consistent store
	opStoreRel                // store-release
	opCas                     // compare-and-swap (runtime: cas on runnext)
	opCasRel                  // cas-release
	opAdd                     // atomic add (runtime: atomic.Xadd)
	opSwap                    // atomic exchange
	opSlotLoad                // plain load of a ring slot
	opSlotStore               // plain store of a ring slot
	opBackoff                 // runqgrab's back-off before stealing runnext (usleep(3))
	numOpKinds
)

var opKindNames = [numOpKinds]string{
	opLoad:      "load",
	opLoadAcq:   "load-acquire",
	opStore:     "store",
	opStoreRel:  "store-release",
	opCas:       "cas",
	opCasRel:    "cas-release",
	opAdd:       "add",
	opSwap:      "swap",
	opSlotLoad:  "slot-load",
	opSlotStore: "slot-store",
	opBackoff:   "backoff",
}

func (k opKind) String() string {
	if k < numOpKinds {
		return opKindNames[k]
	}
	return "opKind(?)"
}

// isWrite reports whether an operation of kind k may change memory (a
// controller uses this to decide which operations conflict).
func (k opKind) isWrite() bool {
	switch k {
	case opStore, opStoreRel, opCas, opCasRel, opAdd, opSwap, opSlotStore:
		return true
	}
	return false
}

// atomicUint32 is a uint32 shared between threads.
type atomicUint32 struct {
	v atomic.Uint32
}

// Load is a sequentially consistent load (the runtime's atomic.Load, or a
// plain read by the variable's only writer).
func (a *atomicUint32) Load() uint32 {
	yield(opLoad, unsafe.Pointer(a))
	return a.v.Load()
}

// LoadAcq is a load-acquire: it synchronizes with the StoreRel or CasRel
// whose value it reads, so everything written before that store is
// visible after it.
func (a *atomicUint32) LoadAcq() uint32 {
	yield(opLoadAcq, unsafe.Pointer(a))
	return a.v.Load()
}

// Store is a sequentially consistent store.
func (a *atomicUint32) Store(v uint32) {
	yield(opStore, unsafe.Pointer(a))
	a.v.Store(v)
}

// StoreRel is a store-release: everything the thread wrote before it is
// visible to a thread whose LoadAcq reads v.
func (a *atomicUint32) StoreRel(v uint32) {
	yield(opStoreRel, unsafe.Pointer(a))
	a.v.Store(v)
}

// CompareAndSwap is a sequentially consistent compare-and-swap.
func (a *atomicUint32) CompareAndSwap(old, new uint32) bool {
	yield(opCas, unsafe.Pointer(a))
	return a.v.CompareAndSwap(old, new)
}

// CasRel is a cas-release: on success it commits what the thread read
// before it (a consumer's speculative slot reads) and publishes what it
// wrote before it.
func (a *atomicUint32) CasRel(old, new uint32) bool {
	yield(opCasRel, unsafe.Pointer(a))
	return a.v.CompareAndSwap(old, new)
}

// Add atomically adds delta (sequentially consistent read-modify-write)
// and returns the new value.
func (a *atomicUint32) Add(delta uint32) uint32 {
	yield(opAdd, unsafe.Pointer(a))
	return a.v.Add(delta)
}

// atomicInt32 is an int32 shared between threads (counters such as
// nmspinning, the global queue's size hint).
type atomicInt32 struct {
	v atomic.Int32
}

// Load is a sequentially consistent load.
func (a *atomicInt32) Load() int32 {
	yield(opLoad, unsafe.Pointer(a))
	return a.v.Load()
}

// LoadAcq is a load-acquire (see atomicUint32.LoadAcq).
func (a *atomicInt32) LoadAcq() int32 {
	yield(opLoadAcq, unsafe.Pointer(a))
	return a.v.Load()
}

// Store is a sequentially consistent store.
func (a *atomicInt32) Store(v int32) {
	yield(opStore, unsafe.Pointer(a))
	a.v.Store(v)
}

// StoreRel is a store-release (see atomicUint32.StoreRel).
func (a *atomicInt32) StoreRel(v int32) {
	yield(opStoreRel, unsafe.Pointer(a))
	a.v.Store(v)
}

// CompareAndSwap is a sequentially consistent compare-and-swap.
func (a *atomicInt32) CompareAndSwap(old, new int32) bool {
	yield(opCas, unsafe.Pointer(a))
	return a.v.CompareAndSwap(old, new)
}

// Add atomically adds delta (sequentially consistent read-modify-write)
// and returns the new value.
func (a *atomicInt32) Add(delta int32) int32 {
	yield(opAdd, unsafe.Pointer(a))
	return a.v.Add(delta)
}

// atomicInt64 is an int64 shared between threads (times, tick counts).
type atomicInt64 struct {
	v atomic.Int64
}

// Load is a sequentially consistent load.
func (a *atomicInt64) Load() int64 {
	yield(opLoad, unsafe.Pointer(a))
	return a.v.Load()
}

// Store is a sequentially consistent store.
func (a *atomicInt64) Store(v int64) {
	yield(opStore, unsafe.Pointer(a))
	a.v.Store(v)
}

// CompareAndSwap is a sequentially consistent compare-and-swap.
func (a *atomicInt64) CompareAndSwap(old, new int64) bool {
	yield(opCas, unsafe.Pointer(a))
	return a.v.CompareAndSwap(old, new)
}

// Add atomically adds delta (sequentially consistent read-modify-write)
// and returns the new value.
func (a *atomicInt64) Add(delta int64) int64 {
	yield(opAdd, unsafe.Pointer(a))
	return a.v.Add(delta)
}

// atomicBool is a bool shared between threads (flags such as a G's
// preempt request or sched.gcwaiting).
type atomicBool struct {
	v atomic.Bool
}

// Load is a sequentially consistent load.
func (a *atomicBool) Load() bool {
	yield(opLoad, unsafe.Pointer(a))
	return a.v.Load()
}

// Store is a sequentially consistent store.
func (a *atomicBool) Store(v bool) {
	yield(opStore, unsafe.Pointer(a))
	a.v.Store(v)
}

// CompareAndSwap is a sequentially consistent compare-and-swap.
func (a *atomicBool) CompareAndSwap(old, new bool) bool {
	yield(opCas, unsafe.Pointer(a))
	return a.v.CompareAndSwap(old, new)
}

// atomicGPtr is a *g shared between threads (a P's runnext).
type atomicGPtr struct {
	v atomic.Pointer[g]
}

// Load is a sequentially consistent load (the runtime reads runnext with a
// plain load and validates it with the CAS that follows).
func (a *atomicGPtr) Load() *g {
	yield(opLoad, unsafe.Pointer(a))
	return a.v.Load()
}

// Store is a sequentially consistent store. Only for state no other
// thread can be accessing (initialization, a stopped world): concurrent
// updates of a shared *g go through CompareAndSwap.
func (a *atomicGPtr) Store(gp *g) {
	yield(opStore, unsafe.Pointer(a))
	a.v.Store(gp)
}

// CompareAndSwap is a sequentially consistent compare-and-swap (the
// runtime's guintptr.cas).
func (a *atomicGPtr) CompareAndSwap(old, new *g) bool {
	yield(opCas, unsafe.Pointer(a))
	return a.v.CompareAndSwap(old, new)
}

// Swap atomically stores gp and returns the old value.
func (a *atomicGPtr) Swap(gp *g) *g {
	yield(opSwap, unsafe.Pointer(a))
	return a.v.Swap(gp)
}

// atomicPtr is a pointer shared between threads: the scheduler's wiring
// of Ps, Ms and Gs (pp.m, mp.p, mp.curg), which sysmon, a world stopper
// and an M leaving a syscall read while their owners change them.
type atomicPtr[T any] struct {
	v atomic.Pointer[T]
}

// Load is a sequentially consistent load; it synchronizes with the Store
// or CompareAndSwap whose value it reads.
func (a *atomicPtr[T]) Load() *T {
	yield(opLoad, unsafe.Pointer(a))
	return a.v.Load()
}

// Store is a sequentially consistent store; a thread whose Load reads x
// sees everything the storing thread wrote before it.
func (a *atomicPtr[T]) Store(x *T) {
	yield(opStore, unsafe.Pointer(a))
	a.v.Store(x)
}

// CompareAndSwap is a sequentially consistent compare-and-swap.
func (a *atomicPtr[T]) CompareAndSwap(old, new *T) bool {
	yield(opCas, unsafe.Pointer(a))
	return a.v.CompareAndSwap(old, new)
}
