package spec

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// Limits on workload input; Parse reports an error beyond them.
const (
	// MaxSourceSize is the largest workload file Parse accepts, in bytes.
	MaxSourceSize = 1 << 20
	// MaxNesting is the deepest nesting of repeat blocks Parse accepts.
	MaxNesting = 64
)

// ParseFile reads and parses the workload file at path (see [Parse]).
func ParseFile(path string) (*Program, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Read at most one byte past the limit, so that Parse reports the
	// limit without a huge file being read into memory.
	src, err := io.ReadAll(io.LimitReader(f, MaxSourceSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return Parse(path, src)
}

// Parse parses a workload in the text form documented on [Program] and
// checks it with [Compile], so that every error (a syntax error, a call of
// an unknown function, a slot outside its frame) is reported before
// anything runs. Errors are *[Error]s that name file, line and column
// (1-based; columns count bytes) and say what was expected and what was
// found. The returned Program has File set to file.
//
// Grammar (a statement ends at a newline, or at the "}" that closes its
// block; "#" starts a comment that runs to the end of the line):
//
//	file     = { newline } { func { newline } } .
//	func     = "func" name [ "frame" int ] block newline-or-eof .
//	block    = "{" { newline } { stmt ( newline { newline } | &"}" ) } "}" .
//	stmt     = "compute" dur | "syscall" dur
//	         | "call" name [ int ] | "spawn" name [ int ] | "descend" name
//	         | "park" name [ int ] | "ready" name
//	         | "gomaxprocs" int
//	         | "set" int int | "store" int int
//	         | "ref" int ref | "check" [ "*" ] int int
//	         | "repeat" int block
//	         | "return" | "gosched" | "gc" | "exit" .
//	name     = ( letter | "_" ) { letter | digit | "_" | "." } .   (ASCII)
//	int      = [ "-" ] digit { digit } .                           (int64)
//	ref      = int ":" int .                    (one word, e.g. 1:0)
//	dur      = a positive time.ParseDuration string, e.g. 50us, 1.5ms, 2s.
//
// "*" in check is written with no space before the slot (check *3 7).
// Keywords are not reserved: a function or key may be called "call".
// Range checks (slot numbers, counts, frame sizes) are Compile's.
func Parse(file string, src []byte) (*Program, error) {
	if len(src) > MaxSourceSize {
		return nil, &Error{File: file, Pos: Pos{1, 1},
			Msg: fmt.Sprintf("input is larger than the limit of %d bytes (1 MiB)", MaxSourceSize)}
	}
	p := &wlParser{file: file, src: src, line: 1, col: 1}
	p.next()
	prog, err := p.program()
	if err != nil {
		return nil, err
	}
	if _, err := Compile(prog); err != nil {
		return nil, err
	}
	return prog, nil
}

// ParseCode parses a workload and returns it compiled: what the model,
// the implementation and the command line run.
func ParseCode(file string, src []byte) (*Code, error) {
	p := &wlParser{file: file, src: src, line: 1, col: 1}
	p.next()
	prog, err := p.program()
	if err != nil {
		return nil, err
	}
	return Compile(prog)
}

type wlTokKind uint8

const (
	wlEOF     wlTokKind = iota
	wlNewline           // "\n"
	wlLBrace            // "{"
	wlRBrace            // "}"
	wlWord              // any other run of non-blank characters
)

type wlToken struct {
	kind wlTokKind
	text string
	pos  Pos
}

// wlParser is a hand-written lexer and recursive-descent parser for the
// workload language. The lexer splits the input into words, braces and
// newlines; the parser classifies words by context, so that an error can
// quote exactly what it found.
type wlParser struct {
	file      string
	src       []byte
	off       int // next byte to lex
	line, col int // position of src[off]
	tok       wlToken
}

func (p *wlParser) errAt(pos Pos, format string, args ...any) error {
	return &Error{File: p.file, Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// expected reports that the current token is not what was expected.
func (p *wlParser) expected(what string) error {
	return p.errAt(p.tok.pos, "expected %s, found %s", what, wlDescribe(p.tok))
}

func wlDescribe(t wlToken) string {
	switch t.kind {
	case wlEOF:
		return "end of file"
	case wlNewline:
		return "end of line"
	case wlLBrace:
		return `"{"`
	case wlRBrace:
		return `"}"`
	}
	s := t.text
	if len(s) > 40 {
		return strconv.Quote(s[:40]) + "..."
	}
	return strconv.Quote(s)
}

func wlWordByte(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', '{', '}', '#':
		return false
	}
	return true
}

// next lexes the next token into p.tok.
func (p *wlParser) next() {
	for p.off < len(p.src) {
		c := p.src[p.off]
		if c == ' ' || c == '\t' || c == '\r' {
			p.off++
			p.col++
			continue
		}
		if c == '#' {
			for p.off < len(p.src) && p.src[p.off] != '\n' {
				p.off++
				p.col++
			}
			continue
		}
		break
	}
	pos := Pos{p.line, p.col}
	if p.off >= len(p.src) {
		p.tok = wlToken{kind: wlEOF, pos: pos}
		return
	}
	switch c := p.src[p.off]; c {
	case '\n':
		p.tok = wlToken{kind: wlNewline, text: "\n", pos: pos}
		p.off++
		p.line++
		p.col = 1
		return
	case '{', '}':
		k := wlLBrace
		if c == '}' {
			k = wlRBrace
		}
		p.tok = wlToken{kind: k, text: string(c), pos: pos}
		p.off++
		p.col++
		return
	}
	start := p.off
	for p.off < len(p.src) && wlWordByte(p.src[p.off]) {
		p.off++
	}
	p.col += p.off - start
	p.tok = wlToken{kind: wlWord, text: string(p.src[start:p.off]), pos: pos}
}

func (p *wlParser) isWord(s string) bool { return p.tok.kind == wlWord && p.tok.text == s }

func (p *wlParser) skipNewlines() {
	for p.tok.kind == wlNewline {
		p.next()
	}
}

func (p *wlParser) program() (*Program, error) {
	prog := &Program{File: p.file}
	for {
		p.skipNewlines()
		if p.tok.kind == wlEOF {
			return prog, nil
		}
		f, err := p.funcDecl()
		if err != nil {
			return nil, err
		}
		prog.Funcs = append(prog.Funcs, f)
	}
}

func (p *wlParser) funcDecl() (*Func, error) {
	if !p.isWord("func") {
		return nil, p.expected(`"func"`)
	}
	f := &Func{Pos: p.tok.pos}
	p.next()
	name, err := p.name("a function name")
	if err != nil {
		return nil, err
	}
	f.Name = name
	if p.isWord("frame") {
		p.next()
		if f.Frame, err = p.integer64("a frame size in bytes"); err != nil {
			return nil, err
		}
	} else if p.tok.kind != wlLBrace {
		return nil, p.expected(`"frame" or "{"`)
	}
	if f.Body, err = p.block(0); err != nil {
		return nil, err
	}
	if p.tok.kind != wlNewline && p.tok.kind != wlEOF {
		return nil, p.expected(`end of line after "}"`)
	}
	return f, nil
}

// block parses "{" stmts "}" at the given repeat nesting depth.
func (p *wlParser) block(depth int) ([]Stmt, error) {
	if p.tok.kind != wlLBrace {
		return nil, p.expected(`"{"`)
	}
	open := p.tok.pos
	p.next()
	var body []Stmt
	for {
		switch p.tok.kind {
		case wlNewline:
			p.next()
			continue
		case wlRBrace:
			p.next()
			return body, nil
		case wlEOF:
			return nil, p.expected(fmt.Sprintf(`"}" closing the block opened at %s`, open))
		case wlLBrace:
			return nil, p.expected(wlStmtList)
		}
		if p.isWord("func") {
			return nil, p.expected(fmt.Sprintf(`"}" closing the block opened at %s`, open))
		}
		s, err := p.stmt(depth)
		if err != nil {
			return nil, err
		}
		if k := p.tok.kind; k != wlNewline && k != wlRBrace && k != wlEOF {
			return nil, p.expected("end of line")
		}
		body = append(body, s)
	}
}

var wlStmtList = func() string {
	var b strings.Builder
	b.WriteString("a statement (")
	for o := Op(1); o < numOps; o++ {
		if o > 1 {
			b.WriteString(", ")
		}
		b.WriteString(o.String())
	}
	b.WriteString(")")
	return b.String()
}()

func (p *wlParser) stmt(depth int) (Stmt, error) {
	op, ok := LookupOp(p.tok.text)
	if !ok {
		return Stmt{}, p.expected(wlStmtList)
	}
	s := Stmt{Op: op, Pos: p.tok.pos}
	p.next()
	var err error
	switch op {
	case OpCompute, OpSyscall:
		s.Dur, err = p.duration()
	case OpCall, OpSpawn:
		if s.Func, err = p.name("a function name"); err != nil {
			break
		}
		if p.tok.kind == wlWord {
			s.N, err = p.integer64("an integer argument or end of line")
		}
	case OpDescend:
		s.Func, err = p.name("a function name")
	case OpPark:
		if s.Key, err = p.name("a key name"); err != nil {
			break
		}
		s.N = 1
		if p.tok.kind == wlWord {
			s.N, err = p.integer64("a permit count or end of line")
		}
	case OpReady:
		s.Key, err = p.name("a key name")
	case OpGomaxprocs:
		s.N, err = p.integer64("a number of Ps")
	case OpSet, OpStore:
		if s.Slot, err = p.integer("a slot number"); err != nil {
			break
		}
		s.N, err = p.integer64("an integer value")
	case OpRef:
		if s.Slot, err = p.integer("a slot number"); err != nil {
			break
		}
		s.Up, s.To, err = p.ref()
	case OpCheck:
		if p.tok.kind == wlWord && strings.HasPrefix(p.tok.text, "*") {
			s.Deref = true
			v, ok := wlParseInt(p.tok.text[1:], strconv.IntSize)
			if !ok {
				return s, p.expected("a slot number or *slot")
			}
			s.Slot = int(v)
			p.next()
		} else if s.Slot, err = p.integer("a slot number or *slot"); err != nil {
			break
		}
		s.N, err = p.integer64("an integer value")
	case OpRepeat:
		if s.N, err = p.integer64("a repeat count"); err != nil {
			break
		}
		if depth+1 > MaxNesting {
			return s, p.errAt(s.Pos, "repeat blocks are nested more than %d deep", MaxNesting)
		}
		s.Body, err = p.block(depth + 1)
	case OpReturn, OpGosched, OpGC, OpExit:
	}
	return s, err
}

// name parses an identifier: an ASCII letter or "_", then letters, digits,
// "_" and ".".
func (p *wlParser) name(what string) (string, error) {
	if p.tok.kind != wlWord || !wlIsName(p.tok.text) {
		return "", p.expected(what)
	}
	s := p.tok.text
	p.next()
	return s, nil
}

func wlIsName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case i > 0 && (c >= '0' && c <= '9' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// wlParseInt parses [-]digits that fit in an integer of the given bits.
func wlParseInt(s string, bits int) (int64, bool) {
	digits := strings.TrimPrefix(s, "-")
	if digits == "" {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(s, 10, bits)
	return v, err == nil
}

func (p *wlParser) intBits(what string, bits int) (int64, error) {
	if p.tok.kind != wlWord {
		return 0, p.expected(what)
	}
	v, ok := wlParseInt(p.tok.text, bits)
	if !ok {
		return 0, p.expected(what)
	}
	p.next()
	return v, nil
}

func (p *wlParser) integer64(what string) (int64, error) { return p.intBits(what, 64) }

func (p *wlParser) integer(what string) (int, error) {
	v, err := p.intBits(what, strconv.IntSize)
	return int(v), err
}

// ref parses K:T as one word.
func (p *wlParser) ref() (up, to int, err error) {
	const what = "a frame reference K:T such as 1:0"
	if p.tok.kind != wlWord {
		return 0, 0, p.expected(what)
	}
	k, t, ok := strings.Cut(p.tok.text, ":")
	kv, ok1 := wlParseInt(k, strconv.IntSize)
	tv, ok2 := wlParseInt(t, strconv.IntSize)
	if !ok || !ok1 || !ok2 {
		return 0, 0, p.expected(what)
	}
	p.next()
	return int(kv), int(tv), nil
}

func (p *wlParser) duration() (time.Duration, error) {
	const what = "a duration such as 50us or 2ms"
	if p.tok.kind != wlWord {
		return 0, p.expected(what)
	}
	d, err := time.ParseDuration(p.tok.text)
	if err != nil {
		return 0, p.expected(what)
	}
	if d <= 0 {
		return 0, p.expected("a positive duration")
	}
	p.next()
	return d, nil
}
