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
var TLCStateVars = []string{"Ps", "Ms", "Gs", "Global", "IdleP", "IdleM", "NMSpinning", "NeedSpinning", "Keys", "Exited", "NProcs", "Fatal"}

// tlcFullView renders every GMP.tla variable of s (TLCStateVars), for a
// state of the untimed model, directly in canonTLA's canonical form
// (TestTLCCanonDirect checks that canonTLA leaves each unchanged; parsing
// every rendering back made ReachableTLCDigest several times slower). Ps
// is allp (dead Ps included) as P -> [m, st, next, runq, stick, ytick]; Ms
// is the sequence of [p, curg, spin, oldp]; Global, IdleP and IdleM are
// sequences; NMSpinning, NeedSpinning and Exited as in State. A G is
//
//	[st, m, fn, preempt, fresh, wkey, wn, left, gen, size, frames]
//
// with fn its function's 1-based index in Funcs (Env.Code.Funcs index + 1),
// left in nanoseconds, gen and size its stack's generation and size (its
// addresses are implied by spec.StackRegion; a dead G's are 0) and frames
// outermost first, each [fn, pc (1-based), n, loops, slots]. Every slot is
// rendered (a frame's nil Slots as zero words, as AppendKey treats them).
// A word is [ptr, val, win, tf, ts]: see tlcWord. Keys is
// 0 :> [permits, waiters] @@ ..., NProcs is State.Procs and Fatal is
// [reason, g] ("" and NoG while the run has no fatal error).
func tlcFullView(s State) map[string]string {
	i := func(v int64) string { return strconv.FormatInt(v, 10) }
	seq := func(n int, f func(k int) string) string {
		parts := make([]string, n)
		for k := range parts {
			parts[k] = f(k)
		}
		return "<<" + strings.Join(parts, ",") + ">>"
	}
	gids := func(q []spec.GID) string { return seq(len(q), func(k int) string { return i(int64(q[k])) }) }
	fcn := func(n int, f func(k int) string) string {
		if n == 0 {
			return "<<>>" // TLC prints the empty function as <<>>
		}
		parts := make([]string, n)
		for k := range parts {
			parts[k] = i(int64(k)) + ":>" + f(k)
		}
		sort.Strings(parts)
		return "(" + strings.Join(parts, "@@") + ")"
	}
	v := map[string]string{
		"Ps": fcn(len(s.Ps), func(k int) string {
			p := &s.Ps[k]
			return tlcRecord("m", i(int64(p.M)), "st", strconv.Quote(p.Status.String()), "next", i(int64(p.Runnext)),
				"runq", gids(p.Runq), "stick", i(int64(p.Schedtick)), "ytick", i(int64(p.Syscalltick)))
		}),
		"Ms": seq(len(s.Ms), func(k int) string {
			m := &s.Ms[k]
			return tlcRecord("p", i(int64(m.P)), "curg", i(int64(m.Curg)), "spin", tlcBool(m.Spinning), "oldp", i(int64(m.OldP)))
		}),
		"Gs":           seq(len(s.Gs), func(k int) string { return tlcG(s, spec.GID(k+1)) }),
		"Global":       gids(s.Global),
		"IdleP":        seq(len(s.IdleP), func(k int) string { return i(int64(s.IdleP[k])) }),
		"IdleM":        seq(len(s.IdleM), func(k int) string { return i(int64(s.IdleM[k])) }),
		"NMSpinning":   i(int64(s.NMSpinning)),
		"NeedSpinning": tlcBool(s.NeedSpinning),
		"Keys": fcn(len(s.Keys), func(k int) string {
			return tlcRecord("permits", i(s.Keys[k].Permits), "waiters", gids(s.Keys[k].Waiters))
		}),
		"Exited": tlcBool(s.Exited),
		"NProcs": i(int64(s.Procs)),
	}
	reason, fg := "", spec.NoG
	if s.Fatal != "" {
		reason, fg = s.FatalReason, s.FatalG
	}
	v["Fatal"] = tlcRecord("reason", strconv.Quote(reason), "g", i(int64(fg)))
	return v
}

func tlcBool(b bool) string {
	if b {
		return "TRUE"
	}
	return "FALSE"
}

// tlcG renders G g of s as GMP.tla's Gs[g], directly in canonTLA's
// canonical form (TestTLCCanonDirect checks that canonTLA leaves it
// unchanged): rendering and re-parsing every G of every state made
// ReachableTLCDigest several times slower.
func tlcG(s State, id spec.GID) string {
	g := &s.Gs[id-1]
	i := func(v int64) string { return strconv.FormatInt(v, 10) }
	frames := g.Stack.Frames()
	fs := make([]string, len(frames))
	for k, n := range frames {
		loops := make([]string, len(n.Loops))
		for j, l := range n.Loops {
			loops[j] = i(l)
		}
		slots := make([]string, s.Env.Code.Funcs[n.Fn].Slots)
		for j := range slots {
			slots[j] = tlcWord(id, n.Slot(j))
		}
		fs[k] = tlcRecord("fn", i(int64(n.Fn+1)), "pc", i(int64(n.PC+1)), "n", i(n.N),
			"loops", "<<"+strings.Join(loops, ",")+">>", "slots", "<<"+strings.Join(slots, ",")+">>")
	}
	return tlcRecord("st", strconv.Quote(g.Status.String()), "m", i(int64(g.M)), "fn", i(int64(g.Fn+1)),
		"preempt", tlcBool(g.Preempt), "fresh", tlcBool(g.Fresh), "wkey", i(int64(g.WaitKey)),
		"wn", i(g.WaitN), "left", i(int64(g.Left)), "gen", i(int64(g.Stack.Gen)), "size", i(g.Stack.Size()),
		"frames", "<<"+strings.Join(fs, ",")+">>")
}

