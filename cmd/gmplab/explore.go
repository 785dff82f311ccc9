package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/gmplab/gmplab/model"
)

// The default of gmplab explore: a workload and config that reach every
// mechanism and finish in seconds.
const (
	defaultExploreWorkload = "explore"
	defaultExploreProcs    = 2
	defaultExploreRunq     = 2
)

func cmdExplore(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("explore", "[WORKLOAD]", `Explore every interleaving of a workload breadth-first on the model (untimed:
how long a slice or a syscall has lasted is a choice), checking every
invariant of spec and the model's own checks in every reachable state. Prints
the statistics (distinct states, depth, per-action counts, states/s) and a
digest of the reachable set; a violation is printed with the shortest trace
that reaches it, written to -out for 'gmplab replay'.

Without a WORKLOAD it explores the example "explore" on 2 Ps with a ring of 2.`, stderr)
	pf := addPolicyFlags(fs, defaultExploreProcs)
	pf.cfg = pf.cfg.WithRunqSize(defaultExploreRunq)
	maxStates := fs.Int("max-states", 0, "stop after this many distinct states (0 = no limit); the result is then incomplete")
	maxDepth := fs.Int("max-depth", 0, "do not expand states deeper than this (0 = no limit)")
	invariants := fs.String("invariants", "", "comma-separated checks to make (default all): "+strings.Join(append(invariantNames(), model.ModelChecks()...), ", "))
	out := fs.String("out", "counterexample.trace", "where to write the counterexample trace of a violation")
	quiet := fs.Bool("q", false, "no progress lines")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return usageError{fmt.Errorf("want at most one WORKLOAD, got %d arguments", fs.NArg())}
	}
	workload := defaultExploreWorkload
	if fs.NArg() == 1 {
		workload = fs.Arg(0)
	}
	cfg, err := pf.config()
	if err != nil {
		return err
	}
	code, name, err := loadWorkload(workload)
	if err != nil {
		return err
	}
	init, err := model.Init(&model.Env{Cfg: cfg, Code: code, Mutants: pf.mutants}, pf.boot)
	if err != nil {
		return usageError{err}
	}
	opts := model.ExploreOptions{MaxStates: *maxStates, MaxDepth: *maxDepth, Invariants: splitList(*invariants)}
	if !*quiet {
		opts.Progress = func(p model.ProgressInfo) {
			fmt.Fprintf(stderr, "explore: %d states, %d transitions, depth %d, queue %d, %.0f states/s, %v\n",
				p.States, p.Transitions, p.Depth, p.Queue, p.StatesPerSec, p.Elapsed.Round(time.Second))
		}
	}
	fmt.Fprintf(stdout, "workload: %s\nconfig: %s\n", name, cfg)
	if pf.mutants != 0 {
		fmt.Fprintf(stdout, "mutants: %s\n", pf.mutants)
	}
	res, err := model.Explore(init, opts)
	if err != nil {
		return usageError{err}
	}
	fmt.Fprint(stdout, res.String())
	if v := res.Violation; v != nil {
		h := model.TraceHeader{Workload: name, Config: cfg, Boot: pf.boot, Mutants: pf.mutants, Violation: v.Invariant, Message: v.Message}
		f, err := os.Create(*out)
		if err != nil {
			return usageError{err}
		}
		werr := model.WriteTrace(f, h, v.Trace)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return usageError{werr}
		}
		fmt.Fprintf(stdout, "counterexample: %d actions, written to %s\nreplay it: go run ./cmd/gmplab replay %s\n", len(v.Trace), *out, *out)
		return failure{fmt.Errorf("%s violated", v.Invariant)}
	}
	if !res.Complete {
		return failure{fmt.Errorf("incomplete: a limit cut the search short; no violation in the %d states reached", res.Distinct)}
	}
	return nil
}
