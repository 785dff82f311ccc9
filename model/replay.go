package model

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gmplab/gmplab/spec"
)

// TraceHeader is a trace file's header: what is needed to rebuild the
// initial state (with the workload compiled) and what the trace shows.
//
// A trace file is a replayable action sequence: a counterexample the
// explorer found, or any run to reproduce. Header lines start with "#";
// then one action per line in its Action.String form (ParseAction reads
// it back). Blank lines are ignored. Example:
//
//	# workload: examples/spawn10.gmp
//	# config: procs=2 runq-size=2 spill-batch=1 global-batch-cap=1
//	# boot: schedtick=3 ring=updater runnext=fin
//	# mutants: spill-drops-kicked
//	# violation: GInOnePlace: g4 is runnable but on no run queue
//	Spawn m=m0
//	Schedule m=m1
//
// The header keys are workload, config (spec.Config.String, read with
// spec.ParseConfig), boot (schedtick=N ring=F,F runnext=F, each part
// omitted when empty or zero, the line omitted when all are), mutants
// (Mutants.String), mode (timed; omitted for the explorer's untimed mode)
// and violation (NAME: message). config is required; the others are
// optional and may come in any order, each at most once, all before the
// first action. Other "#" lines are comments.
type TraceHeader struct {
	Workload  string      // the workload file's path, as given
	Config    spec.Config // the policy
	Boot      Boot
	Mutants   Mutants
	Timed     bool   // the simulator's timed mode (Advance, SysmonTick)
	Violation string // the broken check's name, or ""
	Message   string // its message
}

// Init builds the trace's initial state from the compiled workload.
func (h *TraceHeader) Init(code *spec.Code) (State, error) {
	env := &Env{Cfg: h.Config, Code: code, Timed: h.Timed, Mutants: h.Mutants}
	return Init(env, h.Boot)
}

