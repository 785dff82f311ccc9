package spec

import (
	"fmt"
	"sort"
	"time"
)

// OpEnd closes a repeat block in compiled code; it has no keyword.
const OpEnd Op = 100

// Code is a Program compiled for execution by the model and by impl: each
// function's body is a flat instruction list ending in an OpReturn, repeat
// blocks become OpRepeat/OpEnd pairs with jump targets, and function and key
// names become indices.
type Code struct {
	Prog  *Program
	Funcs []FuncCode
	Keys  []string // sorted
	Main  int      // index of "main" in Funcs
}

// FuncCode is one compiled function.
type FuncCode struct {
	Name   string
	Frame  int64 // bytes
	Slots  int   // Frame / 8
	Instrs []Instr
}

// Instr is one compiled instruction. Fields are as in Stmt, with Fn and Key
// as indices into Code.Funcs and Code.Keys. For OpRepeat, Jump is the index
// just past its OpEnd; for OpEnd, Jump is the index of its OpRepeat.
type Instr struct {
	Op    Op
	Pos   Pos
	Dur   time.Duration
	Fn    int
	Key   int
	N     int64
	Slot  int
	Up    int
	To    int
	Deref bool
	Jump  int
}

// IsLocal reports whether the instruction touches only the running G's own
// frames and control state (never a queue, a P, an M or another G). Such
// instructions are executed together with the scheduler-visible step before
// them, because no other thread can observe them in between.
func (in Instr) IsLocal() bool {
	switch in.Op {
	case OpSet, OpRef, OpStore, OpCheck, OpRepeat, OpEnd, OpReturn:
		return true
	}
	return false
}

// Error is an error at a position of a workload file.
type Error struct {
	File string
	Pos  Pos
	Msg  string
}

func (e *Error) Error() string {
	f := e.File
	if f == "" {
		f = "<input>"
	}
	return fmt.Sprintf("%s:%d:%d: %s", f, e.Pos.Line, e.Pos.Col, e.Msg)
}

// Compile checks p and compiles it. Errors name the file, line and column:
// a missing main, a function defined twice, a call of an unknown function,
// a slot outside its frame, or a count out of range.
func Compile(p *Program) (*Code, error) {
	c := &Code{Prog: p, Main: -1}
	index := map[string]int{}
	errAt := func(pos Pos, format string, args ...any) error {
		return &Error{File: p.File, Pos: pos, Msg: fmt.Sprintf(format, args...)}
	}
	for i, f := range p.Funcs {
		if j, dup := index[f.Name]; dup {
			return nil, errAt(f.Pos, "function %s defined twice (first at %s)", f.Name, p.Funcs[j].Pos)
		}
		if f.Frame < 0 || f.Frame%8 != 0 || f.Frame > 1<<20 {
			return nil, errAt(f.Pos, "frame of %s is %d bytes: want a multiple of 8 in [0, 1048576]", f.Name, f.Frame)
		}
		index[f.Name] = i
	}
	m, ok := index["main"]
	if !ok {
		return nil, errAt(Pos{1, 1}, "no function main (g1 runs main)")
	}
	c.Main = m
	keys := map[string]bool{}
	var collectKeys func([]Stmt)
	collectKeys = func(ss []Stmt) {
		for _, s := range ss {
			if s.Op == OpPark || s.Op == OpReady {
				keys[s.Key] = true
			}
			collectKeys(s.Body)
		}
	}
	for _, f := range p.Funcs {
		collectKeys(f.Body)
	}
	for k := range keys {
		c.Keys = append(c.Keys, k)
	}
	sort.Strings(c.Keys)
	keyIndex := map[string]int{}
	for i, k := range c.Keys {
		keyIndex[k] = i
	}

	for _, f := range p.Funcs {
		fc := FuncCode{Name: f.Name, Frame: f.Frame, Slots: int(f.Frame / 8)}
		var emit func([]Stmt) error
		emit = func(ss []Stmt) error {
			for _, s := range ss {
				in := Instr{Op: s.Op, Pos: s.Pos, Dur: s.Dur, N: s.N, Slot: s.Slot, Up: s.Up, To: s.To, Deref: s.Deref, Fn: -1, Key: -1}
				switch s.Op {
				case OpCompute, OpSyscall:
					if s.Dur <= 0 {
						return errAt(s.Pos, "%s needs a positive duration, got %v", s.Op, s.Dur)
					}
				case OpCall, OpSpawn, OpDescend:
					j, ok := index[s.Func]
					if !ok {
						return errAt(s.Pos, "%s of unknown function %q", s.Op, s.Func)
					}
					in.Fn = j
					if s.N < 0 {
						return errAt(s.Pos, "%s argument must be >= 0, got %d", s.Op, s.N)
					}
				case OpPark:
					if s.N < 1 {
						return errAt(s.Pos, "park needs a count >= 1, got %d", s.N)
					}
					in.Key = keyIndex[s.Key]
				case OpReady:
					in.Key = keyIndex[s.Key]
				case OpGomaxprocs:
					if s.N < 1 || s.N > MaxProcs {
						return errAt(s.Pos, "gomaxprocs must be in [1, %d], got %d", MaxProcs, s.N)
					}
				case OpSet, OpStore, OpCheck, OpRef:
					if fc.Slots == 0 {
						return errAt(s.Pos, "%s has no frame slots (declare one: func %s frame BYTES)", f.Name, f.Name)
					}
					if s.Slot < 0 || s.Slot >= fc.Slots {
						return errAt(s.Pos, "slot %d is outside the frame of %s (%d bytes: slots 0..%d)", s.Slot, f.Name, f.Frame, fc.Slots-1)
					}
					if s.Op == OpRef {
						if s.Up < 0 {
							return errAt(s.Pos, "ref frame level must be >= 0, got %d", s.Up)
						}
						if s.Up == 0 && (s.To < 0 || s.To >= fc.Slots) {
							return errAt(s.Pos, "ref target slot %d is outside the frame of %s (slots 0..%d)", s.To, f.Name, fc.Slots-1)
						}
						if s.To < 0 {
							return errAt(s.Pos, "ref target slot must be >= 0, got %d", s.To)
						}
					}
				case OpRepeat:
					if s.N < 0 {
						return errAt(s.Pos, "repeat count must be >= 0, got %d", s.N)
					}
					begin := len(fc.Instrs)
					fc.Instrs = append(fc.Instrs, in)
					if err := emit(s.Body); err != nil {
						return err
					}
					fc.Instrs = append(fc.Instrs, Instr{Op: OpEnd, Pos: s.Pos, Jump: begin, Fn: -1, Key: -1})
					fc.Instrs[begin].Jump = len(fc.Instrs)
					continue
				case OpReturn, OpGosched, OpGC, OpExit:
				default:
					return errAt(s.Pos, "unknown statement %v", s.Op)
				}
				fc.Instrs = append(fc.Instrs, in)
			}
			return nil
		}
		if err := emit(f.Body); err != nil {
			return nil, err
		}
		fc.Instrs = append(fc.Instrs, Instr{Op: OpReturn, Pos: f.Pos, Fn: -1, Key: -1})
		c.Funcs = append(c.Funcs, fc)
	}
	return c, nil
}

// FuncIndex returns the index of the function called name, or -1.
func (c *Code) FuncIndex(name string) int {
	for i, f := range c.Funcs {
		if f.Name == name {
			return i
		}
	}
	return -1
}
