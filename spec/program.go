package spec

import (
	"fmt"
	"time"
)

// Program is a workload: the functions that goroutines run. The goroutine
// g1 runs the function "main"; the run ends when main returns or exits,
// as a Go program ends when main.main returns.
//
// The text form (see [Parse] and [Program.String]):
//
//	# comments run to the end of the line
//	func main {
//	    spawn worker 3      # start a G running worker with argument n = 3
//	    compute 50us        # run on the CPU for 50 µs of logical time
//	    park done 3         # wait until key "done" has 3 permits, take them
//	}
//	func worker frame 64 {  # a frame of 64 bytes: word slots 0..7
//	    set 0 42            # slot 0 := 42
//	    call leaf           # call leaf (n = 0) with a stack check
//	    check 0 42          # the G fails if slot 0 != 42
//	    ready done          # add a permit to key "done"
//	}
//	func leaf frame 32 {
//	    ref 1 1:0           # slot 1 := address of slot 0 of the frame 1 up
//	    store 1 7           # *slot 1 := 7
//	    descend leaf        # if n > 0, call leaf with n-1
//	    repeat 2 { gosched }
//	    syscall 1ms
//	    gc
//	}
//
// See [Op] for every statement.
type Program struct {
	File  string  // the file name used in error positions ("" = "<input>")
	Funcs []*Func // in source order
}

// Func is one function of a Program.
type Func struct {
	Name  string
	Frame int64 // frame size in bytes, a multiple of 8; slots are 0..Frame/8-1
	Body  []Stmt
	Pos   Pos
}

// Pos is a position in a workload file, 1-based.
type Pos struct{ Line, Col int }

func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

// Op is a statement kind of the workload language. Its String is the
// statement's keyword.
type Op uint8

const (
	OpCompute    Op = iota + 1 // compute DUR: run on the CPU for DUR
	OpCall                     // call F [N]: call F with argument N (default 0)
	OpDescend                  // descend F: if this frame's n > 0, call F with n-1
	OpReturn                   // return: return from this function (implicit at the end)
	OpSpawn                    // spawn F [N]: start a new G running F with argument N
	OpGosched                  // gosched: yield (runtime.Gosched)
	OpSyscall                  // syscall DUR: block the M in a system call for DUR
	OpPark                     // park KEY [N]: wait until KEY has N permits (default 1), take them
	OpReady                    // ready KEY: add a permit to KEY, waking a waiter it satisfies
	OpGC                       // gc: run a garbage collection (stack shrinking)
	OpExit                     // exit: end this G (runtime.Goexit)
	OpGomaxprocs               // gomaxprocs N: change GOMAXPROCS under stop-the-world
	OpSet                      // set S V: slot S := V
	OpRef                      // ref S K:T: slot S := address of slot T in the frame K up (0 = this frame)
	OpStore                    // store S V: write V where the pointer in slot S points
	OpCheck                    // check S V / check *S V: fail the G unless slot S (or *slot S) = V
	OpRepeat                   // repeat N { ... }: run the block N times
	numOps
)

var opNames = [...]string{
	OpCompute: "compute", OpCall: "call", OpDescend: "descend", OpReturn: "return",
	OpSpawn: "spawn", OpGosched: "gosched", OpSyscall: "syscall", OpPark: "park",
	OpReady: "ready", OpGC: "gc", OpExit: "exit", OpGomaxprocs: "gomaxprocs",
	OpSet: "set", OpRef: "ref", OpStore: "store", OpCheck: "check", OpRepeat: "repeat",
}

func (o Op) String() string {
	if o > 0 && o < numOps {
		return opNames[o]
	}
	return fmt.Sprintf("Op(%d)", uint8(o))
}

// LookupOp returns the Op whose keyword is s.
func LookupOp(s string) (Op, bool) {
	for o := Op(1); o < numOps; o++ {
		if opNames[o] == s {
			return o, true
		}
	}
	return 0, false
}

// Stmt is one statement. Which fields are used depends on Op:
//
//	compute, syscall  Dur
//	call, spawn       Func, N
//	descend           Func
//	park              Key, N (>= 1)
//	ready             Key
//	gomaxprocs        N
//	set               Slot, N (the value)
//	ref               Slot, Up, To
//	store             Slot, N (the value)
//	check             Slot, N (the value), Deref
//	repeat            N, Body
type Stmt struct {
	Op    Op
	Pos   Pos
	Dur   time.Duration
	Func  string
	Key   string
	N     int64
	Slot  int
	Up    int
	To    int
	Deref bool
	Body  []Stmt
}

// Lookup returns the function called name, or nil.
func (p *Program) Lookup(name string) *Func {
	for _, f := range p.Funcs {
		if f.Name == name {
			return f
		}
	}
	return nil
}
