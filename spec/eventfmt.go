package spec

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxTraceLine is the longest trace line ParseTrace accepts, in bytes.
const MaxTraceLine = 1 << 20

// String prints e in the one-line trace format documented on [Event]:
// "@TIME KIND", then g=, p= and m= unless they are NoG, NoP and NoM, then
// the Args in order. [ParseEvent] reads it back exactly when e is valid:
// TIME >= 0, a known Kind, G >= 0, P >= -1, M >= -1, and Args whose keys
// are non-empty, contain no "=" and are not g, p or m, and whose keys and
// values contain no spaces or control characters ([WriteTrace] checks this).
func (e Event) String() string {
	var b strings.Builder
	b.Grow(32 + 16*len(e.Args))
	b.WriteByte('@')
	b.WriteString(strconv.FormatInt(int64(e.Time), 10))
	b.WriteByte(' ')
	b.WriteString(e.Kind)
	if e.G != NoG {
		b.WriteString(" g=")
		b.WriteString(e.G.String())
	}
	if e.P != NoP {
		b.WriteString(" p=")
		b.WriteString(e.P.String())
	}
	if e.M != NoM {
		b.WriteString(" m=")
		b.WriteString(e.M.String())
	}
	for _, a := range e.Args {
		b.WriteByte(' ')
		b.WriteString(a.Key)
		b.WriteByte('=')
		b.WriteString(a.Val)
	}
	return b.String()
}

// EventError is an error in one trace line; Col is the 1-based byte column.
type EventError struct {
	Col int
	Msg string
}

func (e *EventError) Error() string { return fmt.Sprintf("col %d: %s", e.Col, e.Msg) }

type evField struct {
	text string
	col  int // 1-based byte column
}

func evSep(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func evFields(line string) []evField {
	var fs []evField
	for i := 0; i < len(line); {
		if evSep(line[i]) {
			i++
			continue
		}
		j := i
		for j < len(line) && !evSep(line[j]) {
			j++
		}
		fs = append(fs, evField{line[i:j], i + 1})
		i = j
	}
	return fs
}

func evQuote(s string) string {
	if len(s) > 40 {
		return strconv.Quote(s[:40]) + "..."
	}
	return strconv.Quote(s)
}

// evClean reports whether s has no spaces and no control characters.
func evClean(s string) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return false
		}
		i += n
	}
	return true
}

