package properties

// Refinement of whole-scheduler runs: the concurrent engine (impl.Run
// with tracing on, which serializes its actions so that the trace is a
// linearization of the run) records a trace; RefineTrace replays it, in
// order, through the model. Every action event must be an action the
// model enables in the state reached so far, with the parameters the
// event carries (which M, P, victim, round, waiter); the model's events
// for that step must be the engine's effect events that follow it; a
// Deadlock must leave the model with nothing enabled; and the model's
// final snapshot must equal the engine's.
//
// RandomWorkload draws the workloads; a failing trace is saved as a
// regression file (WriteRefineCase) and replayed by
// TestRefineRegressions.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gmplab/gmplab/impl"
	"github.com/gmplab/gmplab/model"
	"github.com/gmplab/gmplab/spec"
)

// ActionOf returns the model action that an action event of the
// implementation's trace records, with the parameters the event carries.
func ActionOf(ev spec.Event) (model.Action, error) {
	switch ev.Kind {
	case "Schedule":
		return model.Schedule{M: ev.M}, nil
	case "Steal":
		round, err := strconv.Atoi(ev.Arg("round"))
		if err != nil {
			return nil, fmt.Errorf("Steal without a round: %v", ev)
		}
		v, err := parseRef(ev.Arg("victim"), "p")
		if err != nil {
			return nil, fmt.Errorf("Steal without a victim: %v", ev)
		}
		return model.Steal{M: ev.M, Victim: spec.PID(v), Round: round}, nil
	case "Compute":
		return model.Compute{M: ev.M}, nil
	case "Call":
		return model.Call{M: ev.M}, nil
	case "Spawn":
		return model.Spawn{M: ev.M}, nil
	case "Gosched":
		return model.Gosched{M: ev.M}, nil
	case "Preempt":
		return model.Preempt{M: ev.M}, nil
	case "Park":
		return model.Park{M: ev.M}, nil
	case "Ready":
		w := spec.NoG
		if s := ev.Arg("waiter"); s != spec.NoG.String() {
			n, err := parseRef(s, "g")
			if err != nil {
				return nil, fmt.Errorf("Ready without a waiter: %v", ev)
			}
			w = spec.GID(n)
		}
		return model.Ready{M: ev.M, Waiter: w}, nil
	case "EnterSyscall":
		return model.EnterSyscall{M: ev.M}, nil
	case "ExitSyscall":
		return model.ExitSyscall{M: ev.M}, nil
	case "GC":
		return model.GC{M: ev.M}, nil
	case "Goexit":
		return model.Goexit{M: ev.M}, nil
	case "Gomaxprocs":
		return model.Gomaxprocs{M: ev.M}, nil
	case "SysmonPreempt":
		return model.SysmonPreempt{P: ev.P}, nil
	case "SysmonRetake":
		return model.SysmonRetake{P: ev.P}, nil
	}
	return nil, fmt.Errorf("%s is not an action of the untimed model", ev.Kind)
}

func parseRef(s, prefix string) (int, error) {
	if !strings.HasPrefix(s, prefix) {
		return 0, fmt.Errorf("%q is not a %s reference", s, prefix)
	}
	return strconv.Atoi(s[len(prefix):])
}

// RefineResult is what RefineTrace found.
type RefineResult struct {
	// Steps is the number of actions the model took.
	Steps int
	// Failure is "" when the trace refines the model, else what broke:
	// the event, the model's refusal or the differing events or
	// snapshots.
	Failure string
	// At is the index of the event where it broke (-1: the final
	// snapshot, or none).
	At int
}

