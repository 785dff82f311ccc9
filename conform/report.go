package conform

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// WriteTable writes the table of `gmplab conform`: case, runs, whether
// every run printed the same order (det), the distinct observed orders with their counts, the prediction, the input
// that explains each observation, and the verdict. Orders longer than a
// few tokens are abbreviated; verbose adds every order in full and the
// timing choices of each explanation.
func WriteTable(w io.Writer, results []*Result, verbose bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "case\truns\tdet\tobserved\tpredicted\tallowed\texplaining input\tverdict")
	for _, r := range results {
		var obs, inputs []string
		for _, o := range r.Observed {
			obs = append(obs, fmt.Sprintf("%dx %s", o.Count, r.label(o)))
			inputs = append(inputs, r.input(o))
		}
		det := "yes"
		if !r.Deterministic() {
			det = "no"
		}
		allowed := "-"
		if r.Possible != nil {
			allowed = strconv.Itoa(len(r.Possible))
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Case.Name, r.Runs, det, strings.Join(obs, ", "), r.predicted(), allowed, strings.Join(inputs, "; "), r.Verdict)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if !verbose {
		return nil
	}
	for _, r := range results {
		fmt.Fprintf(w, "\n%s: %s\n  program: conform/testdata/%s/main.go %s\n  workload: conform/testdata/%s.gmp\n", r.Case.Name, r.Case.Why, r.Case.Prog, strings.Join(r.Case.Args, " "), r.Case.Prog)
		for _, p := range r.Predicted {
			fmt.Fprintf(w, "  predicted (schedtick %d): %s\n", p.Tick, strings.Join(p.Tokens, " "))
			for _, d := range p.Sysmon {
				fmt.Fprintf(w, "    %s\n", d)
			}
		}
		if r.Possible != nil {
			fmt.Fprintf(w, "  allowed by the untimed model with at most %d timing choices: %d order(s)\n", MaxDeviations, len(r.Possible))
			for _, p := range r.Possible {
				fmt.Fprintf(w, "    %s  (%s)\n", strings.Join(p.Tokens, " "), &p.Explanation)
			}
		}
		for _, o := range r.Observed {
			fmt.Fprintf(w, "  observed %dx: %s\n", o.Count, strings.Join(o.Tokens, " "))
			if o.Explanation == nil {
				p := r.Predicted[0]
				fmt.Fprintf(w, "    no model run prints it (at most %d timing choices); it first differs from schedtick %d's prediction at token %d\n", MaxDeviations, p.Tick, firstDiff(p.Tokens, o.Tokens))
				continue
			}
			fmt.Fprintf(w, "    explained by: %s\n", o.Explanation)
		}
	}
	return nil
}

// label abbreviates an observation: "= t4" for the prediction of
// schedtick 4, else its first tokens and, if it differs from the first
// prediction, where.
func (r *Result) label(o *Observation) string {
	if len(o.Ticks) > 0 {
		var ts []string
		for _, t := range o.Ticks {
			ts = append(ts, "t"+strconv.FormatUint(uint64(t), 10))
		}
		return "=" + strings.Join(ts, "=")
	}
	return abbrev(o.Tokens) + fmt.Sprintf(" (differs at %d)", firstDiff(r.Predicted[0].Tokens, o.Tokens))
}

// predicted abbreviates the predictions: the first, and where the others
// differ from it.
func (r *Result) predicted() string {
	if len(r.Predicted) == 0 {
		return "-"
	}
	first := r.Predicted[0]
	s := "t" + strconv.FormatUint(uint64(first.Tick), 10) + ": " + abbrev(first.Tokens)
	for _, p := range r.Predicted[1:] {
		t := "t" + strconv.FormatUint(uint64(p.Tick), 10)
		if slices.Equal(p.Tokens, first.Tokens) {
			s += "; " + t + " same"
		} else {
			s += fmt.Sprintf("; %s differs at %d", t, firstDiff(first.Tokens, p.Tokens))
		}
	}
	return s
}

// input names what explains an observation in the table.
func (r *Result) input(o *Observation) string {
	switch {
	case o.Explanation == nil:
		return "none"
	case len(o.Ticks) > 0:
		var ts []string
		for _, t := range o.Ticks {
			ts = append(ts, strconv.FormatUint(uint64(t), 10))
		}
		s := "schedtick " + strings.Join(ts, " or ")
		if c := o.Explanation.Choices; len(c) > 0 {
			s += "; " + strings.Join(c, "; ")
		}
		return s
	}
	return o.Explanation.String()
}

// abbrev shows at most 6 tokens and the length.
func abbrev(toks []string) string {
	if len(toks) <= 6 {
		return strings.Join(toks, " ")
	}
	return strings.Join(toks[:3], " ") + " … " + strings.Join(toks[len(toks)-2:], " ") + " (" + strconv.Itoa(len(toks)) + ")"
}

// firstDiff is the first position at which a and b differ (the shorter
// length if one is a prefix of the other).
func firstDiff(a, b []string) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}
