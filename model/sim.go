package model

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/gmplab/gmplab/spec"
)

// SimOptions controls [Simulate].
type SimOptions struct {
	// Seed seeds the policy's PRNG (math/rand/v2 PCG). The same seed, Env
	// and Boot give byte-identical events, schedtrace lines and metrics.
	Seed uint64
	// MaxSteps bounds the number of actions taken (every action counts,
	// Advance and SysmonTick included). 0 means DefaultMaxSteps. Reaching it
	// ends the run with OutcomeStepLimit, never as a success.
	MaxSteps int64
	// MaxTime bounds logical time: the clock is never advanced past it, and
	// once it reaches MaxTime and only Advance is left, the run ends with
	// OutcomeTimeLimit. 0 means no limit.
	MaxTime time.Duration
	// MaxInstantSteps bounds the number of actions taken at one logical
	// instant (a livelock guard: Gs that yield to each other forever without
	// computing). 0 means DefaultMaxInstantSteps; raise it for workloads
	// that legitimately do that much work in zero time (e.g. spawning
	// hundreds of thousands of Gs without a compute).
	MaxInstantSteps int64
	// CheckInvariants runs every invariant of spec.All on the snapshot of
	// each state reached; a violation stops the run with an error (a model
	// bug). It costs a snapshot per step.
	CheckInvariants bool
	// KeepEvents keeps every trace event in SimResult.Events.
	KeepEvents bool
	// Trace, if not nil, receives every trace event as it happens, one
	// line each in the form of spec.Event.String.
	Trace io.Writer
	// SchedTrace, if positive, emits a GODEBUG=schedtrace-style line (see
	// SchedtraceLine) at every logical time k*SchedTrace, k = 1, 2, ...
	// reached by the run: Advance stops at each such instant and the line
	// shows the state on arrival, before the zero-time steps taken there.
	SchedTrace time.Duration
	// SchedTraceOut, if not nil, receives each schedtrace line as it is
	// emitted (they are also kept in SimResult.SchedTrace).
	SchedTraceOut io.Writer
}

// Defaults of SimOptions.
const (
	DefaultMaxSteps        = 10_000_000
	DefaultMaxInstantSteps = 1_000_000
)

// Outcome is how a simulated run ended.
type Outcome uint8

const (
	// OutcomeExited: main returned (the run ended normally).
	OutcomeExited Outcome = iota + 1
	// OutcomeDeadlock: every live G is parked ("all goroutines are asleep").
	OutcomeDeadlock
	// OutcomeFatal: a fatal error (stack overflow, failed check, bad pointer).
	OutcomeFatal
	// OutcomeStepLimit: SimOptions.MaxSteps actions were taken.
	OutcomeStepLimit
	// OutcomeTimeLimit: logical time reached SimOptions.MaxTime.
	OutcomeTimeLimit
	// OutcomeLivelock: more than MaxInstantSteps actions at one instant.
	OutcomeLivelock
	// OutcomeStuck: a G is runnable but no M will ever run it (every M is
	// idle and no G runs or is in a syscall; only sysmon would ever act),
	// or no action at all is enabled. A correct scheduler never gets here.
	OutcomeStuck
)

func (o Outcome) String() string {
	switch o {
	case OutcomeExited:
		return "exited"
	case OutcomeDeadlock:
		return "deadlock"
	case OutcomeFatal:
		return "fatal"
	case OutcomeStepLimit:
		return "step-limit"
	case OutcomeTimeLimit:
		return "time-limit"
	case OutcomeLivelock:
		return "livelock"
	case OutcomeStuck:
		return "stuck"
	}
	return fmt.Sprintf("Outcome(%d)", uint8(o))
}

// SimResult is the result of a simulated run.
type SimResult struct {
	Outcome Outcome
	// Message details the outcome: the fatal error, the deadlock message,
	// which limit was hit.
	Message string
	Seed    uint64
	End     time.Duration // logical time at the end
	Steps   int64         // actions taken
	// Events holds the trace when SimOptions.KeepEvents is set.
	Events []spec.Event
	// SchedTrace holds the schedtrace lines (SimOptions.SchedTrace > 0).
	SchedTrace []string
	// Metrics is computed from the trace (as Metrics(events) would).
	Metrics *RunMetrics
	// Final is the last state.
	Final State
}

// Summary is a one-line description of the outcome, e.g.
// "exited at 1.2ms after 345 steps" or "fatal: runtime: goroutine stack
// exceeds ... at 0s after 20 steps".
func (r *SimResult) Summary() string {
	head := r.Outcome.String()
	if r.Message != "" {
		head += ": " + r.Message
	}
	return fmt.Sprintf("%s at %v after %d steps", head, r.End, r.Steps)
}

