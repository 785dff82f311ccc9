package research

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gmplab/gmplab/spec"
)

// MaxSweepValues bounds the values of a range.
const MaxSweepValues = 1000

// ParseRange expands "LO:HI:STEP" into values: integers or durations,
// from LO while <= HI, STEP "+N" or "N" (add N) or "xN" (multiply by N).
// Examples: 1:64:x2 -> 1 2 4 ... 64; 0:120:+20; 1ms:5ms:+1ms.
func ParseRange(s string) ([]string, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%q: want LO:HI:STEP, e.g. 1:64:x2 or 0:120:+20", s)
	}
	lo, hi, step := parts[0], parts[1], parts[2]
	mul := strings.HasPrefix(step, "x")
	step = strings.TrimPrefix(strings.TrimPrefix(step, "x"), "+")
	// Integers, else durations.
	var a, b, d int64
	isDur := false
	var err1, err2, err3 error
	a, err1 = strconv.ParseInt(lo, 10, 64)
	b, err2 = strconv.ParseInt(hi, 10, 64)
	if err1 != nil || err2 != nil {
		da, e1 := time.ParseDuration(lo)
		db, e2 := time.ParseDuration(hi)
		if e1 != nil || e2 != nil {
			return nil, fmt.Errorf("%q: LO and HI must both be integers or both durations", s)
		}
		a, b, isDur = int64(da), int64(db), true
	}
	if mul || !isDur {
		d, err3 = strconv.ParseInt(step, 10, 64)
	} else {
		var dd time.Duration
		dd, err3 = time.ParseDuration(step)
		d = int64(dd)
	}
	switch {
	case err3 != nil && mul:
		return nil, fmt.Errorf("%q: step %q: want xN with an integer N >= 2", s, parts[2])
	case err3 != nil:
		return nil, fmt.Errorf("%q: step %q: want +N with N of the same kind as LO and HI", s, parts[2])
	case a > b:
		return nil, fmt.Errorf("%q: LO > HI", s)
	case mul && d < 2:
		return nil, fmt.Errorf("%q: step %q: a factor must be at least 2", s, parts[2])
	case mul && a <= 0:
		return nil, fmt.Errorf("%q: a multiplied range must start above 0", s)
	case !mul && d <= 0:
		return nil, fmt.Errorf("%q: step %q: must be positive", s, parts[2])
	}
	var out []string
	for v := a; v <= b; {
		if len(out) == MaxSweepValues {
			return nil, fmt.Errorf("%q: more than %d values", s, MaxSweepValues)
		}
		if isDur {
			out = append(out, time.Duration(v).String())
		} else {
			out = append(out, strconv.FormatInt(v, 10))
		}
		next := v + d
		if mul {
			next = v * d
		}
		if next <= v { // overflow
			break
		}
		v = next
	}
	return out, nil
}

// SweepConfigs returns base with knob set to each value, labelled
// "knob=value".
func SweepConfigs(base, knob string, values []string, procs int) ([]Config, error) {
	if _, ok := spec.LookupKnob(knob); !ok {
		var c spec.Config
		return nil, c.Set(knob, "") // the unknown-knob error, listing the knobs
	}
	if _, err := ParseConfig(base, procs); err != nil {
		return nil, fmt.Errorf("-base: %w", err)
	}
	var out []Config
	for _, v := range values {
		c, err := ParseConfig(base+","+knob+"="+v, procs)
		if err != nil {
			return nil, err
		}
		c.Label = knob + "=" + v
		out = append(out, c)
	}
	return out, nil
}

// sweepValue is the knob's value of a sweep cell.
func sweepValue(c *Cell, knob string) string {
	return strings.TrimPrefix(c.Config.Label, knob+"=")
}

// FormatSweep writes a sweep: per workload and engine, how the runs ended
// at each value, then the metrics against the value (mean ± the half-width
// of the 95% confidence interval), five metrics per table.
func (r *Report) FormatSweep(w io.Writer, knob string, metrics []int, invariantsChecked bool) error {
	var b strings.Builder
	for gi, g := range r.groups() {
		if gi > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "== %s on %s: %s swept, %d seeds from %d\n", g[0].Workload, g[0].Engine, knob, r.Seeds, r.Seed)
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "%s\toutcomes\tinvariants broken\n", knob)
		for i := range g {
			inv, bad := g[i].Broken()
			switch {
			case inv == "" && invariantsChecked:
				inv = "none"
			case inv == "":
				inv = "not checked"
			}
			out := g[i].Outcomes()
			if bad != "" {
				out += " (" + firstLine(bad) + ")"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", sweepValue(&g[i], knob), out, inv)
		}
		tw.Flush()
		for lo := 0; lo < len(metrics); lo += 5 {
			chunk := metrics[lo:min(lo+5, len(metrics))]
			b.WriteString("\n")
			tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintf(tw, "%s\t", knob)
			for _, mi := range chunk {
				fmt.Fprintf(tw, "%s (%s)\t", Metrics[mi].Name, Metrics[mi].Unit)
			}
			fmt.Fprintln(tw)
			for i := range g {
				fmt.Fprintf(tw, "%s\t", sweepValue(&g[i], knob))
				for _, mi := range chunk {
					st := g[i].Stat(mi)
					fmt.Fprintf(tw, "%s ±%s\t", Num(st.Mean), Num(st.Half))
				}
				fmt.Fprintln(tw)
			}
			tw.Flush()
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
