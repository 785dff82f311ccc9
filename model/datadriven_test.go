package model

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/gmplab/gmplab/spec"
)

// TestMechanisms runs the scenario files in testdata/mechanisms, one per
// scheduler mechanism. Each states the rule it checks (with its proc.go
// reference) in comments; the expected outputs were derived from the rule
// and then checked against the model.
//
// After a change to the model, run
//
//	go test ./model -run TestMechanisms -rewrite
//
// and inspect the diff. Only commit the changes if you understand what
// caused them: an output that moves is a semantic change of the model.
//
// Commands:
//
//	init procs=2 runq-size=4 [KNOB=VALUE ...] [timed] [schedtick=N] [boot-ring=(f,g)] [boot-runnext=f] [mutants=(m,...)]
//	<workload>
//	    Compile the workload and start g1 on main; print the state.
//	step [only=(Kind,...)]
//	<one action per line, optionally followed by xN to repeat it>
//	    Apply the actions and print their events (optionally only some kinds).
//	run [steps=N] [only=(Kind,...)]
//	    Apply the first enabled action until the run ends (at most N steps).
//	state
//	    Print the state (Describe).
//	enabled
//	    List the enabled actions.
//	check
//	    Run every invariant of spec.All on the snapshot.
func TestMechanisms(t *testing.T) {
	datadriven.Walk(t, "testdata/mechanisms", func(t *testing.T, path string) {
		datadriven.RunTest(t, path, mechanismsHandler())
	})
}

// ddMutantOverride switches model mutants on in every scenario
// (TestMutantsCaught); zero otherwise.
var ddMutantOverride Mutants

// mechanismsHandler returns the command handler of one scenario file.
func mechanismsHandler() func(t *testing.T, d *datadriven.TestData) string {
	var s State
	return func(t *testing.T, d *datadriven.TestData) string {
		return mechanismsCommand(t, d, &s)
	}
}

func mechanismsCommand(t testing.TB, d *datadriven.TestData, sp *State) string {
	s := *sp
	defer func() { *sp = s }()
	if d.Cmd != "init" && s.Env == nil {
		d.Fatalf(t, "%s before init", d.Cmd)
	}
	switch d.Cmd {
	case "init":
		var err error
		s, err = ddInit(t, d)
		if err != nil {
			return "error: " + err.Error() + "\n"
		}
		return Describe(s)
	case "step":
		only := ddOnly(d)
		var out strings.Builder
		for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			times := 1
			if i := strings.LastIndex(line, " x"); i > 0 {
				if n, err := strconv.Atoi(line[i+2:]); err == nil {
					times, line = n, line[:i]
				}
			}
			a, err := ParseAction(line)
			if err != nil {
				d.Fatalf(t, "%v", err)
			}
			for range times {
				ns, evs, err := StepTrace(s, a)
				if err != nil {
					fmt.Fprintf(&out, "error: %v\n", err)
					break
				}
				ddEvents(&out, evs, only)
				s = ns
				ddCheck(t, d, s)
			}
		}
		return out.String()
	case "run":
		steps := 100000
		d.MaybeScanArgs(t, "steps", &steps)
		only := ddOnly(d)
		var out strings.Builder
		for range steps {
			en := Enabled(s)
			if len(en) == 0 {
				break
			}
			ns, evs, err := StepTrace(s, en[0])
			if err != nil {
				d.Fatalf(t, "%v", err)
			}
			ddEvents(&out, evs, only)
			s = ns
			ddCheck(t, d, s)
		}
		if s.Deadlocked() {
			out.WriteString("deadlock: all goroutines are asleep\n")
		}
		return out.String()
	case "state":
		return Describe(s)
	case "enabled":
		var out strings.Builder
		for _, a := range Enabled(s) {
			fmt.Fprintln(&out, a)
		}
		return out.String()
	case "check":
		snap := s.Snapshot()
		if err := spec.All(&snap); err != nil {
			return "violation: " + err.Error() + "\n"
		}
		return "ok\n"
	}
	d.Fatalf(t, "unknown command %q", d.Cmd)
	return ""
}

func ddInit(t testing.TB, d *datadriven.TestData) (State, error) {
	cfg := spec.Default(1)
	env := &Env{}
	var boot Boot
	for _, arg := range d.CmdArgs {
		switch arg.Key {
		case "timed":
			env.Timed = true
		case "schedtick":
			n, err := strconv.ParseUint(arg.SingleVal(t), 10, 32)
			if err != nil {
				d.Fatalf(t, "schedtick: %v", err)
			}
			boot.Schedtick = uint32(n)
		case "boot-ring":
			boot.Ring = arg.Vals
		case "boot-runnext":
			boot.Runnext = arg.SingleVal(t)
		case "mutants":
			m, err := ParseMutants(strings.Join(arg.Vals, ","))
			if err != nil {
				d.Fatalf(t, "%v", err)
			}
			env.Mutants = m
		default:
			if err := cfg.Set(arg.Key, arg.SingleVal(t)); err != nil {
				d.Fatalf(t, "%v", err)
			}
		}
	}
	env.Cfg = cfg
	env.Mutants |= ddMutantOverride
	prog, err := spec.Parse("init@"+d.Pos, []byte(d.Input))
	if err != nil {
		return State{}, err
	}
	env.Code, err = spec.Compile(prog)
	if err != nil {
		return State{}, err
	}
	return Init(env, boot)
}

func ddOnly(d *datadriven.TestData) map[string]bool {
	arg, ok := d.Arg("only")
	if !ok {
		return nil
	}
	m := map[string]bool{}
	for _, v := range arg.Vals {
		m[v] = true
	}
	return m
}

func ddEvents(out *strings.Builder, evs []spec.Event, only map[string]bool) {
	for _, e := range evs {
		if only != nil && !only[e.Kind] {
			continue
		}
		out.WriteString(e.String())
		out.WriteByte('\n')
	}
}

// ddCheck fails the test if a step broke an invariant: every scenario
// must keep all of spec.All, whatever else it checks.
func ddCheck(t testing.TB, d *datadriven.TestData, s State) {
	if s.Env.Mutants&^ddMutantOverride != 0 {
		return // the scenario itself switches a mutant on, to show what it breaks
	}
	snap := s.Snapshot()
	if err := spec.All(&snap); err != nil {
		d.Fatalf(t, "invariant broken after step: %v\n%s", err, Describe(s))
	}
}
