package spec

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// progCmp compares Programs ignoring positions and the file name.
var progCmp = []cmp.Option{
	cmpopts.IgnoreFields(Program{}, "File"),
	cmpopts.IgnoreFields(Func{}, "Pos"),
	cmpopts.IgnoreFields(Stmt{}, "Pos"),
	cmpopts.EquateEmpty(),
}

const stmtList = "a statement (compute, call, descend, return, spawn, gosched, syscall, park, ready, gc, exit, gomaxprocs, set, ref, store, check, repeat)"

func TestParseErrors(t *testing.T) {
	const f = "func f {\n}\n"
	nested := func(n int) string {
		return "func main {" + strings.Repeat(" repeat 1 {", n) + strings.Repeat("}", n) + "}\n"
	}
	tests := []struct {
		name, src, want string
	}{
		{"duration without unit", "func main {\n    compute 50\n}\n",
			`w.gmp:2:13: expected a duration such as 50us or 2ms, found "50"`},
		{"missing duration", "func main {\n    compute\n}\n",
			`w.gmp:2:12: expected a duration such as 50us or 2ms, found end of line`},
		{"zero duration", "func main {\n    compute 0s\n}\n",
			`w.gmp:2:13: expected a positive duration, found "0s"`},
		{"negative duration", "func main {\n    syscall -5ms\n}\n",
			`w.gmp:2:13: expected a positive duration, found "-5ms"`},
		{"overflowing duration", "func main {\n    compute 9999999999h\n}\n",
			`w.gmp:2:13: expected a duration such as 50us or 2ms, found "9999999999h"`},
		{"unknown statement", "func main {\n    frobnicate\n}\n",
			`w.gmp:2:5: expected ` + stmtList + `, found "frobnicate"`},
		{"brace as statement", "func main {\n    { gosched }\n}\n",
			`w.gmp:2:5: expected ` + stmtList + `, found "{"`},
		{"call without name", "func main {\n    call\n}\n",
			`w.gmp:2:9: expected a function name, found end of line`},
		{"name starting with digit", "func main {\n    call 9lives\n}\n",
			`w.gmp:2:10: expected a function name, found "9lives"`},
		{"non-integer argument", "func main {\n    call f x\n}\n" + f,
			`w.gmp:2:12: expected an integer argument or end of line, found "x"`},
		{"extra argument", "func main {\n    call f 1 2\n}\n" + f,
			`w.gmp:2:14: expected end of line, found "2"`},
		{"extra word after exit", "func main {\n    compute 5ms\n    exit extra\n}\n",
			`w.gmp:3:10: expected end of line, found "extra"`},
		{"unknown function", "func main {\n    call nosuch\n}\n",
			`w.gmp:2:5: call of unknown function "nosuch"`},
		{"unknown function in spawn", "func main {\n    repeat 2 {\n        spawn w.x 3\n    }\n}\n",
			`w.gmp:3:9: spawn of unknown function "w.x"`},
		{"descend without name", "func main {\n    descend\n}\n",
			`w.gmp:2:12: expected a function name, found end of line`},
		{"no main", f,
			`w.gmp:1:1: no function main (g1 runs main)`},
		{"empty file", "",
			`w.gmp:1:1: no function main (g1 runs main)`},
		{"only comments", "# nothing\n\n   # here\n",
			`w.gmp:1:1: no function main (g1 runs main)`},
		{"missing func", "main {\n}\n",
			`w.gmp:1:1: expected "func", found "main"`},
		{"stray brace", "\n}\n",
			`w.gmp:2:1: expected "func", found "}"`},
		{"func without name", "func {\n}\n",
			`w.gmp:1:6: expected a function name, found "{"`},
		{"non-ASCII name", "func mäin {\n}\n",
			`w.gmp:1:6: expected a function name, found "mäin"`},
		{"name with a dot first", "func .x {\n}\n",
			`w.gmp:1:6: expected a function name, found ".x"`},
		{"frame without keyword", "func main 64 {\n}\n",
			`w.gmp:1:11: expected "frame" or "{", found "64"`},
		{"frame without size", "func main frame {\n}\n",
			`w.gmp:1:17: expected a frame size in bytes, found "{"`},
		{"frame not a multiple of 8", "func main frame 12 {\n}\n",
			`w.gmp:1:1: frame of main is 12 bytes: want a multiple of 8 in [0, 1048576]`},
		{"brace on next line", "func main\n{\n}\n",
			`w.gmp:1:10: expected "frame" or "{", found end of line`},
		{"brace after frame on next line", "func main frame 8\n{\n}\n",
			`w.gmp:1:18: expected "{", found end of line`},
		{"unclosed func", "func main {\n    gosched\n",
			`w.gmp:3:1: expected "}" closing the block opened at 1:11, found end of file`},
		{"unclosed func before next func", "func main {\n    gosched\nfunc f {\n}\n",
			`w.gmp:3:1: expected "}" closing the block opened at 1:11, found "func"`},
		{"unclosed repeat", "func main {\n    repeat 2 {\n        gosched\n}\n",
			`w.gmp:5:1: expected "}" closing the block opened at 1:11, found end of file`},
		{"text after func", "func main {\n} gosched\n",
			`w.gmp:2:3: expected end of line after "}", found "gosched"`},
		{"repeat without brace", "func main {\n    repeat 3 gosched\n}\n",
			`w.gmp:2:14: expected "{", found "gosched"`},
		{"repeat without count", "func main {\n    repeat x {\n    }\n}\n",
			`w.gmp:2:12: expected a repeat count, found "x"`},
		{"negative repeat", "func main {\n    repeat -1 {\n    }\n}\n",
			`w.gmp:2:5: repeat count must be >= 0, got -1`},
		{"two statements on a line", "func main {\n    repeat 2 { gosched gc }\n}\n",
			`w.gmp:2:24: expected end of line, found "gc"`},
		{"ref without colon", "func main frame 16 {\n    ref 0 1\n}\n",
			`w.gmp:2:11: expected a frame reference K:T such as 1:0, found "1"`},
		{"ref with bad target", "func main frame 16 {\n    ref 0 1:x\n}\n",
			`w.gmp:2:11: expected a frame reference K:T such as 1:0, found "1:x"`},
		{"ref target outside own frame", "func main frame 16 {\n    ref 0 0:2\n}\n",
			`w.gmp:2:5: ref target slot 2 is outside the frame of main (slots 0..1)`},
		{"fractional value", "func main frame 16 {\n    set 0 1.5\n}\n",
			`w.gmp:2:11: expected an integer value, found "1.5"`},
		{"value out of range", "func main frame 16 {\n    store 0 99999999999999999999\n}\n",
			`w.gmp:2:13: expected an integer value, found "99999999999999999999"`},
		{"plus sign", "func main frame 16 {\n    set 0 +1\n}\n",
			`w.gmp:2:11: expected an integer value, found "+1"`},
		{"slot outside frame", "func main frame 16 {\n    set 2 1\n}\n",
			`w.gmp:2:5: slot 2 is outside the frame of main (16 bytes: slots 0..1)`},
		{"slot in empty frame", "func main {\n    check *0 1\n}\n",
			`w.gmp:2:5: main has no frame slots (declare one: func main frame BYTES)`},
		{"deref star alone", "func main frame 16 {\n    check * 1\n}\n",
			`w.gmp:2:11: expected a slot number or *slot, found "*"`},
		{"check without value", "func main frame 16 {\n    check 0\n}\n",
			`w.gmp:2:12: expected an integer value, found end of line`},
		{"check with bad slot", "func main frame 16 {\n    check x 1\n}\n",
			`w.gmp:2:11: expected a slot number or *slot, found "x"`},
		{"park without key", "func main {\n    park\n}\n",
			`w.gmp:2:9: expected a key name, found end of line`},
		{"park with bad count", "func main {\n    park k many\n}\n",
			`w.gmp:2:12: expected a permit count or end of line, found "many"`},
		{"park zero", "func main {\n    park k 0\n}\n",
			`w.gmp:2:5: park needs a count >= 1, got 0`},
		{"ready bad key", "func main {\n    ready 1k\n}\n",
			`w.gmp:2:11: expected a key name, found "1k"`},
		{"gomaxprocs zero", "func main {\n    gomaxprocs 0\n}\n",
			`w.gmp:2:5: gomaxprocs must be in [1, 1024], got 0`},
		{"gomaxprocs word", "func main {\n    gomaxprocs all\n}\n",
			`w.gmp:2:16: expected a number of Ps, found "all"`},
		{"negative call argument", "func main {\n    call main -1\n}\n",
			`w.gmp:2:5: call argument must be >= 0, got -1`},
		{"defined twice", "func main {\n}\n\nfunc main {\n}\n",
			`w.gmp:4:1: function main defined twice (first at 1:1)`},
		{"long word is cut", "func main {\n    " + strings.Repeat("x", 50) + "\n}\n",
			`w.gmp:2:5: expected ` + stmtList + `, found "` + strings.Repeat("x", 40) + `"...`},
		{"invalid UTF-8", "func main {\n    \xff\n}\n",
			`w.gmp:2:5: expected ` + stmtList + `, found "\xff"`},
		{"nested too deep", nested(MaxNesting + 1),
			`w.gmp:1:717: repeat blocks are nested more than 64 deep`},
		{"too large", "func main {\n}\n" + strings.Repeat("#", MaxSourceSize),
			`w.gmp:1:1: input is larger than the limit of 1048576 bytes (1 MiB)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse("w.gmp", []byte(tt.src))
			if err == nil {
				t.Fatalf("Parse succeeded, want error %q; got\n%s", tt.want, p)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("Parse error\n got: %s\nwant: %s", got, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Errorf("error is %T, want *spec.Error", err)
			}
			if p != nil {
				t.Errorf("Parse returned a Program with an error")
			}
		})
	}
	// An unnamed input is called <input>.
	if _, err := Parse("", []byte("func f {\n}\n")); err == nil || err.Error() != "<input>:1:1: no function main (g1 runs main)" {
		t.Errorf("Parse of unnamed input: %v", err)
	}
	// The deepest nesting allowed parses.
	if _, err := Parse("w.gmp", []byte(nested(MaxNesting))); err != nil {
		t.Errorf("nesting %d: %v", MaxNesting, err)
	}
}

// TestParseDocExample parses the example on Program's doc comment and
// checks every field, positions included.
func TestParseDocExample(t *testing.T) {
	src := `# comments run to the end of the line
func main {
    spawn worker 3      # start a G running worker with argument n = 3
    compute 50us        # run on the CPU for 50 µs of logical time
    park done 3         # wait until key "done" has 3 permits, take them
}
func worker frame 64 {  # a frame of 64 bytes: word slots 0..7
    set 0 42            # slot 0 := 42
    call leaf           # call leaf (n = 0) with a stack check
    check 0 42          # the G fails if slot 0 != 42
    ready done          # add a permit to key "done"
}
func leaf frame 32 {
    ref 1 1:0           # slot 1 := address of slot 0 of the frame 1 up
    store 1 7           # *slot 1 := 7
    descend leaf        # if n > 0, call leaf with n-1
    repeat 2 { gosched }
    syscall 1ms
    gc
}
`
	got, err := Parse("doc.gmp", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := &Program{File: "doc.gmp", Funcs: []*Func{
		{Name: "main", Pos: Pos{2, 1}, Body: []Stmt{
			{Op: OpSpawn, Pos: Pos{3, 5}, Func: "worker", N: 3},
			{Op: OpCompute, Pos: Pos{4, 5}, Dur: 50 * time.Microsecond},
			{Op: OpPark, Pos: Pos{5, 5}, Key: "done", N: 3},
		}},
		{Name: "worker", Frame: 64, Pos: Pos{7, 1}, Body: []Stmt{
			{Op: OpSet, Pos: Pos{8, 5}, Slot: 0, N: 42},
			{Op: OpCall, Pos: Pos{9, 5}, Func: "leaf"},
			{Op: OpCheck, Pos: Pos{10, 5}, Slot: 0, N: 42},
			{Op: OpReady, Pos: Pos{11, 5}, Key: "done"},
		}},
		{Name: "leaf", Frame: 32, Pos: Pos{13, 1}, Body: []Stmt{
			{Op: OpRef, Pos: Pos{14, 5}, Slot: 1, Up: 1, To: 0},
			{Op: OpStore, Pos: Pos{15, 5}, Slot: 1, N: 7},
			{Op: OpDescend, Pos: Pos{16, 5}, Func: "leaf"},
			{Op: OpRepeat, Pos: Pos{17, 5}, N: 2, Body: []Stmt{
				{Op: OpGosched, Pos: Pos{17, 16}},
			}},
			{Op: OpSyscall, Pos: Pos{18, 5}, Dur: time.Millisecond},
			{Op: OpGC, Pos: Pos{19, 5}},
		}},
	}}
	if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("Parse (-want +got):\n%s", d)
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name, src string
		want      []*Func
	}{
		{"one-line functions", "func main { call f }\nfunc f frame 4096 { call f }",
			[]*Func{
				{Name: "main", Body: []Stmt{{Op: OpCall, Func: "f"}}},
				{Name: "f", Frame: 4096, Body: []Stmt{{Op: OpCall, Func: "f"}}},
			}},
		{"CRLF, tabs and comments without space", "func main {\r\n\tcompute 5ms#x\r\n\texit # bye\r\n}\r\n",
			[]*Func{{Name: "main", Body: []Stmt{{Op: OpCompute, Dur: 5 * time.Millisecond}, {Op: OpExit}}}}},
		{"empty bodies", "func main {}\nfunc f frame 8 {\n\n}\n",
			[]*Func{{Name: "main"}, {Name: "f", Frame: 8}}},
		{"keywords are not reserved", "func main {\n    call call\n    park func 2\n    ready func\n}\nfunc call frame 8 {\n    set 0 -9223372036854775808\n}\n",
			[]*Func{
				{Name: "main", Body: []Stmt{{Op: OpCall, Func: "call"}, {Op: OpPark, Key: "func", N: 2}, {Op: OpReady, Key: "func"}}},
				{Name: "call", Frame: 8, Body: []Stmt{{Op: OpSet, N: -9223372036854775808}}},
			}},
		{"dotted names and all duration units", "func main {\n    call runtime.runFinalizers\n    compute 1.5us\n    compute 2µs\n    syscall 1h2m3.5s\n    compute 7ns\n}\nfunc runtime.runFinalizers {\n    return\n}\n",
			[]*Func{
				{Name: "main", Body: []Stmt{
					{Op: OpCall, Func: "runtime.runFinalizers"},
					{Op: OpCompute, Dur: 1500},
					{Op: OpCompute, Dur: 2000},
					{Op: OpSyscall, Dur: time.Hour + 2*time.Minute + 3500*time.Millisecond},
					{Op: OpCompute, Dur: 7},
				}},
				{Name: "runtime.runFinalizers", Body: []Stmt{{Op: OpReturn}}},
			}},
		{"statement after a block on its line", "func main {\n    repeat 2 { repeat 3 { gc } }\n    gomaxprocs 4\n}\n",
			[]*Func{{Name: "main", Body: []Stmt{
				{Op: OpRepeat, N: 2, Body: []Stmt{{Op: OpRepeat, N: 3, Body: []Stmt{{Op: OpGC}}}}},
				{Op: OpGomaxprocs, N: 4},
			}}}},
		{"deref check and ref up", "func main frame 24 {\n    ref 2 0:1\n    check *2 -3\n    check 1 0\n}\n",
			[]*Func{{Name: "main", Frame: 24, Body: []Stmt{
				{Op: OpRef, Slot: 2, Up: 0, To: 1},
				{Op: OpCheck, Slot: 2, N: -3, Deref: true},
				{Op: OpCheck, Slot: 1, N: 0},
			}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse("a.gmp", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			if got.File != "a.gmp" {
				t.Errorf("File = %q", got.File)
			}
			if d := cmp.Diff(&Program{Funcs: tt.want}, got, progCmp...); d != "" {
				t.Errorf("Parse (-want +got):\n%s", d)
			}
		})
	}
}

func exampleFiles(tb testing.TB) []string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("..", "examples", "*.gmp"))
	if err != nil {
		tb.Fatal(err)
	}
	if len(files) == 0 {
		tb.Fatal("no examples in ../examples")
	}
	return files
}

// TestExamples parses every example, checks that it starts with a header
// comment, and round-trips it through the printer.
func TestExamples(t *testing.T) {
	for _, file := range exampleFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(src), "# "+strings.TrimSuffix(filepath.Base(file), ".gmp")+": ") {
				t.Errorf("%s does not start with a header comment \"# NAME: what it shows\"", file)
			}
			p, err := ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if p.File != file {
				t.Errorf("File = %q, want %q", p.File, file)
			}
			checkRoundTrip(t, p)
		})
	}
}

func TestParseFile(t *testing.T) {
	if _, err := ParseFile(filepath.Join(t.TempDir(), "missing.gmp")); err == nil {
		t.Error("ParseFile of a missing file succeeded")
	}
	big := filepath.Join(t.TempDir(), "big.gmp")
	if err := os.WriteFile(big, []byte(strings.Repeat("\n", MaxSourceSize+10)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ParseFile(big)
	if want := big + ":1:1: input is larger than the limit of 1048576 bytes (1 MiB)"; err == nil || err.Error() != want {
		t.Errorf("ParseFile(big) = %v, want %s", err, want)
	}
}

// fataler is what checkRoundTrip needs of a *testing.T or a *rapid.T.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

// checkRoundTrip prints p, parses the text, and checks that it gets back
// an equal Program whose text is the same.
func checkRoundTrip(t fataler, p *Program) {
	t.Helper()
	text := p.String()
	q, err := Parse("printed.gmp", []byte(text))
	if err != nil {
		t.Fatalf("parse of printed program: %v\n%s", err, text)
	}
	if d := cmp.Diff(p, q, progCmp...); d != "" {
		t.Fatalf("print then parse changed the program (-orig +reparsed):\n%s\nprinted:\n%s", d, text)
	}
	if text2 := q.String(); text2 != text {
		t.Fatalf("printing is not a fixed point:\nfirst:\n%s\nsecond:\n%s", text, text2)
	}
}

func FuzzParse(f *testing.F) {
	for _, file := range exampleFiles(f) {
		src, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	for _, s := range []string{
		"",
		"func main { call f }\nfunc f frame 4096 { call f }\n",
		"func main frame 16 {\n    ref 0 0:1\n    check *0 -1\n    repeat 2 { repeat 0 { gc } }\n}\n",
		"func main {\n    compute 1h2m3.5s\n    park k\n}\n",
		"func main {\n    repeat 1 {\n",
		"func main {\r\n\tcompute 5µs#\r\n}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		p, err := Parse("fuzz.gmp", src)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error is %T, want *spec.Error: %v", err, err)
			}
			if p != nil {
				t.Fatal("Parse returned a Program with an error")
			}
			return
		}
		checkRoundTrip(t, p)
	})
}