// RefineTrace replays events through the model from its initial state
// for cfg, code and boot, and compares the model's final snapshot with
// final (unless nil). Time stamps are ignored (the model is untimed). Effect events
// before the first action (the start-up's idle Ps) are skipped.
func RefineTrace(cfg spec.Config, code *spec.Code, boot model.Boot, events []spec.Event, final *spec.Snapshot) RefineResult {
	s, err := model.Init(&model.Env{Cfg: cfg, Code: code}, boot)
	if err != nil {
		return RefineResult{Failure: "model.Init: " + err.Error(), At: -1}
	}
	res := RefineResult{At: -1}
	i := 0
	for i < len(events) && !spec.IsAction(events[i].Kind) && events[i].Kind != "Deadlock" {
		if events[i].Kind != "IdleP" {
			return RefineResult{Failure: fmt.Sprintf("event %d (%v) before the first action", i, events[i]), At: i}
		}
		i++
	}
	for i < len(events) {
		ev := events[i]
		if ev.Kind == "Deadlock" {
			if en := model.Enabled(s); len(en) > 0 {
				return RefineResult{Steps: res.Steps, At: i, Failure: fmt.Sprintf("event %d: the engine deadlocked but the model enables %v", i, en)}
			}
			i++
			continue
		}
		a, err := ActionOf(ev)
		if err != nil {
			return RefineResult{Steps: res.Steps, At: i, Failure: fmt.Sprintf("event %d: %v", i, err)}
		}
		j := i + 1
		for j < len(events) && !spec.IsAction(events[j].Kind) && events[j].Kind != "Deadlock" {
			j++
		}
		next, mevs, err := model.StepTrace(s, a)
		if err != nil {
			return RefineResult{Steps: res.Steps, At: i, Failure: fmt.Sprintf("event %d (%v): the model refuses %v: %v\nmodel state:\n%s", i, ev, a, err, model.Describe(s))}
		}
		if d := cmp.Diff(untimed(mevs), untimed(events[i:j]), cmpopts.EquateEmpty()); d != "" {
			return RefineResult{Steps: res.Steps, At: i, Failure: fmt.Sprintf("event %d (%v): the model's events for %v differ (-model +impl):\n%s", i, ev, a, d)}
		}
		s = next
		res.Steps++
		i = j
	}
	if final == nil {
		return res
	}
	if d := cmp.Diff(s.Snapshot(), *final, cmpopts.EquateEmpty()); d != "" {
		res.Failure = fmt.Sprintf("final snapshots differ after %d actions (-model +impl):\n%s", res.Steps, d)
	}
	return res
}

// untimed returns events with their times zeroed.
func untimed(evs []spec.Event) []spec.Event {
	out := make([]spec.Event, len(evs))
	for i, ev := range evs {
		ev.Time = 0
		out[i] = ev
	}
	return out
}

// RandomWorkload draws a workload from rng: main spawns workers that
// compute, call down a chain of frames holding pointers (stack growth,
// checks), yield, make syscalls, spawn later workers, park and ready
// keys, and sometimes run a GC or change GOMAXPROCS; main waits for
// every worker's "ready done". Functions only spawn later functions, so
// every run is finite; parks on other keys may deadlock, which is a
// result like any other.
func RandomWorkload(rng *rand.Rand) string {
	nw := 2 + rng.IntN(4) // workers w1..wn
	var b strings.Builder
	spawns := make([]int, nw+1) // Gs started (transitively) by one G of wi
	bodies := make([]string, nw+1)
	for i := nw; i >= 1; i-- {
		var body strings.Builder
		n := 0
		for range 2 + rng.IntN(6) {
			switch k := rng.IntN(20); {
			case k < 4:
				fmt.Fprintf(&body, "    compute %dus\n", 1+rng.IntN(300))
			case k < 7:
				body.WriteString("    set 1 5\n    ref 0 0:1\n    call down " + strconv.Itoa(1+rng.IntN(4)) + "\n    check *0 9\n")
			case k < 9:
				body.WriteString("    gosched\n")
			case k < 11:
				fmt.Fprintf(&body, "    syscall %dus\n", 1+rng.IntN(400))
			case k < 14 && i < nw:
				j := i + 1 + rng.IntN(nw-i)
				r := 1
				if rng.IntN(3) == 0 {
					r = 2 + rng.IntN(8) // a burst: fills a small ring, spills
				}
				fmt.Fprintf(&body, "    repeat %d {\n        spawn w%d\n    }\n", r, j)
				n += r * (1 + spawns[j])
			case k < 16:
				body.WriteString("    ready k\n")
			case k < 17:
				body.WriteString("    park k\n")
			case k < 18:
				body.WriteString("    gc\n")
			case k < 19:
				fmt.Fprintf(&body, "    gomaxprocs %d\n", 1+rng.IntN(4))
			default:
				body.WriteString("    compute 1us\n")
			}
		}
		spawns[i] = n
		bodies[i] = body.String()
	}
	b.WriteString("func main {\n")
	total := 0
	for range 1 + rng.IntN(4) {
		j := 1 + rng.IntN(nw)
		fmt.Fprintf(&b, "    spawn w%d\n", j)
		total += 1 + spawns[j]
		if rng.IntN(3) == 0 {
			b.WriteString("    gc\n")
		}
	}
	fmt.Fprintf(&b, "    park done %d\n}\n", total)
	for i := 1; i <= nw; i++ {
		fmt.Fprintf(&b, "\nfunc w%d frame 16 {\n%s    ready done\n}\n", i, bodies[i])
	}
	b.WriteString(`
func down frame 256 {
    ref 2 1:1
    store 2 9
    descend down
}
`)
	return b.String()
}

