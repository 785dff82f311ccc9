package properties

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/gmplab/gmplab/spec"
)

// A run queue history is a list of operations with call and return
// timestamps (rqOp), recorded on real goroutines by runLinHistory and
// checked by checkLinPorcupine and checkLinFast. Its text form, one
// operation per line, is what a failure saves and what -lin.history and
// the testdata/lin corpus replay:
//
//	# config: procs=2 runq-size=4 ...
//	# groups: 1
//	c=0 call=3 ret=4 op=Put p=0 g=1 next=1 | g=0 n=0
//	c=1 call=5 ret=9 op=Steal p=1 victim=0 next=1 | g=1 n=1
//	c=2 call=20 ret=20 op=Check group=0 | runnext=0,0 ring0= ring1= global=
//
// c is the client (the goroutine, for porcupine's visualization); left of
// "|" the input, right of it the output. A Check's output is the final
// snapshot of its group: runnext by P, each P's ring and the global queue,
// as comma-separated G numbers (0 is no G).

// rqOp is one operation of a history.
type rqOp struct {
	Client int
	In     rqInput
	Out    rqOutput
}

// rqHistory is a history with the config it ran under and the number of
// independent groups of Ps it has (porcupine checks each separately).
type rqHistory struct {
	Cfg    spec.Config
	Groups int
	Ops    []rqOp
	// Perturbed: recorded with impl.RunQueueLabOptions.Perturb in effect
	// (for the test's statistics; not in the text form).
	Perturbed bool
}