// tlcRecord renders a record from field, value pairs (values already
// canonical) as canonTLA does: "[f|->v,...]" sorted as strings.
func tlcRecord(kv ...string) string {
	fields := make([]string, 0, len(kv)/2)
	for k := 0; k+1 < len(kv); k += 2 {
		fields = append(fields, kv[k]+"|->"+kv[k+1])
	}
	sort.Strings(fields)
	return "[" + strings.Join(fields, ",") + "]"
}

// tlcWord renders a word of G g's stack as GMP.tla's [ptr, val, win, tf,
// ts], canonically. TLC's integers have 32 bits, so a pointer's address
// is rendered as the window it lies in (win: the gen % 256 of
// spec.StackRegion) and its offset below that window's top (val); tf and
// ts are its ghost Target. A plain value has val its int64 value and win,
// tf, ts 0.
func tlcWord(g spec.GID, w spec.Word) string {
	if !w.Ptr {
		return "[ptr|->FALSE,tf|->0,ts|->0,val|->" + strconv.FormatInt(int64(w.Val), 10) + ",win|->0]"
	}
	_, top0 := spec.StackRegion(g, 0, 0) // the top of window 0
	base := top0 - 1<<31                 // the bottom of g's address range
	rel := w.Val - base                  // wraps for an address below g's range
	win := rel >> 31
	off := (win+1)<<31 - rel
	return fmt.Sprintf("[ptr|->TRUE,tf|->%d,ts|->%d,val|->%d,win|->%d]", w.Target.Frame, w.Target.Slot, int64(off), int64(win))
}

// TLAFuncs renders code's functions as GMP.tla's constant Funcs: a
// sequence, in Code.Funcs order, of [frame |-> bytes, body |-> <<...>>],
// each instruction written Ins([op |-> ..., ...]) with the fields it uses
// (f: 1-based function index, k: key index, n, d: duration in ns, slot,
// up, to, deref, jump: 1-based index). MCGMP.tla's workload operators are
// exactly this text (properties/tla_test.go checks it).
func TLAFuncs(code *spec.Code) string {
	var b strings.Builder
	b.WriteString("<<")
	for i, f := range code.Funcs {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "\n    \\* %s\n    [frame |-> %d, body |-> <<", f.Name, f.Frame)
		for j, in := range f.Instrs {
			if j > 0 {
				b.WriteString(",")
			}
			b.WriteString("\n        " + tlaInstr(in))
		}
		b.WriteString(" >>]")
	}
	b.WriteString(" >>")
	return b.String()
}

func tlaInstr(in spec.Instr) string {
	op := in.Op.String()
	if in.Op == spec.OpEnd {
		op = "end"
	}
	fields := []string{fmt.Sprintf("op |-> %q", op)}
	add := func(k string, v any) { fields = append(fields, fmt.Sprintf("%s |-> %v", k, v)) }
	switch in.Op {
	case spec.OpCompute, spec.OpSyscall:
		add("d", int64(in.Dur))
	case spec.OpCall, spec.OpSpawn:
		add("f", in.Fn+1)
		add("n", in.N)
	case spec.OpDescend:
		add("f", in.Fn+1)
	case spec.OpPark:
		add("k", in.Key)
		add("n", in.N)
	case spec.OpReady:
		add("k", in.Key)
	case spec.OpGomaxprocs:
		add("n", in.N)
	case spec.OpSet, spec.OpStore:
		add("slot", in.Slot)
		add("n", in.N)
	case spec.OpRef:
		add("slot", in.Slot)
		add("up", in.Up)
		add("to", in.To)
	case spec.OpCheck:
		add("slot", in.Slot)
		add("n", in.N)
		add("deref", tlcBool(in.Deref))
	case spec.OpRepeat, spec.OpEnd:
		if in.Op == spec.OpRepeat {
			add("n", in.N)
		}
		add("jump", in.Jump+1)
	}
	return "Ins([" + strings.Join(fields, ", ") + "])"
}

// TLCStateText renders every GMP.tla variable of s (TLCStateVars) in the
// canonical form of canonTLA, one "Var=value" line per variable in
// TLCStateVars order. For a state of the untimed model it equals
// CanonTLCState of TLC's printing of the corresponding TLA+ state.
func TLCStateText(s State) string {
	view := tlcFullView(s)
	var b strings.Builder
	for i, v := range TLCStateVars {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(v + "=" + view[v])
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
