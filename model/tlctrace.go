package model

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/gmplab/gmplab/spec"
)

// TLCTrace is a TLC error trace: the states of TLC's "The behavior up to
// this point is:" section, read from TLC's output by ReadTLCTrace.
type TLCTrace struct {
	Name      string     // the file name, for errors
	Violation string     // the invariant TLC reported violated ("Error: Invariant X is violated."), or ""
	States    []TLCState // States[0] is the initial state
}

// TLCState is one state of a TLC trace.
type TLCState struct {
	Num    int    // TLC's state number (1 for the initial state)
	Line   int    // the line of its "State N:" header in TLC's output
	Action string // the action's name ("Next", "Spawn", ...), or "<Initial predicate>"
	Header string // the header after "State N: ", as TLC printed it
	// Vars maps each variable to its value as TLC printed it (possibly
	// several lines); Order lists the variables in TLC's order.
	Vars  map[string]string
	Order []string
}

// InitialPredicate is the Action of a TLC trace's first state.
const InitialPredicate = "<Initial predicate>"

// ReadTLCTrace reads TLC's output and returns its error trace. name is used
// in errors, which say "name:line: what is wrong".
func ReadTLCTrace(name string, r io.Reader) (*TLCTrace, error) {
	tr := &TLCTrace{Name: name}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	line := 0
	errAt := func(format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", name, line, fmt.Sprintf(format, args...))
	}
	inTrace := false
	var cur *TLCState
	curVar := ""
	var val strings.Builder
	flushVar := func() {
		if cur != nil && curVar != "" {
			cur.Vars[curVar] = strings.TrimSpace(val.String())
		}
		curVar = ""
		val.Reset()
	}
	flushState := func() {
		flushVar()
		if cur != nil {
			tr.States = append(tr.States, *cur)
			cur = nil
		}
	}
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), " \t\r")
		if !inTrace {
			// An invariant, or an action property (a transition check
			// such as CheckStealRunnext).
			for _, prefix := range []string{"Error: Invariant ", "Error: Action property "} {
				if rest, ok := strings.CutPrefix(text, prefix); ok {
					if n, ok := strings.CutSuffix(rest, " is violated."); ok {
						tr.Violation = n
					}
				}
			}
			if strings.HasSuffix(text, "The behavior up to this point is:") {
				inTrace = true
			}
			continue
		}
		if strings.HasPrefix(text, "Back to state") || strings.HasSuffix(text, "Stuttering") {
			return nil, errAt("lasso traces (liveness) are not supported: %q", text)
		}
		if strings.HasPrefix(text, "State ") {
			flushState()
			numText, hdr, ok := strings.Cut(strings.TrimPrefix(text, "State "), ":")
			num, err := strconv.Atoi(numText)
			if !ok || err != nil {
				return nil, errAt("expected \"State N: <action ...>\", found %q", text)
			}
			if num != len(tr.States)+1 {
				return nil, errAt("state %d out of order (expected state %d)", num, len(tr.States)+1)
			}
			hdr = strings.TrimSpace(hdr)
			act, err := tlcActionName(hdr)
			if err != nil {
				return nil, errAt("state %d: %v", num, err)
			}
			if num == 1 && act != InitialPredicate {
				return nil, errAt("state 1 is %s, not the %s", hdr, InitialPredicate)
			}
			cur = &TLCState{Num: num, Line: line, Action: act, Header: hdr, Vars: map[string]string{}}
			continue
		}
		if text == "" {
			flushState() // a blank line ends a state
			continue
		}
		if cur == nil {
			if len(tr.States) > 0 {
				break // the end of the trace
			}
			return nil, errAt("expected \"State 1: <Initial predicate>\", found %q", text)
		}
		if rest, ok := strings.CutPrefix(text, "/\\ "); ok {
			flushVar()
			v, value, ok := strings.Cut(rest, " = ")
			v = strings.TrimSpace(v)
			if !ok || v == "" || strings.ContainsAny(v, " \t") {
				return nil, errAt("state %d: expected \"/\\ Var = value\", found %q", cur.Num, text)
			}
			if _, dup := cur.Vars[v]; dup {
				return nil, errAt("state %d: %s assigned twice", cur.Num, v)
			}
			cur.Order = append(cur.Order, v)
			curVar = v
			val.WriteString(value)
			continue
		}
		if curVar == "" {
			return nil, errAt("state %d: expected \"/\\ Var = value\", found %q", cur.Num, text)
		}
		val.WriteByte('\n')
		val.WriteString(text)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	flushState()
	if !inTrace {
		return nil, fmt.Errorf("%s: no error trace (no \"The behavior up to this point is:\" line)", name)
	}
	if len(tr.States) == 0 {
		return nil, fmt.Errorf("%s: the error trace has no states", name)
	}
	for _, st := range tr.States {
		if len(st.Vars) == 0 {
			return nil, fmt.Errorf("%s:%d: state %d assigns no variables", name, st.Line, st.Num)
		}
	}
	return tr, nil
}

