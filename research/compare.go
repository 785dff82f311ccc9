package research

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gmplab/gmplab/impl"
	"github.com/gmplab/gmplab/model"
	"github.com/gmplab/gmplab/spec"
)

// Engines are the engines a comparison can run on.
var Engines = []string{"model", "impl"}

// Workload is a compiled workload under its name.
type Workload struct {
	Name string
	Code *spec.Code
}

// Options control a comparison or a sweep.
type Options struct {
	Workloads []Workload
	Configs   []Config
	Engines   []string // "model", "impl"
	// Seeds runs are made per workload, config and engine, with seeds
	// Seed, Seed+1, ... (the model's policy seed; impl's steal order).
	Seeds int
	Seed  uint64
	Boot  model.Boot
	// Mutants switches deliberate bugs into the model (model runs only):
	// a way to see what a comparison reports when a config breaks things.
	Mutants model.Mutants
	// CheckInvariants checks every invariant of spec.Invariants on every
	// state of a model run, and on impl snapshots taken under
	// stop-the-world every SnapshotEvery of logical time.
	CheckInvariants bool
	SnapshotEvery   time.Duration
	// TimeScale is impl's wall time per logical time (0: 0.01).
	TimeScale float64
	// MaxTime bounds a model run's logical time (0: none); Timeout an impl
	// run's wall time (0: 30s).
	MaxTime time.Duration
	Timeout time.Duration
	// MaxSteps bounds a model run's actions. 0 means a budget that grows
	// while the run stays cheap: see DefaultWork. A run stopped by either
	// ends with outcome step-limit, never as a success.
	MaxSteps int64
	// Focus, if not empty, names functions: the per-G metrics (latency-*,
	// longest-wait, fairness) then count only the Gs that started in one
	// of them (e.g. the consumer of a producer/consumer pair).
	Focus []string
	// Progress, if not nil, is called after every run.
	Progress func(done, total int, last string)
}

// Cell is the runs of one workload under one config on one engine.
type Cell struct {
	Workload string
	Engine   string
	Config   Config
	Samples  []Sample // one per seed, in seed order
}

// Stat summarizes metric i over the cell's runs.
func (c *Cell) Stat(i int) Stat {
	xs := make([]float64, len(c.Samples))
	for k, s := range c.Samples {
		xs[k] = s.Values[i]
	}
	return Summarize(xs)
}

// Report is a comparison's result: cells ordered by workload, engine,
// then config (the order of Options).
type Report struct {
	Seeds int
	Seed  uint64
	Cells []Cell
}

func (o *Options) check() error {
	if len(o.Workloads) == 0 {
		return errors.New("no workload")
	}
	if len(o.Configs) == 0 {
		return errors.New("no config")
	}
	if len(o.Engines) == 0 {
		return errors.New("no engine")
	}
	for _, e := range o.Engines {
		if e != "model" && e != "impl" {
			return fmt.Errorf("engine %q: want model or impl", e)
		}
	}
	if o.Seeds < 1 {
		return fmt.Errorf("seeds = %d: want at least 1", o.Seeds)
	}
	for _, w := range o.Workloads {
		for _, f := range o.Focus {
			if !slices.ContainsFunc(w.Code.Funcs, func(fc spec.FuncCode) bool { return fc.Name == f }) {
				return fmt.Errorf("focus: workload %s has no function %q", w.Name, f)
			}
		}
	}
	if o.TimeScale < 0 || o.MaxTime < 0 || o.Timeout < 0 || o.SnapshotEvery < 0 {
		return errors.New("time-scale, max-time, timeout and snapshot period must not be negative")
	}
	return nil
}

// Compare runs every workload under every config on every engine for
// o.Seeds seeds. Runs are sequential (impl's Ms need the cores) and model
// runs are deterministic, so the same options give the same model numbers.
// The error is for bad options and for a run that could not start (a
// model bug refusing an enabled action included); how a run ended is in
// its Sample.
func Compare(o Options) (*Report, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	rep := &Report{Seeds: o.Seeds, Seed: o.Seed}
	total := len(o.Workloads) * len(o.Engines) * len(o.Configs) * o.Seeds
	done := 0
	for _, w := range o.Workloads {
		for _, e := range o.Engines {
			for _, c := range o.Configs {
				cell := Cell{Workload: w.Name, Engine: e, Config: c}
				for k := 0; k < o.Seeds; k++ {
					seed := o.Seed + uint64(k)
					s, err := RunOne(e, c.Cfg, w.Code, seed, &o)
					if err != nil {
						return nil, fmt.Errorf("%s on %s under %q, seed %d: %w", w.Name, e, c.Label, seed, err)
					}
					cell.Samples = append(cell.Samples, s)
					done++
					if o.Progress != nil {
						o.Progress(done, total, fmt.Sprintf("%s %s %s seed=%d", w.Name, e, c.Label, seed))
					}
				}
				rep.Cells = append(rep.Cells, cell)
			}
		}
	}
	return rep, nil
}

// Run is one run's trace and how it ended.
type Run struct {
	Events []spec.Event
	// Fn[i] is the name of the function G i+1 started in.
	Fn []string
	// Outcome, Message and Invariant are as in Sample.
	Outcome, Message, Invariant string
}

