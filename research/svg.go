package research

import (
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// Series is one line of a plot: a mean with a 95% confidence interval at
// each x position.
type Series struct {
	Name  string
	Stats []Stat
}

// Plot is a line plot over categorical x values (a sweep's knob values,
// evenly spaced, so that 4,16,64,256 and true,false both read well).
type Plot struct {
	Title, XLabel, YLabel string
	X                     []string
	Series                []Series
}

var seriesColors = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf"}

// WriteSVG writes p as a self-contained SVG (no scripts, no external
// resources): axes with ticks, one polyline per series with its 95%
// confidence interval as error bars, and a legend.
func (p *Plot) WriteSVG(w io.Writer) error {
	const W, H, left, right, top, bottom = 640.0, 400.0, 70.0, 20.0, 40.0, 60.0
	pw, ph := W-left-right, H-top-bottom
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range p.Series {
		for _, st := range s.Stats {
			if st.N == 0 {
				continue
			}
			lo = min(lo, st.Mean-st.Half)
			hi = max(hi, st.Mean+st.Half)
		}
	}
	if math.IsInf(lo, 0) {
		lo, hi = 0, 1
	}
	lo = min(lo, 0) // counts and times start at zero
	if hi <= lo {
		hi = lo + 1
	}
	step := niceFloat((hi - lo) / 5)
	lo = math.Floor(lo/step) * step
	hi = math.Ceil(hi/step) * step
	xpos := func(i int) float64 {
		if len(p.X) == 1 {
			return left + pw/2
		}
		return left + pw*float64(i)/float64(len(p.X)-1)
	}
	ypos := func(v float64) float64 { return top + ph*(1-(v-lo)/(hi-lo)) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" font-family="sans-serif" font-size="12">`+"\n", W, H, W, H)
	fmt.Fprintf(&b, `<rect width="%g" height="%g" fill="white"/>`+"\n", W, H)
	fmt.Fprintf(&b, `<text x="%g" y="22" text-anchor="middle" font-size="15">%s</text>`+"\n", W/2, html.EscapeString(p.Title))
	// Axes and ticks.
	fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="black"/>`+"\n", left, top+ph, left+pw, top+ph)
	fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="black"/>`+"\n", left, top, left, top+ph)
	for k := 0; lo+float64(k)*step <= hi+step/2; k++ {
		v := lo + float64(k)*step
		y := ypos(v)
		fmt.Fprintf(&b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#ddd"/>`+"\n", left, y, left+pw, y)
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`+"\n", left-6, y, Num(v))
	}
	for i, x := range p.X {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%g" x2="%.1f" y2="%g" stroke="black"/>`+"\n", xpos(i), top+ph, xpos(i), top+ph+5)
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" text-anchor="middle">%s</text>`+"\n", xpos(i), top+ph+18, html.EscapeString(x))
	}
	fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="middle">%s</text>`+"\n", left+pw/2, H-12, html.EscapeString(p.XLabel))
	fmt.Fprintf(&b, `<text x="16" y="%g" text-anchor="middle" transform="rotate(-90 16 %g)">%s</text>`+"\n", top+ph/2, top+ph/2, html.EscapeString(p.YLabel))
	// Series.
	for si, s := range p.Series {
		col := seriesColors[si%len(seriesColors)]
		var pts []string
		for i, st := range s.Stats {
			if st.N == 0 {
				continue
			}
			x, y := xpos(i), ypos(st.Mean)
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
			if st.Half > 0 {
				y1, y2 := ypos(st.Mean-st.Half), ypos(st.Mean+st.Half)
				fmt.Fprintf(&b, `<path d="M%.1f %.1fV%.1fM%.1f %.1fh8M%.1f %.1fh8" stroke="%s" fill="none"/>`+"\n", x, y1, y2, x-4, y1, x-4, y2, col)
			}
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s %s: %s ± %s</title></circle>`+"\n",
				x, y, col, html.EscapeString(s.Name), html.EscapeString(p.X[i]), Num(st.Mean), Num(st.Half))
		}
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", strings.Join(pts, " "), col)
		ly := top + 14*float64(si)
		fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="%s" stroke-width="2"/><text x="%g" y="%g" dominant-baseline="middle">%s</text>`+"\n",
			left+pw-150, ly, left+pw-130, ly, col, left+pw-125, ly, html.EscapeString(s.Name))
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// niceFloat rounds x > 0 up to 1, 2 or 5 times a power of ten.
func niceFloat(x float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= x*(1-1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// SweepPlots returns one plot per metric of a sweep: x the knob's values,
// a series per workload and engine.
func (r *Report) SweepPlots(knob string, metrics []int) []Plot {
	var out []Plot
	for _, mi := range metrics {
		m := Metrics[mi]
		p := Plot{Title: fmt.Sprintf("%s vs %s (mean, 95%% CI, %d seeds)", m.Name, knob, r.Seeds), XLabel: knob,
			YLabel: fmt.Sprintf("%s (%s)", m.Name, m.Unit)}
		for gi, g := range r.groups() {
			s := Series{Name: g[0].Workload + " " + g[0].Engine}
			for i := range g {
				if gi == 0 {
					p.X = append(p.X, sweepValue(&g[i], knob))
				}
				s.Stats = append(s.Stats, g[i].Stat(mi))
			}
			p.Series = append(p.Series, s)
		}
		out = append(out, p)
	}
	return out
}

// WriteSweepSVGs writes DIR/METRIC.svg for each metric and returns the
// paths.
func (r *Report) WriteSweepSVGs(dir, knob string, metrics []int) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var paths []string
	for i, p := range r.SweepPlots(knob, metrics) {
		path := filepath.Join(dir, Metrics[metrics[i]].Name+".svg")
		f, err := os.Create(path)
		if err != nil {
			return paths, err
		}
		err = p.WriteSVG(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return paths, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}
