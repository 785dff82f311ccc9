package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gmplab/gmplab/model"
	"github.com/gmplab/gmplab/spec"
)

func cmdReplay(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("replay", "TRACE | -tlc OUTPUT -workload W -config CONFIG [-mutants M] [-save FILE]", `Replay a trace file (a counterexample written by 'gmplab explore', or any
action list with its header) on the model, step by step. Prints each step's
events and checks every invariant after it. Reports the first action the
model does not enable (where the trace diverges) and the first invariant
broken. Exit status 1 if either happens.

With -tlc, replay instead TLC's error trace of tla/GMP.tla (TLC's output,
its "The behavior up to this point is:" section) on the model built from
-workload, -config (e.g. "procs=2 runq-size=2") and -mutants. Each TLC step
is mapped to the one enabled model action whose successor agrees with TLC's
state on every GMP.tla variable (on Ps, Ms, Global, IdleP, IdleM,
NMSpinning, NeedSpinning and Exited for a trace of the older GMP.tla that
lacked NProcs and Fatal); where none or several do, the trace diverges (exit status 1). Each mapped
step is printed and checked as above. If the model breaks the invariant TLC
reported, after TLC's last step, the two agree: exit status 0. -save writes
the mapped actions as a trace file, to keep as a regression test.`, stderr)
	quiet := fs.Bool("q", false, "print only the verdict, not every event")
	state := fs.Bool("state", false, "print the state after the last step")
	tlc := fs.String("tlc", "", "replay TLC's output `OUTPUT` (an error trace of tla/GMP.tla) instead of a TRACE")
	workload := fs.String("workload", "", "with -tlc: the workload (file or example name), e.g. tla/MCGMP_small.gmp")
	config := fs.String("config", "", "with -tlc: the config, knob=value ..., e.g. \"procs=2 runq-size=2\"")
	var mutants model.Mutants
	fs.Func("mutants", "with -tlc: comma-separated mutants: "+strings.Join(model.MutantNames(), ", "), func(v string) error {
		m, err := model.ParseMutants(v)
		mutants = m
		return err
	})
	save := fs.String("save", "", "with -tlc: write the mapped actions to `FILE` in the trace format")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *tlc != "" {
		if fs.NArg() != 0 {
			fs.Usage()
			return usageError{fmt.Errorf("-tlc takes no TRACE argument, got %d arguments", fs.NArg())}
		}
		return replayTLC(*tlc, *workload, *config, mutants, *save, *quiet, *state, stdout)
	}
	if *workload != "" || *config != "" || mutants != 0 || *save != "" {
		return usageError{errors.New("-workload, -config, -mutants and -save go with -tlc")}
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return usageError{fmt.Errorf("want one TRACE, got %d arguments", fs.NArg())}
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return usageError{err}
	}
	h, actions, err := model.ReadTrace(fs.Arg(0), f)
	f.Close()
	if err != nil {
		return usageError{err}
	}
	if h.Workload == "" {
		return usageError{fmt.Errorf("%s: the header names no workload (# workload: PATH)", fs.Arg(0))}
	}
	code, _, err := loadWorkload(h.Workload)
	if err != nil {
		return err
	}
	s, err := h.Init(code)
	if err != nil {
		return usageError{err}
	}
	if h.Violation != "" {
		fmt.Fprintf(stdout, "# expected violation: %s: %s\n", h.Violation, h.Message)
	}
	for i, a := range actions {
		ns, evs, err := model.StepTrace(s, a)
		if err != nil {
			var de *model.DisabledError
			if errors.As(err, &de) {
				fmt.Fprintf(stdout, "state before step %d:\n%s", i+1, model.Describe(s))
				return failure{fmt.Errorf("diverges at step %d: %v is not enabled: %s", i+1, a, de.Why)}
			}
			return failure{fmt.Errorf("step %d: %v", i+1, err)}
		}
		prev := s
		s = ns
		if !*quiet {
			for _, e := range evs {
				fmt.Fprintln(stdout, e)
			}
		}
		err = model.CheckState(s)
		if err == nil {
			err = model.CheckStep(prev, s)
		}
		if err != nil {
			fmt.Fprintf(stdout, "state after step %d:\n%s", i+1, model.Describe(s))
			return failure{fmt.Errorf("after step %d (%v): %v", i+1, a, err)}
		}
	}
	if *state {
		fmt.Fprint(stdout, model.Describe(s))
	}
	fmt.Fprintf(stdout, "replayed %d actions: every step enabled, every invariant held\n", len(actions))
	if h.Violation != "" {
		return failure{fmt.Errorf("the recorded violation (%s) did not reproduce", h.Violation)}
	}
	return nil
}

