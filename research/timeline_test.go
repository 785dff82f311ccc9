package research

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gmplab/gmplab/spec"
)

func timelineOf(t *testing.T, engine, name string, procs int) *Timeline {
	t.Helper()
	w := example(t, name)
	r, err := Trace(engine, spec.Default(procs), w.Code, 1, &Options{})
	if err != nil || r.Outcome != "exited" {
		t.Fatalf("%s on %s: %v %+v", name, engine, err, r)
	}
	return NewTimeline(fmt.Sprintf("%s on %s", name, engine), r.Events, procs)
}

// The Chrome trace-event JSON is well formed: a traceEvents array of
// events with the fields the format requires for their phase, every lane
// named, times within the run, slices never overlapping on a lane, and
// one X event per slice and one i event per mark.
func TestChromeJSON(t *testing.T) {
	for _, c := range []struct {
		engine, name string
		procs        int
	}{{"model", "syscall", 2}, {"model", "hog", 1}, {"impl", "spawn300", 2}, {"model", "procs", 1}} {
		tl := timelineOf(t, c.engine, c.name, c.procs)
		var buf bytes.Buffer
		if err := tl.WriteChrome(&buf); err != nil {
			t.Fatal(err)
		}
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatalf("%s: not JSON: %v", c.name, err)
		}
		var evs []map[string]any
		if err := json.Unmarshal(doc["traceEvents"], &evs); err != nil {
			t.Fatalf("%s: traceEvents: %v", c.name, err)
		}
		var unit string
		json.Unmarshal(doc["displayTimeUnit"], &unit)
		if unit != "ns" && unit != "ms" {
			t.Errorf("%s: displayTimeUnit %q", c.name, unit)
		}
		named := map[float64]bool{}
		type span struct{ ts, end float64 }
		last := map[float64]span{}
		nx, ni := 0, 0
		lo, hi := usf(tl.Start), usf(tl.End)
		for k, e := range evs {
			ph, _ := e["ph"].(string)
			name, _ := e["name"].(string)
			ts, tsOK := e["ts"].(float64)
			tid, tidOK := e["tid"].(float64)
			if _, ok := e["pid"].(float64); !ok || !tidOK || !tsOK || name == "" {
				t.Fatalf("%s: event %d lacks name, pid, tid or ts: %v", c.name, k, e)
			}
			switch ph {
			case "M":
				if name == "thread_name" {
					named[tid] = true
				}
			case "X":
				nx++
				dur, ok := e["dur"].(float64)
				if !ok || dur < 0 || ts < lo || ts+dur > hi+1e-9 {
					t.Errorf("%s: X event %v outside %v..%v", c.name, e, lo, hi)
				}
				if cat, _ := e["cat"].(string); cat == "run" {
					if p, ok := last[tid]; ok && ts < p.end-1e-9 {
						t.Errorf("%s: lane %v: slice at %v overlaps the one ending at %v", c.name, tid, ts, p.end)
					}
					last[tid] = span{ts, ts + dur}
				}
			case "i":
				ni++
				if s, _ := e["s"].(string); s != "t" && s != "p" && s != "g" {
					t.Errorf("%s: instant event scope %q", c.name, s)
				}
				if ts < lo || ts > hi {
					t.Errorf("%s: mark %v outside the run", c.name, e)
				}
			default:
				t.Errorf("%s: unexpected phase %q", c.name, ph)
			}
			if ph != "M" && !named[tid] {
				t.Errorf("%s: event on an unnamed lane %v", c.name, tid)
			}
		}
		if nx != len(tl.Slices) || ni != len(tl.Marks) || nx == 0 {
			t.Errorf("%s: %d X and %d i events for %d slices and %d marks", c.name, nx, ni, len(tl.Slices), len(tl.Marks))
		}
	}
}

