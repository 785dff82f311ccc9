package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gmplab/gmplab/model"
	"github.com/gmplab/gmplab/spec"
)

func cmdReplay(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("replay", "TRACE", `Replay a trace file (a counterexample written by 'gmplab explore', or any
action list with its header) on the model, step by step. Prints each step's
events and checks every invariant after it. Reports the first action the
model does not enable (where the trace diverges) and the first invariant
broken. Exit status 1 if either happens.`, stderr)
	quiet := fs.Bool("q", false, "print only the verdict, not every event")
	state := fs.Bool("state", false, "print the state after the last step")
	if err := parse(fs, args); err != nil {
		return err
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
		s = ns
		if !*quiet {
			for _, e := range evs {
				fmt.Fprintln(stdout, e)
			}
		}
		if err := model.CheckState(s); err != nil {
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

func invariantNames() []string {
	var out []string
	for _, inv := range spec.Invariants() {
		out = append(out, inv.Name)
	}
	return out
}