// evID parses prefix followed by a decimal int32 >= lo.
func evID(s string, prefix byte, lo int64) (int32, bool) {
	if len(s) < 2 || s[0] != prefix {
		return 0, false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(s[1:], 10, 32)
	if err != nil || v < lo {
		return 0, false
	}
	return int32(v), true
}

// ParseEvent parses one trace line in the format documented on [Event], as
// [Event.String] prints it. Fields are separated by spaces or tabs. g=, p=
// and m= may each appear at most once, in that order, before other
// arguments; the kind must be one of [ActionKinds] or [EffectKinds]. Errors
// are *[EventError]s, "col N: expected ..., found ...".
func ParseEvent(line string) (Event, error) {
	e := Event{G: NoG, P: NoP, M: NoM}
	fs := evFields(line)
	end := len(strings.TrimRight(line, " \t\r\n")) + 1
	fail := func(col int, what, found string) (Event, error) {
		return Event{}, &EventError{Col: col, Msg: fmt.Sprintf("expected %s, found %s", what, found)}
	}
	const timeWhat = "@TIME (a logical time in nanoseconds, such as @1500)"
	if len(fs) == 0 {
		return fail(end, timeWhat, "end of line")
	}
	t := fs[0].text
	if len(t) < 2 || t[0] != '@' {
		return fail(fs[0].col, timeWhat, evQuote(t))
	}
	ns, err := strconv.ParseUint(t[1:], 10, 63)
	if err != nil {
		return fail(fs[0].col, timeWhat, evQuote(t))
	}
	e.Time = time.Duration(ns)
	const kindWhat = "an event kind (an action such as Schedule or an effect such as Run)"
	if len(fs) < 2 {
		return fail(end, kindWhat, "end of line")
	}
	if k := fs[1].text; !IsAction(k) && !IsEffect(k) {
		return fail(fs[1].col, kindWhat, evQuote(k))
	}
	e.Kind = fs[1].text
	stage := 0 // 1 after g=, 2 after p=, 3 after m=, 4 after another argument
	for _, f := range fs[2:] {
		key, val, ok := strings.Cut(f.text, "=")
		if !ok || key == "" {
			return fail(f.col, "key=value", evQuote(f.text))
		}
		vcol := f.col + len(key) + 1
		var want int
		switch key {
		case "g":
			want = 1
		case "p":
			want = 2
		case "m":
			want = 3
		}
		if want != 0 && stage >= want {
			return fail(f.col, "g=, p= and m= at most once each, in that order, before other arguments", evQuote(f.text))
		}
		switch key {
		case "g":
			v, ok := evID(val, 'g', 1)
			if !ok {
				return fail(vcol, "a G such as g1", evQuote(val))
			}
			e.G = GID(v)
		case "p":
			v, ok := evID(val, 'p', 0)
			if !ok {
				return fail(vcol, "a P such as p0", evQuote(val))
			}
			e.P = PID(v)
		case "m":
			v, ok := evID(val, 'm', 0)
			if !ok {
				return fail(vcol, "an M such as m0", evQuote(val))
			}
			e.M = MID(v)
		default:
			if !evClean(key) {
				return fail(f.col, "a key without control characters", evQuote(key))
			}
			if !evClean(val) {
				return fail(vcol, "a value without spaces or control characters", evQuote(val))
			}
			e.Args = append(e.Args, Arg{Key: key, Val: val})
			want = 4
		}
		stage = want
	}
	return e, nil
}

// evCheck reports why e.String() would not read back as e, or nil.
func evCheck(e Event) error {
	switch {
	case e.Time < 0:
		return fmt.Errorf("negative time %d", int64(e.Time))
	case !IsAction(e.Kind) && !IsEffect(e.Kind):
		return fmt.Errorf("unknown kind %q", e.Kind)
	case e.G < 0:
		return fmt.Errorf("invalid G %d", int32(e.G))
	case e.P < NoP:
		return fmt.Errorf("invalid P %d", int32(e.P))
	case e.M < NoM:
		return fmt.Errorf("invalid M %d", int32(e.M))
	}
	for _, a := range e.Args {
		switch {
		case a.Key == "" || strings.Contains(a.Key, "=") || !evClean(a.Key):
			return fmt.Errorf("argument key %q must be non-empty, without \"=\", spaces or control characters", a.Key)
		case a.Key == "g" || a.Key == "p" || a.Key == "m":
			return fmt.Errorf("argument key %q is reserved (use the G, P and M fields)", a.Key)
		case !evClean(a.Val):
			return fmt.Errorf("argument %s has a value with spaces or control characters: %q", a.Key, a.Val)
		}
	}
	return nil
}

// ParseTrace reads a trace: one event per line as [ParseEvent] reads it;
// blank lines and lines whose first non-blank character is "#" are
// skipped. Errors are *[Error]s naming name, the line and the column.
func ParseTrace(name string, r io.Reader) ([]Event, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), MaxTraceLine)
	var evs []Event
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSuffix(sc.Text(), "\r")
		if trimmed := strings.Trim(text, " \t\r"); trimmed == "" || trimmed[0] == '#' {
			continue
		}
		e, err := ParseEvent(text)
		if err != nil {
			var ee *EventError
			if errors.As(err, &ee) {
				return nil, &Error{File: name, Pos: Pos{line, ee.Col}, Msg: ee.Msg}
			}
			return nil, &Error{File: name, Pos: Pos{line, 1}, Msg: err.Error()}
		}
		evs = append(evs, e)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &Error{File: name, Pos: Pos{line + 1, 1},
				Msg: fmt.Sprintf("line longer than the limit of %d bytes", MaxTraceLine)}
		}
		if name == "" {
			name = "<input>"
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return evs, nil
}

// WriteTrace writes evs one per line as [Event.String] prints them. It
// refuses (before writing that event) an event that would not read back
// as itself, such as one with a space in a value or an unknown kind.
func WriteTrace(w io.Writer, evs []Event) error {
	bw := bufio.NewWriter(w)
	for i, e := range evs {
		if err := evCheck(e); err != nil {
			if ferr := bw.Flush(); ferr != nil {
				return ferr
			}
			return fmt.Errorf("trace event %d (%s): %v", i, e, err)
		}
		bw.WriteString(e.String())
		if err := bw.WriteByte('\n'); err != nil {
			return err
		}
	}
	return bw.Flush()
}