// WriteTrace writes h and actions in the trace file format. Newlines in
// the violation message are written as spaces; other header values must
// not contain newlines.
func WriteTrace(w io.Writer, h TraceHeader, actions []Action) error {
	var b strings.Builder
	oneLine := func(what, v string) error {
		if strings.ContainsAny(v, "\r\n") {
			return fmt.Errorf("model.WriteTrace: %s %q contains a newline", what, v)
		}
		return nil
	}
	if h.Workload != "" {
		if err := oneLine("workload", h.Workload); err != nil {
			return err
		}
		fmt.Fprintf(&b, "# workload: %s\n", h.Workload)
	}
	fmt.Fprintf(&b, "# config: %s\n", h.Config.String())
	if boot := formatBoot(h.Boot); boot != "" {
		for _, f := range append(h.Boot.Ring, h.Boot.Runnext) {
			if f != "" && (strings.ContainsAny(f, ", \t\r\n=") || f != strings.TrimSpace(f)) {
				return fmt.Errorf("model.WriteTrace: boot function %q cannot be written", f)
			}
		}
		fmt.Fprintf(&b, "# boot: %s\n", boot)
	}
	if h.Mutants != 0 {
		fmt.Fprintf(&b, "# mutants: %s\n", h.Mutants)
	}
	if h.Timed {
		b.WriteString("# mode: timed\n")
	}
	if h.Violation != "" {
		if err := oneLine("violation", h.Violation); err != nil {
			return err
		}
		msg := strings.Join(strings.Fields(h.Message), " ")
		if msg != "" {
			fmt.Fprintf(&b, "# violation: %s: %s\n", h.Violation, msg)
		} else {
			fmt.Fprintf(&b, "# violation: %s\n", h.Violation)
		}
	}
	for i, a := range actions {
		if a == nil {
			return fmt.Errorf("model.WriteTrace: action %d is nil", i)
		}
		b.WriteString(a.String())
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func formatBoot(bt Boot) string {
	var parts []string
	if bt.Schedtick != 0 {
		parts = append(parts, "schedtick="+strconv.FormatUint(uint64(bt.Schedtick), 10))
	}
	if len(bt.Ring) > 0 {
		parts = append(parts, "ring="+strings.Join(bt.Ring, ","))
	}
	if bt.Runnext != "" {
		parts = append(parts, "runnext="+bt.Runnext)
	}
	return strings.Join(parts, " ")
}

func parseBoot(s string) (Boot, error) {
	var bt Boot
	seen := map[string]bool{}
	for _, w := range strings.Fields(s) {
		k, v, ok := strings.Cut(w, "=")
		if !ok {
			return bt, fmt.Errorf("boot: expected key=value, found %q", w)
		}
		if seen[k] {
			return bt, fmt.Errorf("boot: %s given twice", k)
		}
		seen[k] = true
		switch k {
		case "schedtick":
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil {
				return bt, fmt.Errorf("boot: schedtick=%s: want a non-negative 32-bit integer", v)
			}
			bt.Schedtick = uint32(n)
		case "ring":
			for _, f := range strings.Split(v, ",") {
				if f == "" {
					return bt, fmt.Errorf("boot: ring=%s: empty function name", v)
				}
				bt.Ring = append(bt.Ring, f)
			}
		case "runnext":
			if v == "" {
				return bt, errors.New("boot: runnext= needs a function name")
			}
			bt.Runnext = v
		default:
			return bt, fmt.Errorf("boot: unknown key %q (known: schedtick, ring, runnext)", k)
		}
	}
	return bt, nil
}

// ReadTrace reads a trace file. name is used in errors, which say
// "name:line: what is wrong".
func ReadTrace(name string, r io.Reader) (TraceHeader, []Action, error) {
	var h TraceHeader
	var actions []Action
	seen := map[string]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	line := 0
	errAt := func(format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", name, line, fmt.Sprintf(format, args...))
	}
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		if !strings.HasPrefix(text, "#") {
			a, err := ParseAction(text)
			if err != nil {
				return h, nil, errAt("%v", err)
			}
			actions = append(actions, a)
			continue
		}
		body := strings.TrimSpace(text[1:])
		key, val, ok := strings.Cut(body, ":")
		if !ok {
			continue // a comment
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		switch key {
		case "workload", "config", "boot", "mutants", "mode", "violation":
		default:
			continue // a comment
		}
		if len(actions) > 0 {
			return h, nil, errAt("header line %q after the first action", key)
		}
		if prev, dup := seen[key]; dup {
			return h, nil, errAt("%s given twice (first at line %d)", key, prev)
		}
		seen[key] = line
		switch key {
		case "workload":
			if val == "" {
				return h, nil, errAt("workload: empty path")
			}
			h.Workload = val
		case "config":
			cfg, err := spec.ParseConfig(val)
			if err != nil {
				return h, nil, errAt("%v", err)
			}
			h.Config = cfg
		case "boot":
			bt, err := parseBoot(val)
			if err != nil {
				return h, nil, errAt("%v", err)
			}
			h.Boot = bt
		case "mutants":
			m, err := ParseMutants(val)
			if err != nil {
				return h, nil, errAt("%v", err)
			}
			h.Mutants = m
		case "mode":
			switch val {
			case "timed":
				h.Timed = true
			case "untimed":
				h.Timed = false
			default:
				return h, nil, errAt("mode: want timed or untimed, found %q", val)
			}
		case "violation":
			n, msg, _ := strings.Cut(val, ":")
			n = strings.TrimSpace(n)
			if n == "" || strings.ContainsAny(n, " \t") {
				return h, nil, errAt("violation: expected NAME: message, found %q", val)
			}
			h.Violation, h.Message = n, strings.TrimSpace(msg)
		}
	}
	if err := sc.Err(); err != nil {
		return h, nil, fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	if _, ok := seen["config"]; !ok {
		return h, nil, fmt.Errorf("%s: no \"# config:\" line", name)
	}
	return h, actions, nil
}

// ReplayError says where a replayed trace diverges from the model: the
// index of the first action that is not enabled, and why.
type ReplayError struct {
	Index  int // 0-based index into the actions
	Action Action
	Reason string
}

func (e *ReplayError) Error() string {
	return fmt.Sprintf("action %d (%v) is not enabled: %s", e.Index+1, e.Action, e.Reason)
}

// Replay applies actions to init in order. states[0] is init and
// states[i+1] the state after actions[i]. An action must be one that
// Enabled lists; at the first that is not, Replay returns the states up
// to it and a *ReplayError with its index and the reason (Step's, or that
// Enabled does not list it). A panic in the model is reported the same
// way.
func Replay(init State, actions []Action) (states []State, err error) {
	if init.Env == nil {
		return nil, errors.New("model.Replay: state has no Env (use model.Init)")
	}
	states = make([]State, 1, len(actions)+1)
	states[0] = init
	s := init
	i := 0
	defer func() {
		if r := recover(); r != nil {
			err = &ReplayError{Index: i, Action: actions[i], Reason: fmt.Sprintf("the model panicked: %v", r)}
		}
	}()
	for ; i < len(actions); i++ {
		a := actions[i]
		if a == nil {
			return states, &ReplayError{Index: i, Reason: "nil action"}
		}
		ns, err := Step(s, a)
		if err != nil {
			var de *DisabledError
			reason := err.Error()
			if errors.As(err, &de) {
				reason = de.Why
			}
			return states, &ReplayError{Index: i, Action: a, Reason: reason}
		}
		listed := false
		for _, b := range Enabled(s) {
			if b == a {
				listed = true
				break
			}
		}
		if !listed {
			return states, &ReplayError{Index: i, Action: a, Reason: "Step accepts it but Enabled does not list it"}
		}
		states = append(states, ns)
		s = ns
	}
	return states, nil
}