// RandomRefineConfig draws a small config for a refinement run: 1-4 Ps,
// a ring of 4 or 256, runnext and async preemption on or off, and a
// short ForcePreempt so that sysmon preempts often.
func RandomRefineConfig(rng *rand.Rand) spec.Config {
	cfg := spec.Default(1 + rng.IntN(4))
	if rng.IntN(2) == 0 {
		cfg = cfg.WithRunqSize(4)
	}
	cfg.Runnext = rng.IntN(4) != 0
	cfg.AsyncPreempt = rng.IntN(2) == 0
	cfg.ForcePreempt = time.Duration(50+rng.IntN(500)) * time.Microsecond
	return cfg
}

// A refinement case file (testdata/refine/*.txt) holds a failing trace so
// that it can be replayed without the race that produced it:
//
//	# comment lines: the seed, what broke
//	config <spec.Config.String()>
//	workload
//	<the workload's lines>
//	trace
//	<spec.Event lines>
//	final
//	<the engine's final snapshot as one line of JSON>

// WriteRefineCase writes a refinement case.
func WriteRefineCase(w io.Writer, comment string, cfg spec.Config, src string, events []spec.Event, final spec.Snapshot) error {
	bw := bufio.NewWriter(w)
	for _, l := range strings.Split(strings.TrimRight(comment, "\n"), "\n") {
		fmt.Fprintf(bw, "# %s\n", l)
	}
	fmt.Fprintf(bw, "config %s\nworkload\n%s", cfg, strings.TrimRight(src, "\n")+"\n")
	bw.WriteString("trace\n")
	for _, ev := range events {
		fmt.Fprintf(bw, "%s\n", ev)
	}
	js, err := json.Marshal(final)
	if err != nil {
		return err
	}
	fmt.Fprintf(bw, "final\n%s\n", js)
	return bw.Flush()
}

