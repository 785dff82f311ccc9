package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Bad flags, an unknown preset or knob, an invalid range: a clear message
// and exit status 2.
func TestResearchBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"compare"}, "want a WORKLOAD and at least two CONFIGs"},
		{[]string{"compare", "pingpong", "go1.26"}, "at least two CONFIGs, got 2 arguments"},
		{[]string{"compare", "pingpong", "go1.26", "go1.27"}, `unknown preset "go1.27"`},
		{[]string{"compare", "pingpong", "go1.26", "ring-3"}, "runq-size = 3: must be a power of two"},
		{[]string{"compare", "pingpong", "go1.26", "nosuch=1"}, `unknown knob "nosuch"`},
		{[]string{"compare", "pingpong", "go1.26", "runnext=maybe"}, "want true or false"},
		{[]string{"compare", "-engine", "tla", "pingpong", "go1.26", "article"}, `-engine "tla": want model, impl or both`},
		{[]string{"compare", "-seeds", "0", "pingpong", "go1.26", "article"}, "-seeds 0"},
		{[]string{"compare", "-seeds", "x", "pingpong", "go1.26", "article"}, "invalid value"},
		{[]string{"compare", "-metrics", "speed", "pingpong", "go1.26", "article"}, `unknown metric "speed"`},
		{[]string{"compare", "-time-scale", "0", "pingpong", "go1.26", "article"}, "-time-scale 0"},
		{[]string{"compare", "-bogus", "pingpong", "go1.26", "article"}, "flag provided but not defined: -bogus"},
		{[]string{"compare", "nosuchworkload", "go1.26", "article"}, "no such file, and no example"},
		{[]string{"compare", dir, "go1.26", "article"}, "a directory without *.gmp workloads"},
		{[]string{"compare", "-focus", "nosuch", "pingpong", "go1.26", "article"}, `no function "nosuch"`},
		{[]string{"sweep", "pingpong"}, "-knob is required"},
		{[]string{"sweep", "-knob", "runq-size", "pingpong"}, "exactly one of -values and -range"},
		{[]string{"sweep", "-knob", "runq-size", "-values", "4", "-range", "1:4:x2", "pingpong"}, "exactly one of -values and -range"},
		{[]string{"sweep", "-knob", "nope", "-values", "4,8", "pingpong"}, `unknown knob "nope"`},
		{[]string{"sweep", "-knob", "runq-size", "-values", "4,7", "pingpong"}, "runq-size = 7: must be a power of two"},
		{[]string{"sweep", "-knob", "runq-size", "-range", "64:4:x2", "pingpong"}, "LO > HI"},
		{[]string{"sweep", "-knob", "runq-size", "-range", "4:64", "pingpong"}, "want LO:HI:STEP"},
		{[]string{"sweep", "-knob", "runq-size", "-range", "4:64:x1", "pingpong"}, "factor must be at least 2"},
		{[]string{"sweep", "-knob", "runq-size", "-range", "4:64:x2", "-base", "nosuch", "pingpong"}, `unknown preset "nosuch"`},
		{[]string{"sweep", "-knob", "runq-size", "-values", ",", "pingpong"}, "no values"},
		{[]string{"sweep", "-knob", "runq-size", "-values", "4"}, "want one WORKLOAD or DIR"},
		{[]string{"timeline", "pingpong"}, "give -json FILE, -html FILE or both"},
		{[]string{"timeline", "-json", "-", "-config", "go1.27", "pingpong"}, `unknown preset "go1.27"`},
		{[]string{"timeline", "-json", "-", "-config", "article", "-procs", "2", "pingpong"}, "do not mix"},
		{[]string{"timeline", "-json", "-", "-engine", "x", "pingpong"}, "want model or impl"},
		{[]string{"timeline", "-json", "-"}, "want one WORKLOAD"},
		{[]string{"timeline", "-json", "-", "-from", "2ms", "-to", "1ms", "pingpong"}, "want 0 <= from < to"},
	} {
		code, _, stderr := gmplab(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("gmplab %s: exit %d, stderr %q; want exit 2 and %q", strings.Join(c.args, " "), code, stderr, c.want)
		}
	}
}

