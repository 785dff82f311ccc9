package model

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/gmplab/gmplab/spec"
)

// TLCStateVars are all the variables of tla/GMP.tla, in its VARIABLES order.
var TLCStateVars = []string{"Ps", "Ms", "Gs", "Global", "IdleP", "IdleM", "NMSpinning", "NeedSpinning", "Keys", "Exited"}

// tlcFullView is tlcView plus Gs and Keys: every GMP.tla variable, for a
// state of GMP.tla's workload class (straight-line programs, untimed). A G's
// fn is its function's index in Funcs (1-based: Env.Code.Funcs index + 1),
// its pc the 1-based index of its current statement (its frame's PC + 1),
// 0 for a dead G.
func tlcFullView(s State) map[string]string {
	v := tlcView(s)
	b2s := func(b bool) string {
		if b {
			return "TRUE"
		}
		return "FALSE"
	}
	gs := make([]string, len(s.Gs))
	for i, g := range s.Gs {
		pc := 0
		if g.Stack.Top != nil && g.Status != spec.GDead {
			pc = g.Stack.Top.PC + 1
		}
		gs[i] = fmt.Sprintf("[st |-> %q, m |-> %d, fn |-> %d, pc |-> %d, preempt |-> %s, fresh |-> %s, wkey |-> %d, wn |-> %d]",
			g.Status.String(), g.M, g.Fn+1, pc, b2s(g.Preempt), b2s(g.Fresh), g.WaitKey, g.WaitN)
	}
	v["Gs"] = "<<" + strings.Join(gs, ", ") + ">>"
	if len(s.Keys) == 0 {
		v["Keys"] = "<<>>"
	} else {
		ks := make([]string, len(s.Keys))
		for i, k := range s.Keys {
			ws := make([]string, len(k.Waiters))
			for j, w := range k.Waiters {
				ws[j] = strconv.Itoa(int(w))
			}
			ks[i] = fmt.Sprintf("%d :> [permits |-> %d, waiters |-> <<%s>>]", i, k.Permits, strings.Join(ws, ", "))
		}
		v["Keys"] = "(" + strings.Join(ks, " @@ ") + ")"
	}
	return v
}

// TLCStateText renders every GMP.tla variable of s (TLCStateVars) in the
// canonical form of canonTLA, one "Var=value" line per variable in
// TLCStateVars order. For a state of GMP.tla's workload class it equals
// CanonTLCState of TLC's printing of the corresponding TLA+ state.
func TLCStateText(s State) string {
	view := tlcFullView(s)
	var b strings.Builder
	for i, v := range TLCStateVars {
		c, err := canonTLA(view[v])
		if err != nil { // cannot happen: the renderings parse
			panic(fmt.Sprintf("model.TLCStateText: %s: %v", v, err))
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(v + "=" + c)
	}
	return b.String()
}

// CanonTLCState renders a TLC state (variable -> value as TLC printed it)
// like TLCStateText. Every variable of TLCStateVars must be present, and
// no other.
func CanonTLCState(vars map[string]string) (string, error) {
	if len(vars) != len(TLCStateVars) {
		return "", fmt.Errorf("%d variables, GMP.tla has %d", len(vars), len(TLCStateVars))
	}
	var b strings.Builder
	for i, v := range TLCStateVars {
		raw, ok := vars[v]
		if !ok {
			return "", fmt.Errorf("no variable %s", v)
		}
		c, err := canonTLA(raw)
		if err != nil {
			return "", fmt.Errorf("%s: %v", v, err)
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(v + "=" + c)
	}
	return b.String(), nil
}

// TLCDigest is the hex SHA-256 of the sorted texts joined by "\n" (the
// input is not modified).
func TLCDigest(states []string) string {
	sorted := append([]string(nil), states...)
	sort.Strings(sorted)
	h := sha256.New()
	for i, s := range sorted {
		if i > 0 {
			h.Write([]byte{'\n'})
		}
		io.WriteString(h, s)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ReachableTLCDigest explores every state reachable from init (breadth
// first over Enabled and Step, deduplicated by Fingerprint, as
// model.Explore) and returns TLCDigest of their TLCStateTexts and their
// number.
func ReachableTLCDigest(init State) (string, int, error) {
	if init.Env == nil {
		return "", 0, fmt.Errorf("model.ReachableTLCDigest: state has no Env (use model.Init)")
	}
	seen := map[uint64]bool{init.Fingerprint(): true}
	texts := []string{TLCStateText(init)}
	queue := []State{init}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, a := range Enabled(s) {
			ns, err := stepNoPanic(s, a)
			if err != nil {
				return "", 0, fmt.Errorf("model.ReachableTLCDigest: %v: %v", a, err)
			}
			fp := ns.Fingerprint()
			if seen[fp] {
				continue
			}
			seen[fp] = true
			texts = append(texts, TLCStateText(ns))
			queue = append(queue, ns)
		}
	}
	return TLCDigest(texts), len(texts), nil
}

// ReadTLCDump reads the file TLC writes with -dump FILE (every distinct
// state as "State N:" followed by "/\ Var = value" lines, a blank line
// after each) and returns CanonTLCState of each state, in the file's order.
func ReadTLCDump(name string, r io.Reader) ([]string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	line := 0
	var out []string
	var vars map[string]string
	stateLine := 0
	curVar := ""
	var val strings.Builder
	flushVar := func() {
		if vars != nil && curVar != "" {
			vars[curVar] = strings.TrimSpace(val.String())
		}
		curVar = ""
		val.Reset()
	}
	flushState := func() error {
		flushVar()
		if vars == nil {
			return nil
		}
		c, err := CanonTLCState(vars)
		if err != nil {
			return fmt.Errorf("%s:%d: %v", name, stateLine, err)
		}
		out = append(out, c)
		vars = nil
		return nil
	}
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), " \t\r")
		switch {
		case strings.HasPrefix(text, "State ") && strings.HasSuffix(text, ":"):
			if err := flushState(); err != nil {
				return nil, err
			}
			if _, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(text, "State "), ":")); err != nil {
				return nil, fmt.Errorf("%s:%d: expected \"State N:\", found %q", name, line, text)
			}
			vars = map[string]string{}
			stateLine = line
		case text == "":
			if err := flushState(); err != nil {
				return nil, err
			}
		case vars == nil:
			return nil, fmt.Errorf("%s:%d: expected \"State N:\", found %q", name, line, text)
		case strings.HasPrefix(text, "/\\ "):
			flushVar()
			v, value, ok := strings.Cut(strings.TrimPrefix(text, "/\\ "), " = ")
			v = strings.TrimSpace(v)
			if !ok || v == "" || strings.ContainsAny(v, " \t") {
				return nil, fmt.Errorf("%s:%d: expected \"/\\ Var = value\", found %q", name, line, text)
			}
			if _, dup := vars[v]; dup {
				return nil, fmt.Errorf("%s:%d: %s assigned twice", name, line, v)
			}
			curVar = v
			val.WriteString(value)
		case curVar == "":
			return nil, fmt.Errorf("%s:%d: expected \"/\\ Var = value\", found %q", name, line, text)
		default:
			val.WriteByte('\n')
			val.WriteString(text)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	if err := flushState(); err != nil {
		return nil, err
	}
	return out, nil
}