// Simulate runs the workload of env (which must be in timed mode) from
// Init(env, boot) under a seeded random policy until it ends.
//
// Policy. At each step the enabled actions are taken from Enabled. If any
// action other than Advance is enabled, one of them is taken: time passes
// only when no zero-time step is possible. The choice is weighted per
// thread, not per action: first an actor is drawn uniformly among the Ms
// that have an action and sysmon (SysmonTick), then one of that actor's
// actions uniformly. A spinning M lists one Steal per victim and round,
// and a readier one Ready per waiter; drawing uniformly over actions would
// make such an M run far more often than the others, while in the runtime
// every thread proceeds at its own speed. When Advance is the only enabled
// action it is taken, cut short at the next schedtrace instant and at
// MaxTime.
//
// The PRNG is rand.NewPCG(opts.Seed, SeedStream); nothing else is random,
// so the same inputs give byte-identical results.
//
// The run stops when it ends (main exited: OutcomeExited; a fatal error:
// OutcomeFatal), when it is deadlocked (OutcomeDeadlock, with a Deadlock
// event in the trace), at MaxSteps, at MaxTime, after MaxInstantSteps
// actions without time passing (OutcomeLivelock), or when nothing but
// sysmon can ever act again (OutcomeStuck). Those are results; the error
// is for bad arguments, a failed write to a writer, and a model that
// refuses an action it listed as enabled (a model bug).
func Simulate(env *Env, boot Boot, opts SimOptions) (*SimResult, error) {
	if env == nil {
		return nil, errors.New("model.Simulate: no Env")
	}
	if !env.Timed {
		return nil, errors.New("model.Simulate: the simulator needs a timed Env (Env.Timed = true): it advances a logical clock")
	}
	if opts.MaxSteps < 0 || opts.MaxTime < 0 || opts.MaxInstantSteps < 0 || opts.SchedTrace < 0 {
		return nil, errors.New("model.Simulate: MaxSteps, MaxTime, MaxInstantSteps and SchedTrace must not be negative")
	}
	s, err := Init(env, boot)
	if err != nil {
		return nil, err
	}
	sim := &simulator{
		opts:     opts,
		rng:      rand.New(rand.NewPCG(opts.Seed, SeedStream)),
		res:      &SimResult{Seed: opts.Seed},
		metrics:  newMetricsCollector(),
		maxSteps: opts.MaxSteps,
		maxInst:  opts.MaxInstantSteps,
	}
	if sim.maxSteps == 0 {
		sim.maxSteps = DefaultMaxSteps
	}
	if sim.maxInst == 0 {
		sim.maxInst = DefaultMaxInstantSteps
	}
	if opts.Trace != nil {
		sim.trace = bufio.NewWriterSize(opts.Trace, 64<<10)
	}
	if opts.SchedTrace > 0 {
		sim.nextST = opts.SchedTrace
	}
	if s.Fatal != "" {
		// main's first local statements failed inside Init, which records
		// no events: the trace still says how the run ended.
		sim.record([]spec.Event{{Time: s.Now, Kind: "Fatal", G: s.FatalG, P: 0, M: 0, Args: []spec.Arg{{Key: "reason", Val: s.FatalReason}}}})
	}
	runErr := sim.run(s)
	if sim.trace != nil {
		if err := sim.trace.Flush(); err != nil && sim.werr == nil {
			sim.werr = err
		}
	}
	sim.res.Metrics = sim.metrics.result()
	if runErr != nil {
		return sim.res, runErr
	}
	if sim.werr != nil {
		return sim.res, fmt.Errorf("model.Simulate: writing output: %w", sim.werr)
	}
	return sim.res, nil
}

// SeedStream is the second PCG seed word of Simulate's PRNG.
const SeedStream = 0x676d706c61622121 // "gmplab!!"

type simulator struct {
	opts     SimOptions
	rng      *rand.Rand
	res      *SimResult
	metrics  *metricsCollector
	trace    *bufio.Writer
	werr     error
	maxSteps int64
	maxInst  int64
	nextST   time.Duration // next schedtrace instant; 0 when off

	actors  []int // scratch: group boundaries of the enabled actions
	actions []Action
}

func (sim *simulator) record(evs []spec.Event) {
	for _, ev := range evs {
		sim.metrics.add(ev)
		if sim.trace != nil && sim.werr == nil {
			sim.trace.WriteString(ev.String())
			if err := sim.trace.WriteByte('\n'); err != nil {
				sim.werr = err
			}
		}
	}
	if sim.opts.KeepEvents {
		sim.res.Events = append(sim.res.Events, evs...)
	}
}

func (sim *simulator) finish(s State, o Outcome, msg string) {
	sim.res.Outcome = o
	sim.res.Message = msg
	sim.res.End = s.Now
	sim.res.Final = s
}

