package research

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/gmplab/gmplab/spec"
)

// Timeline is a run's pictures: per-P lanes with the Gs that ran there and
// the syscalls that held them, and marks for steals, spills, preemptions,
// retakes and the rest of MarkKinds.
type Timeline struct {
	Title string
	*Walked
}

// NewTimeline walks a trace (with GOMAXPROCS procs at its start).
func NewTimeline(title string, events []spec.Event, procs int) *Timeline {
	return &Timeline{Title: title, Walked: Walk(events, procs)}
}

// Crop keeps what happens in [from, to] (to <= 0: to the end), cutting
// slices at the edges, so that a long run can be looked at closely.
func (t *Timeline) Crop(from, to time.Duration) *Timeline {
	if to <= 0 || to > t.End {
		to = t.End
	}
	from = max(from, t.Start)
	w := *t.Walked
	w.Start, w.End, w.Slices, w.Marks = from, max(to, from), nil, nil
	for _, s := range t.Slices {
		if s.End >= from && s.Start <= to {
			s.Start, s.End = max(s.Start, from), min(s.End, to)
			w.Slices = append(w.Slices, s)
		}
	}
	for _, m := range t.Marks {
		if m.Time >= from && m.Time <= to {
			w.Marks = append(w.Marks, m)
		}
	}
	return &Timeline{Title: t.Title, Walked: &w}
}

// ChromeEvent is one entry of the Chrome trace-event format (the JSON
// Perfetto and chrome://tracing open): "X" complete events for slices,
// "i" instant events for marks, "M" metadata naming the process and the
// lanes. Ts and Dur are in microseconds.
type ChromeEvent struct {
	Name string            `json:"name"`
	Cat  string            `json:"cat,omitempty"`
	Ph   string            `json:"ph"`
	Ts   float64           `json:"ts"`
	Dur  *float64          `json:"dur,omitempty"`
	S    string            `json:"s,omitempty"`
	Pid  int               `json:"pid"`
	Tid  int               `json:"tid"`
	Args map[string]string `json:"args,omitempty"`
}

// ChromeTrace is the JSON object form of a trace-event file.
type ChromeTrace struct {
	TraceEvents     []ChromeEvent     `json:"traceEvents"`
	DisplayTimeUnit string            `json:"displayTimeUnit"`
	OtherData       map[string]string `json:"otherData,omitempty"`
}

// laneTid is a P's thread id in the Chrome trace: P0 is 1; marks of no P
// (sysmon's, Deadlock) go to lane 0, "sched".
func laneTid(p spec.PID) int {
	if p == spec.NoP {
		return 0
	}
	return int(p) + 1
}

