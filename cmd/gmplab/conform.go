package main

import (
	"fmt"
	"io"
	"os"
	"regexp"

	"github.com/gmplab/gmplab/conform"
)

func cmdConform(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("conform", "", `Build the conformance programs (conform/testdata) once with the installed
Go toolchain, run each under GOMAXPROCS=1 several times, and check every
order they print against the model given the runtime's start-up inputs
(P0's schedtick 4 or 5, two runtime Gs runnable). Prints one row per case:
the distinct observed orders with counts, the model's prediction, the input
that explains each observation, and the verdict (agree, explained, DISAGREE).
Exit status 1 on any disagreement.`, stderr)
	runs := fs.Int("runs", 10, "runs of each program")
	match := fs.String("case", "", "run only the cases whose name matches this regular expression")
	verbose := fs.Bool("v", false, "print every order in full and each explanation's timing choices")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	if *runs < 1 {
		return usageError{fmt.Errorf("-runs: must be at least 1, not %d", *runs)}
	}
	re, err := regexp.Compile(*match)
	if err != nil {
		return usageError{fmt.Errorf("-case: %v", err)}
	}
	var cases []conform.Case
	for _, c := range conform.Suite() {
		if re.MatchString(c.Name) {
			cases = append(cases, c)
		}
	}
	if len(cases) == 0 {
		return usageError{fmt.Errorf("-case %q matches no case", *match)}
	}
	goBin, err := conform.FindGo()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "gmplab-conform-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	results, err := conform.CheckAll(goBin, dir, cases, *runs)
	if err != nil {
		return err
	}
	if err := conform.WriteTable(stdout, results, *verbose); err != nil {
		return err
	}
	for _, r := range results {
		if r.Verdict == conform.Disagree {
			return failure{fmt.Errorf("case %s: the real runtime printed an order the model cannot produce (run with -v -case '^%s$')", r.Case.Name, regexp.QuoteMeta(r.Case.Name))}
		}
	}
	return nil
}