// tlcActionName reads "<Name line L, col C to line L2, col C2 of module M>"
// (or "<Name(args) line ...>", or "<Initial predicate>").
func tlcActionName(hdr string) (string, error) {
	if hdr == InitialPredicate {
		return hdr, nil
	}
	if !strings.HasPrefix(hdr, "<") || !strings.HasSuffix(hdr, ">") {
		return "", fmt.Errorf("expected <Action line ... of module M>, found %q", hdr)
	}
	body := hdr[1 : len(hdr)-1]
	n, _, ok := strings.Cut(body, " line ")
	if !ok {
		n = body
	}
	if i := strings.IndexByte(n, '('); i >= 0 {
		n = n[:i]
	}
	n = strings.TrimSpace(n)
	if n == "" || strings.ContainsAny(n, " \t") {
		return "", fmt.Errorf("no action name in %q", hdr)
	}
	return n, nil
}

// TLCDivergence says where a TLC trace and the model part ways.
type TLCDivergence struct {
	Step       int      // the TLC state number (1 is the initial state)
	TLCAction  string   // the TLC action that led to it
	Candidates []Action // the model actions considered
	Reason     string
}

func (e *TLCDivergence) Error() string {
	cands := make([]string, len(e.Candidates))
	for i, a := range e.Candidates {
		cands[i] = a.String()
	}
	return fmt.Sprintf("TLC state %d (action %s): %s (candidates: [%s])", e.Step, e.TLCAction, e.Reason, strings.Join(cands, "; "))
}

// TLCViewVars are the GMP.tla variables that ReplayTLC compares on a trace
// of the restricted GMP.tla that lacked NProcs and Fatal (its Gs had a
// different shape). A trace with every variable of TLCStateVars is
// compared on all of them.
var TLCViewVars = []string{"Ps", "Ms", "Global", "IdleP", "IdleM", "NMSpinning", "NeedSpinning", "Exited"}

// ReplayTLC maps a TLC trace of GMP.tla onto model actions from init. For
// each TLC step with action name N, the candidates are the enabled model
// actions of kind N (all enabled actions when N is not an action kind,
// e.g. "Next", which TLC prints when the actions sit under an \E); the one
// whose successor's rendering (tlcFullView) equals TLC's state (up to whitespace and
// record field order) is taken. The initial state must match TLC's first
// state too. At the first step where no candidate, or more than one,
// matches, ReplayTLC returns the actions mapped so far and a
// *TLCDivergence.
func ReplayTLC(init State, tr *TLCTrace) (actions []Action, err error) {
	if init.Env == nil {
		return nil, errors.New("model.ReplayTLC: state has no Env (use model.Init)")
	}
	if tr == nil || len(tr.States) == 0 {
		return nil, errors.New("model.ReplayTLC: empty TLC trace")
	}
	vars := TLCStateVars
	for _, v := range TLCStateVars {
		if _, ok := tr.States[0].Vars[v]; !ok {
			vars = TLCViewVars // a trace of the restricted GMP.tla
			break
		}
	}
	want := make([]map[string]string, len(tr.States))
	for i, st := range tr.States {
		w := map[string]string{}
		for _, v := range vars {
			raw, ok := st.Vars[v]
			if !ok {
				return nil, fmt.Errorf("%s:%d: state %d has no variable %s", tr.Name, st.Line, st.Num, v)
			}
			c, err := canonTLA(raw)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: state %d: %s: %v", tr.Name, st.Line, st.Num, v, err)
			}
			w[v] = c
		}
		want[i] = w
	}
	if d := viewDiff(init, want[0], vars); d != "" {
		return nil, &TLCDivergence{Step: 1, TLCAction: InitialPredicate, Reason: "the model's initial state differs: " + d}
	}
	kinds := map[string]bool{}
	for _, k := range spec.ActionKinds {
		kinds[k] = true
	}
	s := init
	for i := 1; i < len(tr.States); i++ {
		st := tr.States[i]
		var cands []Action
		for _, a := range Enabled(s) {
			if !kinds[st.Action] || a.Kind() == st.Action {
				cands = append(cands, a)
			}
		}
		var match []Action
		var next State
		diffs := []string{}
		for _, a := range cands {
			ns, err := stepNoPanic(s, a)
			if err != nil {
				diffs = append(diffs, fmt.Sprintf("%v: %v", a, err))
				continue
			}
			if d := viewDiff(ns, want[i], vars); d != "" {
				diffs = append(diffs, fmt.Sprintf("%v: %s", a, d))
				continue
			}
			match = append(match, a)
			next = ns
		}
		switch len(match) {
		case 1:
			actions = append(actions, match[0])
			s = next
		case 0:
			reason := "no enabled model action reaches TLC's state"
			if len(cands) == 0 {
				reason = "no model action of that kind is enabled"
			} else {
				reason += ": " + strings.Join(diffs, "; ")
			}
			return actions, &TLCDivergence{Step: st.Num, TLCAction: st.Action, Candidates: cands, Reason: reason}
		default:
			return actions, &TLCDivergence{Step: st.Num, TLCAction: st.Action, Candidates: match,
				Reason: fmt.Sprintf("%d model actions reach TLC's state (on the variables compared: %s)", len(match), strings.Join(vars, ", "))}
		}
	}
	return actions, nil
}

