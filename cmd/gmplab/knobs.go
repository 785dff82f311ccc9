package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/gmplab/gmplab/spec"
)

func cmdKnobs(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("knobs", "", "List every scheduler policy knob with its go1.26.8 default. Each is a flag of\nrun and explore (-NAME=VALUE).", stderr)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	d := spec.Default(1)
	tw := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "KNOB\tDEFAULT\tMEANING")
	for _, k := range spec.Knobs() {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", k.Name, k.Get(d), k.Doc)
	}
	return tw.Flush()
}