func (sim *simulator) run(s State) error {
	res := &sim.res.Steps
	var instant int64 // actions taken since time last moved
	for {
		switch {
		case s.Exited:
			sim.finish(s, OutcomeExited, "")
			return nil
		case s.Fatal != "":
			sim.finish(s, OutcomeFatal, s.Fatal)
			return nil
		}
		en := Enabled(s) // nil when deadlocked
		if len(en) == 0 {
			if s.Deadlocked() {
				sim.record([]spec.Event{{Time: s.Now, Kind: "Deadlock", G: spec.NoG, P: spec.NoP, M: spec.NoM}})
				sim.finish(s, OutcomeDeadlock, spec.DeadlockMessage)
				return nil
			}
			sim.finish(s, OutcomeStuck, "no action is enabled")
			return nil
		}
		if *res >= sim.maxSteps {
			sim.finish(s, OutcomeStepLimit, fmt.Sprintf("step limit of %d actions reached", sim.maxSteps))
			return nil
		}
		if instant > sim.maxInst {
			sim.finish(s, OutcomeLivelock, fmt.Sprintf("livelock: %d actions at %v without time passing", instant, s.Now))
			return nil
		}
		var a Action
		if adv, ok := en[len(en)-1].(Advance); ok && len(en) == 1 {
			if why := stuck(&s); why != "" {
				sim.finish(s, OutcomeStuck, why)
				return nil
			}
			d := adv.D
			if sim.opts.MaxTime > 0 {
				if s.Now >= sim.opts.MaxTime {
					sim.finish(s, OutcomeTimeLimit, fmt.Sprintf("time limit of %v reached", sim.opts.MaxTime))
					return nil
				}
				d = min(d, sim.opts.MaxTime-s.Now)
			}
			if sim.nextST > 0 {
				d = min(d, sim.nextST-s.Now)
			}
			a = Advance{d}
		} else {
			a = sim.pick(en)
		}
		ns, evs, err := StepTrace(s, a)
		if err != nil {
			sim.finish(s, 0, "")
			return fmt.Errorf("model.Simulate: step %d at %v: enabled action refused (model bug): %w", *res, s.Now, err)
		}
		*res++
		sim.record(evs)
		if sim.opts.CheckInvariants {
			snap := ns.Snapshot()
			if err := spec.All(&snap); err != nil {
				sim.finish(ns, 0, "")
				return fmt.Errorf("model.Simulate: step %d (%v) at %v broke an invariant (model bug): %w", *res, a, s.Now, err)
			}
		}
		if ns.Now != s.Now {
			instant = 0
		} else {
			instant++
		}
		s = ns
		if sim.nextST > 0 && s.Now == sim.nextST {
			line := SchedtraceLine(s)
			sim.res.SchedTrace = append(sim.res.SchedTrace, line)
			if w := sim.opts.SchedTraceOut; w != nil && sim.werr == nil {
				if _, err := io.WriteString(w, line+"\n"); err != nil {
					sim.werr = err
				}
			}
			sim.nextST += sim.opts.SchedTrace
		}
	}
}

// pick draws an actor (an M, or sysmon for actions of no M) uniformly,
// then one of its actions uniformly. Advance is never picked here.
func (sim *simulator) pick(en []Action) Action {
	acts := sim.actions[:0]
	bounds := sim.actors[:0]
	prev := spec.MID(-2)
	for _, a := range en {
		if _, ok := a.(Advance); ok {
			continue
		}
		m := actorM(a)
		if m != prev || len(bounds) == 0 {
			bounds = append(bounds, len(acts))
			prev = m
		}
		acts = append(acts, a)
	}
	bounds = append(bounds, len(acts))
	sim.actions, sim.actors = acts, bounds
	// Enabled lists each M's actions together, so groups are contiguous.
	k := sim.rng.IntN(len(bounds) - 1)
	lo, hi := bounds[k], bounds[k+1]
	return acts[lo+sim.rng.IntN(hi-lo)]
}

// stuck says why no thread but sysmon can ever act in s, or "": no M
// holds a P or runs a G and no G is in a syscall, yet some G is runnable
// (s is not deadlocked). sysmon only looks at Ps held by Ms, so nothing
// would ever change.
func stuck(s *State) string {
	for i := range s.Ms {
		if s.Ms[i].P != spec.NoP || s.Ms[i].Curg != spec.NoG {
			return ""
		}
	}
	for i := range s.Gs {
		if s.Gs[i].Status == spec.GRunnable {
			return fmt.Sprintf("%v is runnable but every M is idle: no M will ever run it", spec.GID(i+1))
		}
	}
	return ""
}