// ReadRefineCase reads a file written by WriteRefineCase.
func ReadRefineCase(name string, r io.Reader) (spec.Config, string, []spec.Event, spec.Snapshot, error) {
	var cfg spec.Config
	var final spec.Snapshot
	var src strings.Builder
	var events []spec.Event
	section := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	line := 0
	haveCfg := false
	for sc.Scan() {
		line++
		l := sc.Text()
		switch {
		case section == "" && (strings.HasPrefix(l, "#") || strings.TrimSpace(l) == ""):
		case section == "" && strings.HasPrefix(l, "config "):
			c, err := spec.ParseConfig(strings.TrimPrefix(l, "config "))
			if err != nil {
				return cfg, "", nil, final, fmt.Errorf("%s:%d: %v", name, line, err)
			}
			cfg, haveCfg = c, true
		case l == "workload" && section == "":
			section = "workload"
		case l == "trace" && section == "workload":
			section = "trace"
		case section == "workload":
			src.WriteString(l + "\n")
		case l == "final" && section == "trace":
			section = "final"
		case section == "final":
			if err := json.Unmarshal([]byte(l), &final); err != nil {
				return cfg, "", nil, final, fmt.Errorf("%s:%d: the final snapshot: %v", name, line, err)
			}
			section = "done"
		case section == "trace":
			if strings.TrimSpace(l) == "" {
				continue
			}
			ev, err := spec.ParseEvent(l)
			if err != nil {
				return cfg, "", nil, final, fmt.Errorf("%s:%d: %v", name, line, err)
			}
			events = append(events, ev)
		default:
			return cfg, "", nil, final, fmt.Errorf("%s:%d: expected a comment, \"config ...\", \"workload\" or \"trace\", got %q", name, line, l)
		}
	}
	if err := sc.Err(); err != nil {
		return cfg, "", nil, final, fmt.Errorf("%s: %v", name, err)
	}
	if !haveCfg || section != "done" {
		return cfg, "", nil, final, fmt.Errorf("%s: missing the config line, the workload, the trace or the final section", name)
	}
	return cfg, src.String(), events, final, nil
}

// refineRun runs one seed: a random workload and config on the
// concurrent engine with tracing on, the trace replayed through the
// model, with mut switched on in the engine. It returns the run's summary and "" or what broke.
func refineRun(seed uint64, mut impl.Mutants) (cfg spec.Config, src string, res *impl.Result, rr RefineResult, err error) {
	rng := rand.New(rand.NewPCG(seed, 0x72656669))
	cfg = RandomRefineConfig(rng)
	src = RandomWorkload(rng)
	code, err := spec.ParseCode(fmt.Sprintf("refine-%d", seed), []byte(src))
	if err != nil {
		return cfg, src, nil, rr, fmt.Errorf("the generated workload does not compile: %v\n%s", err, src)
	}
	res, err = impl.Run(cfg, code, impl.Boot{}, impl.RunOptions{
		Trace: true, FreshRule: true, TimeScale: 0.01, Seed: seed, Timeout: 20 * time.Second, Mutants: mut,
	})
	if err != nil {
		return cfg, src, nil, rr, err
	}
	switch res.Outcome {
	case impl.OutcomeExited, impl.OutcomeDeadlock, impl.OutcomeFatal:
	default:
		return cfg, src, res, rr, fmt.Errorf("the engine's run ended %s", res.Summary())
	}
	rr = RefineTrace(cfg, code, model.Boot{}, res.Events, &res.Final)
	return cfg, src, res, rr, nil
}

// refineCheckCase is one case of the "refine" check: seed's run with mut
// switched on in the engine, its trace replayed through the model.
func refineCheckCase(seed uint64, mut impl.Mutants) *caseFailure {
	_, _, res, rr, err := refineRun(seed, mut)
	if err != nil {
		switch {
		case res != nil && (res.Outcome == impl.OutcomePanic || res.Outcome == impl.OutcomeStuck):
			// The engine's own checks caught the scheduler: a panic
			// (the runtime's throws) or a runnable G with every M idle.
			return &caseFailure{Property: "refine/engine-" + res.Outcome.String(), Detail: firstLine(err)}
		case res != nil && res.Outcome == impl.OutcomeTimeout:
			return inconclusive("refine-timeout", firstLine(err))
		}
		// The run did not start or ended some other way: the case
		// decided nothing.
		return inconclusive("refine-run", firstLine(err))
	}
	if rr.Failure != "" {
		return &caseFailure{Property: "refine", Detail: fmt.Sprintf("%s: %s", res.Summary(), firstLine(rr.Failure))}
	}
	return nil
}