func replayTLC(path, workload, config string, mutants model.Mutants, save string, quiet, state bool, stdout io.Writer) error {
	if workload == "" || config == "" {
		return usageError{errors.New("-tlc needs -workload and -config")}
	}
	f, err := os.Open(path)
	if err != nil {
		return usageError{err}
	}
	tr, err := model.ReadTLCTrace(path, f)
	f.Close()
	if err != nil {
		return usageError{err}
	}
	cfg, err := spec.ParseConfig(config)
	if err != nil {
		return usageError{err}
	}
	code, name, err := loadWorkload(workload)
	if err != nil {
		return err
	}
	h := model.TraceHeader{Workload: name, Config: cfg, Mutants: mutants}
	s, err := h.Init(code)
	if err != nil {
		return usageError{err}
	}
	fmt.Fprintf(stdout, "# TLC trace: %s: %d states", path, len(tr.States))
	if tr.Violation != "" {
		fmt.Fprintf(stdout, ", TLC reports %s violated", tr.Violation)
	}
	fmt.Fprintln(stdout)
	actions, mapErr := model.ReplayTLC(s, tr)
	var div *model.TLCDivergence
	if mapErr != nil && !errors.As(mapErr, &div) {
		// Not a divergence: TLC's output itself is malformed (a value
		// that does not parse, a missing variable): bad input.
		return usageError{mapErr}
	}
	var broken error
	for i, a := range actions {
		ns, evs, err := model.StepTrace(s, a)
		if err != nil {
			return failure{fmt.Errorf("step %d (%v): %v", i+1, a, err)}
		}
		prev := s
		s = ns
		fmt.Fprintf(stdout, "step %d (TLC state %d, %s): %v\n", i+1, i+2, tr.States[i+1].Action, a)
		if !quiet {
			for _, e := range evs {
				fmt.Fprintln(stdout, "  ", e)
			}
		}
		err = model.CheckState(s)
		if err == nil {
			err = model.CheckStep(prev, s)
		}
		if err != nil {
			broken = fmt.Errorf("after step %d (%v): %w", i+1, a, err)
			fmt.Fprintf(stdout, "state after step %d:\n%s", i+1, model.Describe(s))
			break
		}
	}
	if mapErr != nil {
		if broken == nil {
			fmt.Fprintf(stdout, "model state at the divergence:\n%s", model.Describe(s))
		}
		if broken != nil {
			return failure{fmt.Errorf("%v; then the TLC trace diverges: %v", broken, mapErr)}
		}
		return failure{fmt.Errorf("diverges: %v", mapErr)}
	}
	var ie *spec.InvariantError
	agree := broken != nil && errors.As(broken, &ie) && ie.Name == tr.Violation
	if save != "" {
		if agree {
			h.Violation, h.Message = ie.Name, ie.Err.Error()
		}
		var b strings.Builder
		if err := model.WriteTrace(&b, h, actions); err != nil {
			return err
		}
		if err := os.WriteFile(save, []byte(b.String()), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s (%d actions)\n", save, len(actions))
	}
	if state && broken == nil {
		fmt.Fprint(stdout, model.Describe(s))
	}
	switch {
	case agree && len(actions) == len(tr.States)-1:
		fmt.Fprintf(stdout, "%v\nmapped all %d TLC steps to model actions; the model breaks %s too, as TLC reported\n", broken, len(actions), tr.Violation)
		return nil
	case broken != nil:
		return failure{broken}
	case tr.Violation != "":
		fmt.Fprintf(stdout, "mapped all %d TLC steps to model actions; every invariant held\n", len(actions))
		return failure{fmt.Errorf("TLC reports %s violated, but the model's final state breaks no invariant", tr.Violation)}
	}
	fmt.Fprintf(stdout, "mapped all %d TLC steps to model actions; every invariant held\n", len(actions))
	return nil
}

func invariantNames() []string {
	var out []string
	for _, inv := range spec.Invariants() {
		out = append(out, inv.Name)
	}
	return out
}