// Trace runs one workload once with the event trace on.
func Trace(engine string, cfg spec.Config, code *spec.Code, seed uint64, o *Options) (*Run, error) {
	fnName := func(i int) string {
		if i >= 0 && i < len(code.Funcs) {
			return code.Funcs[i].Name
		}
		return ""
	}
	switch engine {
	case "model":
		env := &model.Env{Cfg: cfg, Code: code, Timed: true, Mutants: o.Mutants}
		res, err := simulate(env, o, seed)
		r := &Run{}
		var ie *spec.InvariantError
		switch {
		case errors.As(err, &ie):
			// The model broke an invariant under this config: a result.
			r.Outcome, r.Message, r.Invariant = "invariant", err.Error(), ie.Name
		case err != nil:
			return nil, err
		default:
			r.Outcome, r.Message = res.Outcome.String(), res.Message
		}
		r.Events = res.Events
		for _, g := range res.Final.Gs {
			r.Fn = append(r.Fn, fnName(g.Fn))
		}
		return r, nil
	case "impl":
		scale := o.TimeScale
		if scale == 0 {
			scale = 0.01
		}
		timeout := o.Timeout
		if timeout == 0 {
			timeout = 30 * time.Second
		}
		ro := impl.RunOptions{Seed: seed, TimeScale: scale, Trace: true, Timeout: timeout}
		if o.CheckInvariants {
			ro.SnapshotEvery = o.SnapshotEvery
			if ro.SnapshotEvery == 0 {
				ro.SnapshotEvery = time.Millisecond
			}
		}
		res, err := impl.Run(cfg, code, impl.Boot{Schedtick: o.Boot.Schedtick, Ring: o.Boot.Ring, Runnext: o.Boot.Runnext}, ro)
		if err != nil {
			return nil, err
		}
		r := &Run{Events: res.Events, Outcome: res.Outcome.String(), Message: res.Message}
		for _, fn := range res.Fns {
			r.Fn = append(r.Fn, fnName(fn))
		}
		for i := range res.Snapshots {
			if err := spec.All(&res.Snapshots[i]); err != nil {
				var ie *spec.InvariantError
				if errors.As(err, &ie) {
					r.Invariant = ie.Name
				}
				r.Message = err.Error()
				break
			}
		}
		return r, nil
	}
	return nil, fmt.Errorf("engine %q: want model or impl", engine)
}

// Defaults bounding a model run when Options.MaxSteps is 0, so that an
// endless workload (Gs spawning Gs forever, main calling itself) ends with
// an outcome saying so instead of running for hours: every step of the
// model copies its Gs, so an endless run that keeps spawning costs the
// square of its length.
const (
	// FirstSteps is the first step budget; a run stopped by it is run
	// again from the start with four times the budget, up to
	// model.DefaultMaxSteps, while the next run's estimated work stays
	// under DefaultWork. The simulator is deterministic and checks the
	// limit only before a step, so the longer run extends the shorter one
	// and a run's result is the one a single run with the last budget
	// gives.
	FirstSteps = 5_000
	// DefaultWork bounds steps x Gs of the next run, with the Gs assumed to
	// grow as the steps do: about 5s of simulation on one core, or, when
	// invariants are checked on every state (a snapshot of every G per
	// step), CheckedWork, about as long.
	DefaultWork = 400_000_000
	CheckedWork = 40_000_000
	// DefaultInstantSteps is the livelock guard (model.SimOptions'
	// MaxInstantSteps): actions at one logical instant. Above the 131072
	// steps of examples/overflow's zero-time recursion to its fatal end.
	DefaultInstantSteps = 200_000
)

// simulate runs the model with o's limits (see FirstSteps).
func simulate(env *model.Env, o *Options, seed uint64) (*model.SimResult, error) {
	so := model.SimOptions{Seed: seed, KeepEvents: true, CheckInvariants: o.CheckInvariants, MaxTime: o.MaxTime,
		MaxSteps: o.MaxSteps}
	if o.MaxSteps > 0 {
		res, err := model.Simulate(env, o.Boot, so)
		if err == nil && res.Outcome == model.OutcomeStepLimit {
			res.Message += " (-max-steps)"
		}
		return res, err
	}
	so.MaxInstantSteps = DefaultInstantSteps
	for budget := int64(FirstSteps); ; budget *= 4 {
		so.MaxSteps = min(budget, model.DefaultMaxSteps)
		res, err := model.Simulate(env, o.Boot, so)
		if err != nil {
			return res, err
		}
		if res.Outcome == model.OutcomeLivelock {
			res.Message += " (an endless workload?)"
		}
		if res.Outcome != model.OutcomeStepLimit {
			return res, nil
		}
		gs := int64(len(res.Final.Gs))
		work := int64(DefaultWork)
		if o.CheckInvariants {
			work = CheckedWork
		}
		if so.MaxSteps == model.DefaultMaxSteps || 4*budget*4*gs > work {
			res.Message = fmt.Sprintf("step limit of %d actions reached with %d Gs: an endless workload? (-max-steps or -max-time)", so.MaxSteps, gs)
			return res, nil
		}
	}
}

// RunOne runs one workload once and measures it.
func RunOne(engine string, cfg spec.Config, code *spec.Code, seed uint64, o *Options) (Sample, error) {
	r, err := Trace(engine, cfg, code, seed, o)
	if err != nil {
		return Sample{}, err
	}
	var focus func(spec.GID) bool
	if len(o.Focus) > 0 {
		focus = func(g spec.GID) bool {
			i := int(g) - 1
			return i >= 0 && i < len(r.Fn) && slices.Contains(o.Focus, r.Fn[i])
		}
	}
	m := Measure(r.Events, cfg.Procs, focus)
	m.Outcome, m.Message, m.Invariant = r.Outcome, r.Message, r.Invariant
	return m, nil
}
