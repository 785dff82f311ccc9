package research

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"
)

// SelectMetrics returns the indexes of the named metrics (all of them for
// an empty list), or an error naming an unknown one.
func SelectMetrics(names []string) ([]int, error) {
	if len(names) == 0 {
		idx := make([]int, len(Metrics))
		for i := range idx {
			idx[i] = i
		}
		return idx, nil
	}
	var idx []int
	for _, n := range names {
		i := MetricIndex(n)
		if i < 0 {
			var all []string
			for _, m := range Metrics {
				all = append(all, m.Name)
			}
			return nil, fmt.Errorf("unknown metric %q (metrics: %s)", n, strings.Join(all, ", "))
		}
		idx = append(idx, i)
	}
	return idx, nil
}

// Num formats a metric value with about four significant digits and no
// exponent.
func Num(x float64) string {
	switch a := math.Abs(x); {
	case math.IsNaN(x) || math.IsInf(x, 0):
		return fmt.Sprint(x)
	case a >= 1000:
		return fmt.Sprintf("%.0f", x)
	case a >= 100:
		return fmt.Sprintf("%.1f", x)
	case a >= 10:
		return fmt.Sprintf("%.2f", x)
	}
	return fmt.Sprintf("%.3f", x)
}

// Ratio formats a/base: "=" when both are 0, "inf" when only base is.
func Ratio(a, base float64) string {
	if base == 0 {
		if a == 0 {
			return "="
		}
		return "inf"
	}
	return fmt.Sprintf("%.3f", a/base)
}

// group is the cells of one workload on one engine.
func (r *Report) groups() [][]Cell {
	var out [][]Cell
	for i := 0; i < len(r.Cells); {
		j := i
		for j < len(r.Cells) && r.Cells[j].Workload == r.Cells[i].Workload && r.Cells[j].Engine == r.Cells[i].Engine {
			j++
		}
		out = append(out, r.Cells[i:j])
		i = j
	}
	return out
}

// Outcomes summarizes how a cell's runs ended, e.g. "exited 19, fatal 1".
func (c *Cell) Outcomes() string {
	n := map[string]int{}
	for _, s := range c.Samples {
		n[s.Outcome]++
	}
	keys := make([]string, 0, len(n))
	for k := range n {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, n[k])
	}
	return strings.Join(parts, ", ")
}

// Broken lists the invariants the cell's runs broke, with counts, and the
// first message of a run that did not exit normally.
func (c *Cell) Broken() (inv string, firstBad string) {
	n := map[string]int{}
	for _, s := range c.Samples {
		if s.Invariant != "" {
			n[s.Invariant]++
		}
		if firstBad == "" && s.Outcome != "exited" && s.Message != "" {
			firstBad = s.Message
		}
	}
	keys := make([]string, 0, len(n))
	for k := range n {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s in %d runs", k, n[k])
	}
	return strings.Join(parts, ", "), firstBad
}

// Format writes the report: per workload and engine, how the runs ended
// and what they broke, then a table per metric with each config's mean,
// its 95% confidence interval, and the ratio of means to the first config
// ("*" where the two intervals do not overlap).
func (r *Report) Format(w io.Writer, metrics []int, invariantsChecked bool) error {
	var b strings.Builder
	for gi, g := range r.groups() {
		if gi > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "== %s on %s: %d seeds from %d\n", g[0].Workload, g[0].Engine, r.Seeds, r.Seed)
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "config\tknobs\toutcomes\tinvariants broken")
		for i := range g {
			c := &g[i]
			inv, bad := c.Broken()
			switch {
			case inv == "" && invariantsChecked:
				inv = "none"
			case inv == "":
				inv = "not checked"
			}
			out := c.Outcomes()
			if bad != "" {
				out += " (" + firstLine(bad) + ")"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Config.Label, c.Config.Cfg, out, inv)
		}
		tw.Flush()
		for _, mi := range metrics {
			m := Metrics[mi]
			fmt.Fprintf(&b, "\n%s (%s): %s\n", m.Name, m.Unit, m.Doc)
			tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "config\tmean\t95% CI\tmin\tmax\tratio\t")
			base := g[0].Stat(mi)
			for i := range g {
				st := g[i].Stat(mi)
				mark := ""
				if i > 0 && (st.Mean-st.Half > base.Mean+base.Half || st.Mean+st.Half < base.Mean-base.Half) {
					mark = " *"
				}
				fmt.Fprintf(tw, "%s\t%s\t[%s, %s]\t%s\t%s\t%s%s\t\n", g[i].Config.Label, Num(st.Mean),
					Num(st.Mean-st.Half), Num(st.Mean+st.Half), Num(st.Min), Num(st.Max), Ratio(st.Mean, base.Mean), mark)
			}
			tw.Flush()
		}
	}
	if len(r.Cells) > 0 && len(r.Cells[0].Samples) > 1 {
		b.WriteString("\n* the 95% confidence intervals of this config and the first do not overlap\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
