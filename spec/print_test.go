package spec

import (
	"math"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

func TestPrint(t *testing.T) {
	p := &Program{Funcs: []*Func{
		{Name: "main", Body: []Stmt{
			{Op: OpSpawn, Func: "worker", N: 3},
			{Op: OpSpawn, Func: "worker"},
			{Op: OpCompute, Dur: 1500 * time.Nanosecond},
			{Op: OpSyscall, Dur: 90 * time.Minute},
			{Op: OpRepeat, N: 2, Body: []Stmt{
				{Op: OpRepeat, N: 0},
				{Op: OpGosched},
			}},
			{Op: OpPark, Key: "done", N: 1},
			{Op: OpPark, Key: "done", N: 2},
			{Op: OpGomaxprocs, N: 4},
			{Op: OpGC},
			{Op: OpExit},
		}},
		{Name: "worker", Frame: 64, Body: []Stmt{
			{Op: OpSet, Slot: 0, N: -42},
			{Op: OpRef, Slot: 1, Up: 1, To: 0},
			{Op: OpStore, Slot: 1, N: 7},
			{Op: OpCheck, Slot: 0, N: 42},
			{Op: OpCheck, Slot: 1, N: 7, Deref: true},
			{Op: OpCall, Func: "worker", N: 1},
			{Op: OpDescend, Func: "worker"},
			{Op: OpReady, Key: "done"},
			{Op: OpReturn},
		}},
	}}
	want := `func main {
    spawn worker 3
    spawn worker
    compute 1.5us
    syscall 1h30m0s
    repeat 2 {
        repeat 0 {
        }
        gosched
    }
    park done
    park done 2
    gomaxprocs 4
    gc
    exit
}

func worker frame 64 {
    set 0 -42
    ref 1 1:0
    store 1 7
    check 0 42
    check *1 7
    call worker 1
    descend worker
    ready done
    return
}
`
	if got := p.String(); got != want {
		t.Errorf("String:\n%s\nwant:\n%s", got, want)
	}
	checkRoundTrip(t, p)
	if got := (*Program)(nil).String(); got != "" {
		t.Errorf("nil Program prints %q", got)
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		1:                     "1ns",
		1500:                  "1.5us",
		time.Millisecond:      "1ms",
		2 * time.Second:       "2s",
		math.MaxInt64:         "2562047h47m16.854775807s",
		time.Microsecond + 10: "1.01us",
	} {
		got := FormatDuration(d)
		if got != want {
			t.Errorf("FormatDuration(%d) = %q, want %q", int64(d), got, want)
		}
		if back, err := time.ParseDuration(got); err != nil || back != d {
			t.Errorf("ParseDuration(%q) = %v, %v; want %d", got, back, err, int64(d))
		}
	}
}

// Generators of Programs that Compile accepts.

var genName = rapid.OneOf(
	rapid.StringMatching(`[A-Za-z_][A-Za-z0-9_.]{0,8}`),
	// Keywords are not reserved; names may look like them.
	rapid.SampledFrom([]string{"call", "func", "frame", "repeat", "check", "gc", "runtime.runFinalizers", "x.", "_"}),
)

var genDur = rapid.Custom(func(t *rapid.T) time.Duration {
	return time.Duration(rapid.OneOf(
		rapid.Int64Range(1, 1e9),
		rapid.Int64Range(1, math.MaxInt64),
		rapid.SampledFrom([]int64{1, 999, 1000, 1500, 1e6, 1e9, 60e9, 3600e9, math.MaxInt64}),
	).Draw(t, "ns"))
})

func genBody(t *rapid.T, funcs, keys []string, slots int64, depth int) []Stmt {
	ops := []Op{OpCompute, OpCall, OpDescend, OpReturn, OpSpawn, OpGosched, OpSyscall,
		OpPark, OpReady, OpGC, OpExit, OpGomaxprocs}
	if slots > 0 {
		ops = append(ops, OpSet, OpRef, OpStore, OpCheck)
	}
	if depth < 4 {
		ops = append(ops, OpRepeat)
	}
	n := rapid.IntRange(0, 6).Draw(t, "len")
	var body []Stmt
	for range n {
		s := Stmt{Op: rapid.SampledFrom(ops).Draw(t, "op")}
		slot := func() int { return rapid.IntRange(0, int(slots-1)).Draw(t, "slot") }
		switch s.Op {
		case OpCompute, OpSyscall:
			s.Dur = genDur.Draw(t, "dur")
		case OpCall, OpSpawn:
			s.Func = rapid.SampledFrom(funcs).Draw(t, "func")
			s.N = rapid.Int64Min(0).Draw(t, "n")
		case OpDescend:
			s.Func = rapid.SampledFrom(funcs).Draw(t, "func")
		case OpPark:
			s.Key = rapid.SampledFrom(keys).Draw(t, "key")
			s.N = rapid.Int64Min(1).Draw(t, "n")
		case OpReady:
			s.Key = rapid.SampledFrom(keys).Draw(t, "key")
		case OpGomaxprocs:
			s.N = rapid.Int64Range(1, MaxProcs).Draw(t, "n")
		case OpSet, OpStore:
			s.Slot = slot()
			s.N = rapid.Int64().Draw(t, "value")
		case OpRef:
			s.Slot = slot()
			s.Up = rapid.IntRange(0, 3).Draw(t, "up")
			if s.Up == 0 {
				s.To = slot()
			} else {
				s.To = rapid.IntRange(0, 1<<17).Draw(t, "to")
			}
		case OpCheck:
			s.Slot = slot()
			s.N = rapid.Int64().Draw(t, "value")
			s.Deref = rapid.Bool().Draw(t, "deref")
		case OpRepeat:
			s.N = rapid.Int64Min(0).Draw(t, "n")
			s.Body = genBody(t, funcs, keys, slots, depth+1)
		}
		body = append(body, s)
	}
	return body
}

var genProgram = rapid.Custom(func(t *rapid.T) *Program {
	others := rapid.SliceOfNDistinct(genName, 0, 4, rapid.ID[string]).
		Filter(func(ns []string) bool {
			for _, n := range ns {
				if n == "main" {
					return false
				}
			}
			return true
		}).Draw(t, "funcs")
	at := rapid.IntRange(0, len(others)).Draw(t, "main at")
	names := append(append(append([]string(nil), others[:at]...), "main"), others[at:]...)
	keys := rapid.SliceOfN(genName, 1, 3).Draw(t, "keys")
	p := &Program{}
	for _, name := range names {
		slots := rapid.OneOf(rapid.Int64Range(0, 8), rapid.Int64Range(0, 1<<17)).Draw(t, "slots")
		p.Funcs = append(p.Funcs, &Func{
			Name:  name,
			Frame: 8 * slots,
			Body:  genBody(t, names, keys, slots, 0),
		})
	}
	if _, err := Compile(p); err != nil {
		t.Fatalf("generator made a program Compile rejects: %v\n%s", err, p)
	}
	return p
})

func TestPrintParseRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		checkRoundTrip(t, genProgram.Draw(t, "program"))
	})
}

// TestPrintASCII checks that printed programs are ASCII when their names
// are (durations use "us", never "µs").
func TestPrintASCII(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		text := genProgram.Draw(t, "program").String()
		if i := strings.IndexFunc(text, func(r rune) bool { return r > 0x7f }); i >= 0 {
			t.Fatalf("non-ASCII at byte %d of\n%s", i, text)
		}
	})
}