// The HTML page and the SVG are self-contained: no script, no external
// resource; and they name every P lane.
func TestTimelineHTMLSelfContained(t *testing.T) {
	tl := timelineOf(t, "model", "syscall", 2)
	var b bytes.Buffer
	if err := tl.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, bad := range []string{"<script", "http://", "https://", ` src="`, ` href="`} {
		if bad == "http://" {
			page = strings.ReplaceAll(page, `xmlns="http://www.w3.org/2000/svg"`, "")
		}
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	for _, want := range []string{">p0<", ">p1<", "<svg", "</html>", "Retake"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

// chromium finds a headless browser, or skips.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium, chromium-browser or google-chrome on PATH: rendering not checked (apt-get install chromium)")
	return ""
}

func screenshot(t *testing.T, browser, file string, w, h int) image.Image {
	t.Helper()
	out := file + ".png"
	cmd := exec.Command(browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
		"--force-device-scale-factor=1", fmt.Sprintf("--window-size=%d,%d", w, h), "--screenshot="+out, "file://"+file)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", browser, err, msg)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if keep := os.Getenv("GMPLAB_SCREENSHOTS"); keep != "" {
		data, _ := os.ReadFile(out)
		os.WriteFile(filepath.Join(keep, filepath.Base(out)), data, 0o644)
	}
	return img
}

// hslRGB converts gColor's hsl(h,65%,62%) to RGB.
func hslRGB(h, s, l float64) (r, g, b float64) {
	c := (1 - math.Abs(2*l-1)) * s
	x := c * (1 - math.Abs(math.Mod(h/60, 2)-1))
	m := l - c/2
	switch {
	case h < 60:
		r, g, b = c, x, 0
	case h < 120:
		r, g, b = x, c, 0
	case h < 180:
		r, g, b = 0, c, x
	case h < 240:
		r, g, b = 0, x, c
	case h < 300:
		r, g, b = x, 0, c
	default:
		r, g, b = c, 0, x
	}
	return (r + m) * 255, (g + m) * 255, (b + m) * 255
}

// Rendered in headless Chromium (one launch: the HTML page with a sweep
// plot added below the timeline), the page shows every G of the three
// longest slices in its colour over about the slice's area, and the plot
// draws its line. Set GMPLAB_SCREENSHOTS=DIR to keep the screenshot and
// look at it.
func TestRenderInChromium(t *testing.T) {
	browser := chromium(t)
	dir := t.TempDir()
	tl := timelineOf(t, "model", "syscall", 2)
	var page bytes.Buffer
	if err := tl.WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	p := Plot{Title: "latency-p99 vs runq-size", XLabel: "runq-size", YLabel: "µs", X: []string{"4", "16", "64"},
		Series: []Series{{"a model", []Stat{{N: 3, Mean: 1, Half: 0.2}, {N: 3, Mean: 3, Half: 0.5}, {N: 3, Mean: 2}}}}}
	var plot bytes.Buffer
	if err := p.WriteSVG(&plot); err != nil {
		t.Fatal(err)
	}
	html := strings.Replace(page.String(), "</body>", "<div>"+plot.String()+"</div></body>", 1)
	path := filepath.Join(dir, "timeline.html")
	os.WriteFile(path, []byte(html), 0o644)
	img := screenshot(t, browser, path, 1440, 800)
	// The SVG is 1400 wide with 1300 pixels of time; slices are 28 high.
	pxPerNs := 1300 / float64(tl.End-tl.Start)
	area := map[spec.GID]float64{}
	for _, s := range tl.Slices {
		if !s.Syscall {
			area[s.G] += max(float64(s.End-s.Start)*pxPerNs, 1) * 28
		}
	}
	checked := 0
	for _, s := range sortByLength(append([]Slice(nil), tl.Slices...)) {
		if s.Syscall || checked == 3 {
			continue
		}
		checked++
		wr, wg, wb := hslRGB(math.Mod(float64(s.G)*137.508, 360), 0.65, 0.62)
		n := float64(countColor(img, wr, wg, wb))
		if want := area[s.G]; n < 0.7*want || n > 1.1*want+200 {
			t.Errorf("%v: %.0f pixels of its colour rgb(%.0f,%.0f,%.0f), want about %.0f (its slices' area)", s.G, n, wr, wg, wb, want)
		}
	}
	if checked == 0 {
		t.Fatal("no slice to check")
	}
	// The plot's series colour (#1f77b4) is drawn: the line and the points.
	// WriteSVG's frame (640x400, plot area x 70..620, y 40..340) puts the
	// means 1, 3, 2 on the axis 0..4 at (70,265), (345,115), (620,190): the
	// polyline is 313+285 = 598 pixels long and 2 wide, about 1200 pixels,
	// plus the points (3 x pi x 3^2, about 85) and the legend's 20x2 line.
	// Anti-aliasing blends the edge pixels of the slanted line with the
	// white, and countColor counts only pixels within 12 of the colour:
	// about half of the line's area is left (measured in headless Chromium: 742 of 1321), so
	// want at least a third of it, and at most all of it (the error bars,
	// 1 pixel wide on half-pixel positions, are blended away entirely).
	seg := func(x0, y0, x1, y1 float64) float64 { return math.Hypot(x1-x0, y1-y0) }
	lineArea := 2*(seg(70, 265, 345, 115)+seg(345, 115, 620, 190)) + 3*math.Pi*9 + 20*2
	if n := float64(countColor(img, 0x1f, 0x77, 0xb4)); n < lineArea/3 || n > lineArea*1.1 {
		t.Errorf("the sweep plot's line has %.0f pixels of its colour, want about %.0f (its length x stroke width, less the blended edges)", n, lineArea/2)
	}
}

func countColor(img image.Image, wr, wg, wb float64) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			if math.Abs(float64(r>>8)-wr)+math.Abs(float64(g>>8)-wg)+math.Abs(float64(bb>>8)-wb) <= 12 {
				n++
			}
		}
	}
	return n
}

func sortByLength(s []Slice) []Slice {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j].End-s[j].Start > s[j-1].End-s[j-1].Start; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

func TestCrop(t *testing.T) {
	tl := timelineOf(t, "model", "syscall", 2)
	c := tl.Crop(5*time.Millisecond, 15*time.Millisecond)
	if c.Start != 5*time.Millisecond || c.End != 15*time.Millisecond || len(c.Slices) == 0 {
		t.Fatalf("crop: %v..%v, %d slices", c.Start, c.End, len(c.Slices))
	}
	for _, s := range c.Slices {
		if s.Start < c.Start || s.End > c.End {
			t.Errorf("slice %v %v..%v outside the window", s.G, s.Start, s.End)
		}
	}
	for _, m := range c.Marks {
		if m.Time < c.Start || m.Time > c.End {
			t.Errorf("mark %s at %v outside the window", m.Kind, m.Time)
		}
	}
	if len(tl.Slices) == len(c.Slices) && len(tl.Marks) == len(c.Marks) {
		t.Error("cropping 10ms out of 30ms kept everything")
	}
}
