package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gmplab/gmplab/properties"
	"github.com/gmplab/gmplab/spec"
)

func cmdMutants(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("mutants", "", `Run the mutation report: every mutant (a deliberate bug, some of them Go's own
historical scheduler bugs) in the model and in the implementation, through the
quick mode of the checks in order (`+strings.Join(checkNames(), ", ")+`), and print
which property killed it, the failing seed, and the time to kill. A case that
decides nothing (a harness error, a timeout, porcupine undecided) is shown as
inconclusive and is never a kill. Exit status 1 if a mutant survives or is
left inconclusive.

With -replay CHECK it instead runs one case, the one a failure's replay line
names (-form, -mutants, -seed), and prints its failure or an inconclusive
outcome (exit 1), or "passed".
-list lists the mutants and the checks.`, stderr)
	cases := fs.Int("cases", 0, fmt.Sprintf("cases per check and mutant (with -time; default: the quick mode, %d cases or %v, more for runq-once)", properties.QuickBudget.Cases, properties.QuickBudget.Time))
	budget := fs.Duration("time", 0, "time limit per check and mutant (with -cases; default: the quick mode)")
	parallel := fs.Int("parallel", 0, "mutants run at once (0: GOMAXPROCS)")
	only := fs.String("only", "", "comma-separated mutants to run (default all)")
	replay := fs.String("replay", "", "run one case of this check (with -form, -mutants, -seed)")
	form := fs.String("form", "", "with -replay: model or impl")
	mutants := fs.String("mutants", "", "with -replay: comma-separated mutants to switch on")
	seed := fs.Uint64("seed", 0, "with -replay: the case's seed")
	list := fs.Bool("list", false, "list the mutants and the checks")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *list {
		return listMutants(stdout)
	}
	if *replay != "" {
		if !set["form"] || !set["seed"] {
			return usageError{errors.New("-replay needs -form and -seed")}
		}
		for _, f := range []string{"only", "cases", "time", "parallel"} {
			if set[f] {
				return usageError{fmt.Errorf("-%s does not apply to -replay (it runs one case)", f)}
			}
		}
		err := properties.ReplayCheck(*replay, *form, *mutants, *seed)
		var v *properties.Violation
		var inc *properties.Inconclusive
		switch {
		case errors.As(err, &v):
			fmt.Fprintln(stdout, v.Error())
			return failure{fmt.Errorf("%s broke", v.Property)}
		case errors.As(err, &inc):
			fmt.Fprintln(stdout, inc.Error())
			return failure{fmt.Errorf("inconclusive (%s): the case decided nothing", inc.Property)}
		case err != nil:
			return usageError{err}
		}
		fmt.Fprintf(stdout, "passed: %s\n", properties.ReplayCommand(*replay, *form, *mutants, *seed))
		return nil
	}
	for _, f := range []string{"form", "mutants", "seed"} {
		if set[f] {
			return usageError{fmt.Errorf("-%s goes with -replay CHECK (without -replay it would be ignored)", f)}
		}
	}
	if *cases < 0 || *budget < 0 {
		return usageError{errors.New("-cases and -time must not be negative")}
	}
	if *parallel < 0 {
		return usageError{errors.New("-parallel must not be negative (0: GOMAXPROCS)")}
	}
	names := splitList(*only)
	if set["only"] && len(names) == 0 {
		return usageError{fmt.Errorf("-only %q names no mutant (see -list; leave -only out to run all)", *only)}
	}
	for _, n := range names {
		if _, ok := spec.MutantByName(n); !ok {
			return usageError{fmt.Errorf("-only: unknown mutant %q (see -list)", n)}
		}
	}
	start := time.Now()
	rows := properties.MutationReport(properties.Budget{Cases: *cases, Time: *budget}, *parallel, names...)
	properties.WriteMutantTable(stdout, rows)
	var survived, undecided []string
	for _, r := range properties.Survivors(rows) {
		if r.Undecided() {
			undecided = append(undecided, r.Mutant+" ("+r.Form+")")
		} else {
			survived = append(survived, r.Mutant+" ("+r.Form+")")
		}
	}
	killed := len(rows) - len(survived) - len(undecided)
	fmt.Fprintf(stdout, "\n%d mutants, %d killed, %d survived, %d inconclusive, in %v\n", len(rows), killed, len(survived), len(undecided), time.Since(start).Round(time.Millisecond))
	var msgs []string
	if len(survived) > 0 {
		msgs = append(msgs, "survived: "+strings.Join(survived, ", "))
	}
	if len(undecided) > 0 {
		msgs = append(msgs, "inconclusive (not killed): "+strings.Join(undecided, ", "))
	}
	if len(msgs) > 0 {
		return failure{errors.New(strings.Join(msgs, "; "))}
	}
	return nil
}

func checkNames() []string {
	var out []string
	for _, c := range properties.Checks {
		out = append(out, c.Name)
	}
	return out
}

func listMutants(w io.Writer) error {
	fmt.Fprintln(w, "mutants:")
	for _, m := range spec.Mutants {
		var forms []string
		if m.Model {
			forms = append(forms, "model")
		}
		if m.Impl {
			forms = append(forms, "impl")
		}
		issue := ""
		if m.Issue != "" {
			issue = " golang/go" + m.Issue + ";"
		}
		fmt.Fprintf(w, "  %-24s [%s]%s breaks: %s\n", m.Name, strings.Join(forms, ","), issue, m.Rule)
	}
	fmt.Fprintln(w, "\nchecks:")
	for _, c := range properties.Checks {
		fmt.Fprintf(w, "  %-12s %s\n", c.Name, c.Doc)
	}
	fmt.Fprintln(w, "\nmechanism properties:")
	for _, m := range properties.Mechanisms {
		fmt.Fprintf(w, "  %-24s %s\n", m.Name, m.Rule)
	}
	return nil
}