// The same comparison twice with the same seeds prints identical numbers
// on the model; progress goes to stderr, the report to stdout.
func TestCompareTwice(t *testing.T) {
	defer func(d time.Duration) { progressEvery = d }(progressEvery)
	progressEvery = 0
	args := []string{"compare", "-procs", "2", "-seeds", "3", "syscall", "go1.26", "no-runnext", "steal-one", "runq-size=16,retake-policy=after"}
	code, out1, stderr := gmplab(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "gmplab compare: 12/12 runs") {
		t.Errorf("no progress on stderr: %q", stderr)
	}
	_, out2, _ := gmplab(t, args...)
	if out1 != out2 {
		t.Fatalf("two runs differ:\n%s\n---\n%s", out1, out2)
	}
	for _, want := range []string{"== syscall on model: 3 seeds from 1", "throughput (Gs/ms)", "latency-p99 (µs)", "copied-bytes (KiB)",
		"runq-size=16,retake-policy=after", "procs=2 runq-size=16 spill-batch=8 global-batch-cap=8 retake-policy=after", "exited 3", "95% CI"} {
		if !strings.Contains(out1, want) {
			t.Errorf("output lacks %q:\n%s", want, out1)
		}
	}
}

// A directory of workloads, both engines, a metric subset.
func TestCompareDirBothEngines(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"pingpong", "gosched"} {
		src, _ := os.ReadFile(filepath.Join("..", "..", "examples", name+".gmp"))
		os.WriteFile(filepath.Join(dir, name+".gmp"), src, 0o644)
	}
	code, out, stderr := gmplab(t, "compare", "-q", "-engine", "both", "-seeds", "2", "-metrics", "latency-max,steals", dir, "go1.26", "no-runnext")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"gosched on model", "gosched on impl", "pingpong on model", "pingpong on impl", "latency-max (µs)", "steals (n)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "throughput") || stderr != "" {
		t.Errorf("-metrics and -q not honoured: stderr %q\n%s", stderr, out)
	}
}

func TestSweep(t *testing.T) {
	dir := t.TempDir()
	code, out, stderr := gmplab(t, "sweep", "-q", "-procs", "2", "-seeds", "2", "-knob", "runq-size", "-range", "4:16:x2",
		"-metrics", "spills,latency-p99", "-svg", dir, "spawn10")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"runq-size swept", "spills (n)", "latency-p99 (µs)", "wrote 2 plots"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, v := range []string{"4", "8", "16"} {
		if !strings.Contains(out, "\n"+v+" ") && !strings.Contains(out, " "+v+" ") {
			t.Errorf("no row for runq-size %s:\n%s", v, out)
		}
	}
	for _, m := range []string{"spills", "latency-p99"} {
		svg, err := os.ReadFile(filepath.Join(dir, m+".svg"))
		if err != nil || !strings.HasPrefix(string(svg), "<svg") || !strings.Contains(string(svg), "<polyline") {
			t.Errorf("%s.svg: %v %.80q", m, err, svg)
		}
	}
}

func TestTimelineCommand(t *testing.T) {
	dir := t.TempDir()
	js, page := filepath.Join(dir, "t.json"), filepath.Join(dir, "t.html")
	code, _, stderr := gmplab(t, "timeline", "-config", "no-runnext,procs=2", "-json", js, "-html", page, "syscall")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var doc struct {
		TraceEvents []map[string]any `json:"traceEvents"`
	}
	data, _ := os.ReadFile(js)
	if err := json.Unmarshal(data, &doc); err != nil || len(doc.TraceEvents) < 5 {
		t.Fatalf("JSON: %v, %d events", err, len(doc.TraceEvents))
	}
	h, _ := os.ReadFile(page)
	if !strings.Contains(string(h), "<svg") || !strings.Contains(string(h), "no-runnext,procs=2") {
		t.Errorf("HTML lacks the SVG or the config: %.200q", h)
	}
	code, out, _ := gmplab(t, "timeline", "-engine", "impl", "-procs", "2", "-json", "-", "pingpong")
	if code != 0 || !strings.Contains(out, `"traceEvents"`) {
		t.Errorf("impl timeline to stdout: exit %d %.100q", code, out)
	}
}

func TestResearchHelp(t *testing.T) {
	for _, cmd := range []string{"compare", "sweep", "timeline"} {
		code, _, stderr := gmplab(t, cmd, "-h")
		if code != 0 || !strings.Contains(stderr, "usage: gmplab "+cmd) {
			t.Errorf("%s -h: exit %d, %q", cmd, code, stderr)
		}
	}
}
