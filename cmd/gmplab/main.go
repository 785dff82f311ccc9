// Command gmplab is the command line of gmplab, the verification lab for
// Go's GMP scheduler. It is a thin layer over the library packages:
//
//	gmplab run [flags] WORKLOAD       simulate a workload on the reference model
//	gmplab explore [flags] [WORKLOAD] explore every interleaving, check every invariant
//	gmplab replay [flags] TRACE       replay a counterexample or trace step by step
//	gmplab knobs                      list the scheduler policy knobs and their defaults
//	gmplab conform [flags]            run programs on the real Go runtime, check their orders against the model
//	gmplab compare [flags] W CONFIG.. compare configs over many seeds (metrics, CIs, ratios)
//	gmplab sweep [flags] -knob K W    vary one knob and print (and plot) the metrics
//	gmplab timeline [flags] WORKLOAD  draw a run's per-P timeline (Chrome JSON, HTML/SVG)
//	gmplab mutants [flags]            the mutation report: which check kills each mutant
//
// A WORKLOAD is a file in the workload language or the name of an example
// (gmplab run spawn10). Exit status: 0 success, 1 a check failed (an
// invariant violation, a diverging replay), 2 bad usage or input.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// usageError is bad usage or input: exit status 2.
type usageError struct{ error }

// failure is a check that failed: exit status 1.
type failure struct{ error }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

var commands = []struct {
	name, summary string
	run           func(args []string, stdout, stderr io.Writer) error
}{
	{"run", "simulate a workload on the reference model (schedtrace, trace, metrics)", cmdRun},
	{"explore", "explore every interleaving of a workload and check every invariant", cmdExplore},
	{"replay", "replay a trace or counterexample step by step on the model", cmdReplay},
	{"knobs", "list the scheduler policy knobs with their go1.26.8 defaults", cmdKnobs},
	{"conform", "run programs on the real Go runtime and check their orders against the model", cmdConform},
	{"compare", "compare scheduler configs on workloads over many seeds (metrics, CIs, ratios)", cmdCompare},
	{"sweep", "vary one knob over a range and print (and plot) the metrics against it", cmdSweep},
	{"timeline", "draw a run's per-P timeline as Chrome trace-event JSON (Perfetto) and HTML/SVG", cmdTimeline},
	{"mutants", "run every mutant against the quick checks; print what killed each", cmdMutants},
}

func run(args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		// No input may crash the command: a panic is a bug, reported as one.
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "gmplab: internal error: %v\nplease report it with the command line that caused it\n", r)
			code = 3
		}
	}()
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			err := c.run(args[1:], stdout, stderr)
			var ue usageError
			var f failure
			switch {
			case err == nil:
				return 0
			case errors.Is(err, errHelp):
				return 0
			case errors.As(err, &f):
				fmt.Fprintf(stderr, "gmplab %s: %v\n", c.name, f.error)
				return 1
			case errors.As(err, &ue):
				fmt.Fprintf(stderr, "gmplab %s: %v\n", c.name, ue.error)
				return 2
			default:
				fmt.Fprintf(stderr, "gmplab %s: %v\n", c.name, err)
				return 2
			}
		}
	}
	fmt.Fprintf(stderr, "gmplab: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "gmplab: a verification lab for Go's GMP scheduler")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "usage: gmplab COMMAND [flags] [args]")
	fmt.Fprintln(w)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'gmplab COMMAND -h' for a command's flags. A WORKLOAD is a .gmp file or the")
	fmt.Fprintln(w, "name of an example (gmplab run spawn10). Exit status: 0 ok, 1 a check failed,")
	fmt.Fprintln(w, "2 bad usage or input.")
}