func stepNoPanic(s State, a Action) (ns State, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the model panicked: %v", r)
		}
	}()
	return Step(s, a)
}

// viewDiff compares the model state's variables vars (rendered
// canonically by tlcFullView) with TLC's canonical values and says which
// differ, or "".
func viewDiff(s State, want map[string]string, vars []string) string {
	view := tlcFullView(s)
	var out []string
	for _, v := range vars {
		if got := view[v]; got != want[v] {
			out = append(out, fmt.Sprintf("%s is %s, TLC has %s", v, got, want[v]))
		}
	}
	return strings.Join(out, ", ")
}

// canonTLA parses a TLC-printed value and prints it canonically: no
// whitespace, record fields and function entries sorted, set elements
// sorted, so that two printings of one value compare equal.
func canonTLA(text string) (string, error) {
	p := &tlaParser{toks: tlaTokens(text)}
	v, err := p.value()
	if err != nil {
		return "", err
	}
	if p.i != len(p.toks) {
		return "", fmt.Errorf("unexpected %q after the value", p.toks[p.i])
	}
	return v, nil
}

func tlaTokens(s string) []string {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '"':
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j > len(s) {
				j = len(s) - 1
			}
			toks = append(toks, s[i:j+1])
			i = j + 1
		default:
			matched := false
			for _, op := range []string{"<<", ">>", "|->", ":>", "@@"} {
				if strings.HasPrefix(s[i:], op) {
					toks = append(toks, op)
					i += len(op)
					matched = true
					break
				}
			}
			if matched {
				continue
			}
			if strings.ContainsRune("[](){},", rune(c)) {
				toks = append(toks, string(c))
				i++
				continue
			}
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\r\n\"[](){},<>|:@", rune(s[j])) {
				j++
			}
			if j == i {
				j = i + 1
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks
}

type tlaParser struct {
	toks []string
	i    int
}

func (p *tlaParser) peek() string {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return ""
}

func (p *tlaParser) expect(t string) error {
	if p.peek() != t {
		if p.i >= len(p.toks) {
			return fmt.Errorf("expected %q, found the end", t)
		}
		return fmt.Errorf("expected %q, found %q", t, p.peek())
	}
	p.i++
	return nil
}

// list parses values separated by sep up to close (consumed).
func (p *tlaParser) list(close string, elem func() (string, error)) ([]string, error) {
	var out []string
	if p.peek() == close {
		p.i++
		return out, nil
	}
	for {
		e, err := elem()
		if err != nil {
			return nil, err
		}
		out = append(out, e)
		if p.peek() == "," {
			p.i++
			continue
		}
		return out, p.expect(close)
	}
}

func (p *tlaParser) value() (string, error) {
	t := p.peek()
	switch t {
	case "":
		return "", errors.New("expected a value, found the end")
	case "<<":
		p.i++
		el, err := p.list(">>", p.value)
		return "<<" + strings.Join(el, ",") + ">>", err
	case "{":
		p.i++
		el, err := p.list("}", p.value)
		sort.Strings(el)
		return "{" + strings.Join(el, ",") + "}", err
	case "[":
		p.i++
		fields, err := p.list("]", func() (string, error) {
			f := p.peek()
			p.i++
			if err := p.expect("|->"); err != nil {
				return "", err
			}
			v, err := p.value()
			return f + "|->" + v, err
		})
		sort.Strings(fields)
		return "[" + strings.Join(fields, ",") + "]", err
	case "(":
		p.i++
		first, err := p.value()
		if err != nil {
			return "", err
		}
		if p.peek() != ":>" {
			return first, p.expect(")")
		}
		entries := []string{}
		k := first
		for {
			if err := p.expect(":>"); err != nil {
				return "", err
			}
			v, err := p.value()
			if err != nil {
				return "", err
			}
			entries = append(entries, k+":>"+v)
			if p.peek() != "@@" {
				break
			}
			p.i++
			if k, err = p.value(); err != nil {
				return "", err
			}
		}
		sort.Strings(entries)
		return "(" + strings.Join(entries, "@@") + ")", p.expect(")")
	case ">>", "]", ")", "}", ",", "|->", ":>", "@@":
		return "", fmt.Errorf("unexpected %q", t)
	}
	p.i++
	return t, nil
}