func usf(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// Chrome returns the timeline in the trace-event format.
func (t *Timeline) Chrome() ChromeTrace {
	ct := ChromeTrace{DisplayTimeUnit: "ns", OtherData: map[string]string{"title": t.Title, "time": "logical"}}
	add := func(e ChromeEvent) { ct.TraceEvents = append(ct.TraceEvents, e) }
	add(ChromeEvent{Name: "process_name", Ph: "M", Pid: 1, Args: map[string]string{"name": t.Title}})
	add(ChromeEvent{Name: "thread_name", Ph: "M", Pid: 1, Tid: 0, Args: map[string]string{"name": "sched (no P)"}})
	for p := range t.lanes() {
		add(ChromeEvent{Name: "thread_name", Ph: "M", Pid: 1, Tid: laneTid(spec.PID(p)), Args: map[string]string{"name": spec.PID(p).String()}})
	}
	for _, s := range t.Slices {
		dur := usf(s.End - s.Start)
		e := ChromeEvent{Name: s.G.String(), Cat: "run", Ph: "X", Ts: usf(s.Start), Dur: &dur, Pid: 1, Tid: laneTid(s.P),
			Args: map[string]string{"g": s.G.String(), "m": s.M.String()}}
		if s.Syscall {
			e.Name, e.Cat = "syscall "+s.G.String(), "syscall"
		} else if s.Src != "" {
			e.Args["src"] = s.Src
		}
		add(e)
	}
	for _, m := range t.Marks {
		args := map[string]string{"detail": m.Detail}
		if m.G != spec.NoG {
			args["g"] = m.G.String()
		}
		add(ChromeEvent{Name: m.Kind, Cat: "mark", Ph: "i", S: "t", Ts: usf(m.Time), Pid: 1, Tid: laneTid(m.P), Args: args})
	}
	return ct
}

// WriteChrome writes the trace-event JSON.
func (t *Timeline) WriteChrome(w io.Writer) error {
	enc := json.NewEncoder(w)
	return enc.Encode(t.Chrome())
}

// lanes is the number of P lanes: the most Ps seen, or the highest P
// that appears.
func (t *Timeline) lanes() int {
	n := t.Procs
	for _, s := range t.Slices {
		n = max(n, int(s.P)+1)
	}
	for _, m := range t.Marks {
		n = max(n, int(m.P)+1)
	}
	return n
}

// markStyle is how a mark kind is drawn: its colour and its glyph.
var markStyle = map[string][2]string{
	"EnterSyscall":   {"#555555", "⤓"},
	"ExitSyscall":    {"#555555", "⤒"},
	"Steal":          {"#d62728", "▼"},
	"Spill":          {"#ff7f0e", "◆"},
	"Kick":           {"#8c564b", "›"},
	"GlobalBatch":    {"#17becf", "◀"},
	"Gosched":        {"#2ca02c", "○"},
	"Preempt":        {"#9467bd", "✕"},
	"PreemptRequest": {"#c5b0d5", "!"},
	"Retake":         {"#000000", "▲"},
	"Handoff":        {"#7f7f7f", "→"},
	"Grow":           {"#bcbd22", "+"},
	"Shrink":         {"#dbdb8d", "−"},
	"Wake":           {"#1f77b4", "•"},
	"Gomaxprocs":     {"#e377c2", "#"},
	"Fatal":          {"#ff0000", "☠"},
	"Deadlock":       {"#ff0000", "■"},
}

// gColor gives each G a stable colour (golden-angle hues).
func gColor(g spec.GID) string {
	h := math.Mod(float64(g)*137.508, 360)
	return fmt.Sprintf("hsl(%.0f,65%%,62%%)", h)
}

// SVG writes the timeline as a self-contained SVG: a time axis, a lane per
// P (and a "sched" lane for marks of no P), a rectangle per slice (hover
// for details), syscall slices hatched, marks as glyphs with a legend.
func (t *Timeline) SVG(w io.Writer) error {
	const W, left, right, top, laneH, gap = 1400.0, 80.0, 20.0, 50.0, 34.0, 6.0
	n := t.lanes()
	rows := n + 1 // + sched
	legendY := top + float64(rows)*(laneH+gap) + 20
	H := legendY + 40
	span := t.End - t.Start
	if span <= 0 {
		span = 1
	}
	pw := W - left - right
	x := func(d time.Duration) float64 { return left + pw*float64(d-t.Start)/float64(span) }
	laneY := func(p spec.PID) float64 {
		if p == spec.NoP {
			return top + float64(n)*(laneH+gap)
		}
		return top + float64(p)*(laneH+gap)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" font-family="sans-serif" font-size="11">`+"\n", W, H, W, H)
	b.WriteString(`<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#ddd"/><line x1="0" y1="0" x2="0" y2="6" stroke="#888" stroke-width="3"/></pattern></defs>` + "\n")
	fmt.Fprintf(&b, `<rect width="%g" height="%g" fill="white"/>`+"\n", W, H)
	fmt.Fprintf(&b, `<text x="%g" y="18" font-size="14">%s</text>`+"\n", left, html.EscapeString(t.Title))
	// Time axis: ticks at a round step, about ten of them.
	step := niceStep(span / 10)
	for d := (t.Start + step - 1) / step * step; d <= t.End; d += step {
		xx := x(d)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%g" x2="%.1f" y2="%g" stroke="#eee"/>`+"\n", xx, top-8, xx, legendY-14)
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" text-anchor="middle" fill="#555">%s</text>`+"\n", xx, top-12, d.Round(time.Nanosecond))
	}
	for p := 0; p < n; p++ {
		y := laneY(spec.PID(p))
		fmt.Fprintf(&b, `<rect x="%g" y="%g" width="%g" height="%g" fill="#f7f7f7"/>`+"\n", left, y, pw, laneH)
		fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="end" dominant-baseline="middle" font-size="13">%s</text>`+"\n", left-8, y+laneH/2, spec.PID(p))
	}
	fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="end" dominant-baseline="middle" fill="#555">sched</text>`+"\n", left-8, laneY(spec.NoP)+laneH/2)
	for _, s := range t.Slices {
		y := laneY(s.P)
		x0, x1 := x(s.Start), x(s.End)
		wd := max(x1-x0, 1.0)
		fill := gColor(s.G)
		title := fmt.Sprintf("%v on %v (%v) %v..%v", s.G, s.P, s.M, s.Start, s.End)
		label := s.G.String()
		if s.Syscall {
			fill = "url(#hatch)"
			title = "syscall: " + title + " (the M holds the P)"
			label = "sys " + label
		} else if s.Src != "" {
			title += " src=" + s.Src
		}
		fmt.Fprintf(&b, `<rect x="%.2f" y="%g" width="%.2f" height="%g" fill="%s" stroke="#444" stroke-width="0.3"><title>%s</title></rect>`+"\n",
			x0, y+3, wd, laneH-6, fill, html.EscapeString(title))
		if wd >= 7*float64(len(label))+4 {
			fmt.Fprintf(&b, `<text x="%.2f" y="%g" text-anchor="middle" dominant-baseline="middle" pointer-events="none">%s</text>`+"\n", x0+wd/2, y+laneH/2, label)
		}
	}
	for _, m := range t.Marks {
		st, ok := markStyle[m.Kind]
		if !ok {
			continue
		}
		xx, y := x(m.Time), laneY(m.P)
		title := fmt.Sprintf("%s at %v", m.Kind, m.Time)
		if m.G != spec.NoG {
			title += " " + m.G.String()
		}
		if m.P != spec.NoP {
			title += " on " + m.P.String()
		}
		if m.Detail != "" {
			title += ": " + m.Detail
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" text-anchor="middle" fill="%s" font-size="12"><title>%s</title>%s</text>`+"\n",
			xx, y+10, st[0], html.EscapeString(title), st[1])
	}
	// Legend: the mark kinds that occur.
	lx := left
	for _, k := range MarkKinds {
		if !slices.ContainsFunc(t.Marks, func(m Mark) bool { return m.Kind == k }) {
			continue
		}
		st := markStyle[k]
		fmt.Fprintf(&b, `<text x="%g" y="%g" fill="%s" font-size="13">%s</text><text x="%g" y="%g">%s</text>`+"\n", lx, legendY, st[0], st[1], lx+14, legendY, k)
		lx += 14 + 7*float64(len(k)) + 18
	}
	fmt.Fprintf(&b, `<rect x="%g" y="%g" width="20" height="10" fill="url(#hatch)" stroke="#444" stroke-width="0.3"/><text x="%g" y="%g">syscall holding the P</text>`+"\n", lx, legendY-9, lx+24, legendY)
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// niceStep rounds d up to 1, 2 or 5 times a power of ten (at least 1ns).
func niceStep(d time.Duration) time.Duration {
	step := time.Duration(1)
	for {
		for _, m := range []time.Duration{1, 2, 5} {
			if m*step >= d {
				return m * step
			}
		}
		step *= 10
	}
}

// WriteHTML writes a self-contained HTML page (no scripts, no external
// resources) with the SVG timeline.
func (t *Timeline) WriteHTML(w io.Writer) error {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>")
	b.WriteString(html.EscapeString(t.Title))
	b.WriteString("</title>\n<style>body{font-family:sans-serif;margin:16px} svg rect:hover{stroke:#000;stroke-width:1.5}</style></head><body>\n")
	fmt.Fprintf(&b, "<p>%d slices, %d marks, logical time %v..%v. Hover a slice or a mark for details. "+
		"Each P is a lane; a G's colour is the same everywhere.</p>\n", len(t.Slices), len(t.Marks), t.Start, t.End)
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if err := t.SVG(w); err != nil {
		return err
	}
	_, err := io.WriteString(w, "</body></html>\n")
	return err
}