func joinGIDs(gs []spec.GID) string {
	parts := make([]string, len(gs))
	for i, g := range gs {
		parts[i] = strconv.Itoa(int(g))
	}
	return strings.Join(parts, ",")
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// String formats one operation as a history line.
func (o rqOp) String() string {
	in, out := o.In, o.Out
	var b strings.Builder
	fmt.Fprintf(&b, "c=%d call=%d ret=%d op=%s", o.Client, in.Call, in.Ret, in.Kind)
	if in.Kind != rqCheck && in.Group != 0 {
		fmt.Fprintf(&b, " group=%d", in.Group)
	}
	switch in.Kind {
	case rqPut:
		fmt.Fprintf(&b, " p=%d g=%d next=%d | g=%d n=%d", in.P, in.G, b2i(in.Next), out.G, out.N)
	case rqGet:
		fmt.Fprintf(&b, " p=%d | g=%d inherit=%d", in.P, out.G, b2i(out.Inherit))
	case rqDrain:
		fmt.Fprintf(&b, " p=%d | gs=%s", in.P, joinGIDs(out.Gs))
	case rqSteal:
		fmt.Fprintf(&b, " p=%d victim=%d next=%d | g=%d n=%d", in.P, in.Victim, b2i(in.Next), out.G, out.N)
	case rqEmpty:
		fmt.Fprintf(&b, " p=%d | empty=%d", in.P, b2i(out.Empty))
	case rqGlobalPut:
		fmt.Fprintf(&b, " p=%d g=%d |", in.P, in.G)
	case rqGlobalGet:
		fmt.Fprintf(&b, " p=%d | g=%d n=%d", in.P, out.G, out.N)
	case rqCheck:
		fmt.Fprintf(&b, " group=%d |", in.Group)
		if s := out.Snap; s != nil {
			fmt.Fprintf(&b, " runnext=%s", joinGIDs(s.Runnext))
			for i, r := range s.Rings {
				fmt.Fprintf(&b, " ring%d=%s", i, joinGIDs(r))
			}
			fmt.Fprintf(&b, " global=%s", joinGIDs(s.Global))
		}
	}
	return b.String()
}

// describeRqOp is the operation's porcupine description.
func describeRqOp(in rqInput, out rqOutput) string {
	switch in.Kind {
	case rqPut:
		next := ""
		if in.Next {
			next = ", next"
		}
		return fmt.Sprintf("Put(p%d, %v%s) -> kicked %v, spilled %d", in.P, in.G, next, out.G, out.N)
	case rqGet:
		return fmt.Sprintf("Get(p%d) -> %v inherit=%v", in.P, out.G, out.Inherit)
	case rqDrain:
		return fmt.Sprintf("Drain(p%d) -> %s", in.P, gidsString(out.Gs))
	case rqSteal:
		return fmt.Sprintf("Steal(p%d from p%d, runnext=%v) -> %v, n=%d", in.P, in.Victim, in.Next, out.G, out.N)
	case rqEmpty:
		return fmt.Sprintf("Empty(p%d) -> %v", in.P, out.Empty)
	case rqGlobalPut:
		return fmt.Sprintf("GlobalPut(%v)", in.G)
	case rqGlobalGet:
		return fmt.Sprintf("GlobalGet(p%d) -> %v, n=%d", in.P, out.G, out.N)
	case rqCheck:
		if out.Snap == nil {
			return "Check -> nothing"
		}
		return fmt.Sprintf("Check(group %d) -> runnext %s rings %v global %s", in.Group, gidsString(out.Snap.Runnext), out.Snap.Rings, gidsString(out.Snap.Global))
	}
	return in.Kind.String()
}

// writeRqHistory writes h in the text form.
func writeRqHistory(w io.Writer, h rqHistory, comments ...string) error {
	bw := bufio.NewWriter(w)
	for _, c := range comments {
		for _, line := range strings.Split(c, "\n") {
			fmt.Fprintf(bw, "# %s\n", line)
		}
	}
	fmt.Fprintf(bw, "# config: %s\n# groups: %d\n", h.Cfg, h.Groups)
	for _, o := range h.Ops {
		fmt.Fprintln(bw, o.String())
	}
	return bw.Flush()
}

// readRqHistory parses the text form; errors name the file and line.
func readRqHistory(name string, r io.Reader) (rqHistory, error) {
	h := rqHistory{Groups: 1}
	sawConfig := false
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for ln := 1; sc.Scan(); ln++ {
		line := strings.TrimSpace(sc.Text())
		fail := func(format string, args ...any) (rqHistory, error) {
			return rqHistory{}, fmt.Errorf("%s:%d: %s", name, ln, fmt.Sprintf(format, args...))
		}
		if line == "" {
			continue
		}
		if c, ok := strings.CutPrefix(line, "#"); ok {
			c = strings.TrimSpace(c)
			if v, ok := strings.CutPrefix(c, "config:"); ok {
				cfg, err := spec.ParseConfig(strings.TrimSpace(v))
				if err != nil {
					return fail("%v", err)
				}
				h.Cfg, sawConfig = cfg, true
			} else if v, ok := strings.CutPrefix(c, "groups:"); ok {
				n, err := strconv.Atoi(strings.TrimSpace(v))
				if err != nil || n < 1 {
					return fail("groups: expected a positive number, got %q", strings.TrimSpace(v))
				}
				h.Groups = n
			}
			continue
		}
		if !sawConfig {
			return fail("an operation before the '# config:' line")
		}
		o, err := parseRqOp(line, h.Cfg.Procs)
		if err != nil {
			return fail("%v", err)
		}
		if o.In.Group < 0 || o.In.Group >= h.Groups {
			return fail("group %d is not in [0, %d)", o.In.Group, h.Groups)
		}
		h.Ops = append(h.Ops, o)
	}
	if err := sc.Err(); err != nil {
		return rqHistory{}, fmt.Errorf("%s: %v", name, err)
	}
	if !sawConfig {
		return rqHistory{}, fmt.Errorf("%s: no '# config:' line", name)
	}
	return h, nil
}

// parseRqOp parses one operation line.
func parseRqOp(line string, procs int) (rqOp, error) {
	left, right, ok := strings.Cut(line, "|")
	if !ok {
		return rqOp{}, fmt.Errorf("expected 'input | output', no '|'")
	}
	kv := map[string]string{}
	var order []string
	// Output keys are stored with a ">" prefix: Put's input and output
	// both have a g.
	for i, part := range []string{left, right} {
		for _, f := range strings.Fields(part) {
			k, v, ok := strings.Cut(f, "=")
			if !ok {
				return rqOp{}, fmt.Errorf("expected key=value, got %q", f)
			}
			if i == 1 {
				k = ">" + k
			}
			if _, dup := kv[k]; dup {
				return rqOp{}, fmt.Errorf("%s given twice", strings.TrimPrefix(k, ">"))
			}
			kv[k] = v
			order = append(order, k)
		}
	}
	used := map[string]bool{}
	num := func(k string, def int64) (int64, error) {
		v, ok := kv[k]
		used[k] = true
		if !ok {
			return def, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s=%q: expected a number", k, v)
		}
		return n, nil
	}
	list := func(k string) ([]spec.GID, error) {
		v := kv[k]
		used[k] = true
		if v == "" {
			return nil, nil
		}
		var out []spec.GID
		for _, s := range strings.Split(v, ",") {
			n, err := strconv.ParseInt(s, 10, 32)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("%s=%q: expected G numbers separated by commas", k, v)
			}
			out = append(out, spec.GID(n))
		}
		return out, nil
	}
	var o rqOp
	var err error
	var errs []error
	geti := func(k string) int {
		n, e := num(k, 0)
		if e != nil {
			errs = append(errs, e)
		}
		return int(n)
	}
	o.Client = geti("c")
	o.In.Call = int64(geti("call"))
	o.In.Ret = int64(geti("ret"))
	used["op"] = true
	kind := slices.Index(rqOpNames[:], kv["op"])
	if kind < 0 {
		return rqOp{}, fmt.Errorf("op=%q: expected one of %s", kv["op"], strings.Join(rqOpNames[:], ", "))
	}
	o.In.Kind = rqOpKind(kind)
	o.In.Group = geti("group")
	switch o.In.Kind {
	case rqPut:
		o.In.P, o.In.G, o.In.Next = geti("p"), spec.GID(geti("g")), geti("next") != 0
		o.Out.G, o.Out.N = spec.GID(geti(">g")), geti(">n")
	case rqGet:
		o.In.P, o.Out.G, o.Out.Inherit = geti("p"), spec.GID(geti(">g")), geti(">inherit") != 0
	case rqDrain:
		o.In.P = geti("p")
		o.Out.Gs, err = list(">gs")
		errs = append(errs, err)
	case rqSteal:
		o.In.P, o.In.Victim, o.In.Next = geti("p"), geti("victim"), geti("next") != 0
		o.Out.G, o.Out.N = spec.GID(geti(">g")), geti(">n")
	case rqEmpty:
		o.In.P, o.Out.Empty = geti("p"), geti(">empty") != 0
	case rqGlobalPut:
		o.In.P, o.In.G = geti("p"), spec.GID(geti("g"))
	case rqGlobalGet:
		o.In.P, o.Out.G, o.Out.N = geti("p"), spec.GID(geti(">g")), geti(">n")
	case rqCheck:
		s := &rqSnap{}
		s.Runnext, err = list(">runnext")
		errs = append(errs, err)
		for i := range procs {
			r, err := list(">ring" + strconv.Itoa(i))
			errs = append(errs, err)
			s.Rings = append(s.Rings, r)
		}
		s.Global, err = list(">global")
		errs = append(errs, err)
		o.Out.Snap = s
	}
	for _, e := range errs {
		if e != nil {
			return rqOp{}, e
		}
	}
	for _, k := range order {
		if !used[k] {
			side := "an input"
			if strings.HasPrefix(k, ">") {
				side = "an output"
			}
			return rqOp{}, fmt.Errorf("%s= is not %s of %s", strings.TrimPrefix(k, ">"), side, o.In.Kind)
		}
	}
	if o.In.Kind != rqCheck && o.In.Kind != rqGlobalPut && (o.In.P < 0 || o.In.P >= procs) {
		return rqOp{}, fmt.Errorf("p=%d is not in [0, %d)", o.In.P, procs)
	}
	if o.In.Ret < o.In.Call {
		return rqOp{}, fmt.Errorf("ret=%d is before call=%d", o.In.Ret, o.In.Call)
	}
	return o, nil
}
