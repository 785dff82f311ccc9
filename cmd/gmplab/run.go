package main

import (
	"fmt"
	"io"
	"time"

	"github.com/gmplab/gmplab/model"
)

func cmdRun(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run", "WORKLOAD", `Simulate a workload on the reference model with logical time and a seeded
policy. Prints the outcome, GODEBUG=schedtrace-style lines (-schedtrace), the
event trace (-trace) and per-G metrics (-metrics). The same seed gives the
same output. A fatal error, a deadlock or a limit reached is a result of the
run, reported on the outcome line (exit status 0).`, stderr)
	pf := addPolicyFlags(fs, 1)
	engine := fs.String("engine", "model", "what runs the workload: model (impl is not available yet)")
	seed := fs.Uint64("seed", 1, "seed of the scheduling policy")
	schedtrace := fs.Duration("schedtrace", 0, "print a schedtrace line every this much logical time (e.g. 1ms)")
	tracePath := fs.String("trace", "", "write the event trace to this file (- for stdout)")
	metrics := fs.Bool("metrics", false, "print per-G and run metrics")
	maxSteps := fs.Int64("max-steps", 0, "stop after this many actions (0 = the simulator's default)")
	maxTime := fs.Duration("max-time", 0, "stop at this logical time (0 = no limit)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *engine != "model" {
		return usageError{fmt.Errorf("-engine %q: only the model engine exists so far", *engine)}
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return usageError{fmt.Errorf("want one WORKLOAD, got %d arguments", fs.NArg())}
	}
	cfg, err := pf.config()
	if err != nil {
		return err
	}
	code, _, err := loadWorkload(fs.Arg(0))
	if err != nil {
		return err
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
