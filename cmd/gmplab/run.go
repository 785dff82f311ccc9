package main

import (
	"fmt"
	"io"
	"time"

	"github.com/gmplab/gmplab/impl"
	"github.com/gmplab/gmplab/model"
	"github.com/gmplab/gmplab/spec"
)

func cmdRun(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run", "WORKLOAD", `Simulate a workload on the reference model with logical time and a seeded
policy. Prints the outcome, GODEBUG=schedtrace-style lines (-schedtrace), the
event trace (-trace) and per-G metrics (-metrics). The same seed gives the
same output. A fatal error, a deadlock or a limit reached is a result of the
run, reported on the outcome line (exit status 0).`, stderr)
	pf := addPolicyFlags(fs, 1)
	engine := fs.String("engine", "model", "what runs the workload: model (the reference model, logical time) or impl (the concurrent engine, scaled wall time)")
	timeScale := fs.Float64("time-scale", 0.01, "impl only: wall time per logical time (0.01: a 10ms compute busy-waits 100µs)")
	lockThreads := fs.Bool("lock-threads", false, "impl only: lock each M goroutine to an OS thread")
	seed := fs.Uint64("seed", 1, "seed of the scheduling policy")
	schedtrace := fs.Duration("schedtrace", 0, "print a schedtrace line every this much logical time (e.g. 1ms)")
	tracePath := fs.String("trace", "", "write the event trace to this file (- for stdout)")
	metrics := fs.Bool("metrics", false, "print per-G and run metrics")
	maxSteps := fs.Int64("max-steps", 0, "stop after this many actions (0 = the simulator's default)")
	maxTime := fs.Duration("max-time", 0, "stop at this logical time (0 = no limit)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *engine != "model" && *engine != "impl" {
		return usageError{fmt.Errorf("-engine %q: want model or impl", *engine)}
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return usageError{fmt.Errorf("want one WORKLOAD, got %d arguments", fs.NArg())}
	}
	pf.impl = *engine == "impl"
	cfg, err := pf.config()
	if err != nil {
		return err
	}
	code, _, err := loadWorkload(fs.Arg(0))
	if err != nil {
		return err
	}
	if *engine == "impl" {
		if *maxSteps != 0 || *maxTime != 0 {
			return usageError{fmt.Errorf("-engine impl does not support -max-steps or -max-time")}
		}
		return runImpl(cfg, code, pf.boot, pf.implMutants, *seed, *timeScale, *lockThreads, *tracePath, *metrics, *schedtrace, stdout)
	}
	opts := model.SimOptions{Seed: *seed, MaxSteps: *maxSteps, MaxTime: *maxTime, SchedTrace: *schedtrace, SchedTraceOut: stdout}
	if *tracePath != "" {
		w, closeFn, err := output(*tracePath, stdout)
		if err != nil {
			return err
		}
		defer closeFn()
		opts.Trace = w
	}
	env := &model.Env{Cfg: cfg, Code: code, Timed: true, Mutants: pf.mutants}
	start := time.Now()
	res, err := model.Simulate(env, pf.boot, opts)
	if err != nil {
		return usageError{err}
	}
	fmt.Fprintf(stdout, "outcome: %s\n", res.Summary())
	fmt.Fprintf(stdout, "config: %s seed=%d (%v wall)\n", cfg, *seed, time.Since(start).Round(time.Millisecond))
	if *metrics && res.Metrics != nil {
		res.Metrics.Format(stdout)
	}
	return nil
}

// runImpl runs the workload on the concurrent engine and prints what the
// model engine prints where it applies: the outcome line, the trace and
// the metrics (model.Metrics over impl's events).
func runImpl(cfg spec.Config, code *spec.Code, boot model.Boot, mut impl.Mutants, seed uint64, scale float64, lock bool, tracePath string, metrics bool, schedtrace time.Duration, stdout io.Writer) error {
	if scale <= 0 {
		return usageError{fmt.Errorf("-time-scale must be positive")}
	}
	opts := impl.RunOptions{Seed: seed, Mutants: mut, TimeScale: scale, LockOSThread: lock, Trace: tracePath != "" || metrics,
		SchedTrace: schedtrace, SchedTraceOut: stdout}
	res, err := impl.Run(cfg, code, impl.Boot{Schedtick: boot.Schedtick, Ring: boot.Ring, Runnext: boot.Runnext}, opts)
	if err != nil {
		return usageError{err}
	}
	fmt.Fprintf(stdout, "outcome: %s\n", res.Summary())
	fmt.Fprintf(stdout, "config: %s seed=%d engine=impl time-scale=%g\n", cfg, seed, scale)
	if tracePath != "" {
		w, closeFn, err := output(tracePath, stdout)
		if err != nil {
			return err
		}
		defer closeFn()
		if err := spec.WriteTrace(w, res.Events); err != nil {
			return err
		}
	}
	if metrics {
		return model.Metrics(res.Events).Format(stdout)
	}
	return nil
}
