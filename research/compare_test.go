package research

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gmplab/gmplab/examples"
	"github.com/gmplab/gmplab/model"
	"github.com/gmplab/gmplab/spec"
)

func example(t *testing.T, name string) Workload {
	t.Helper()
	src, err := examples.FS.ReadFile(name + ".gmp")
	if err != nil {
		t.Fatal(err)
	}
	code, err := spec.ParseCode(name, src)
	if err != nil {
		t.Fatal(err)
	}
	return Workload{name, code}
}

func configs(t *testing.T, procs int, labels ...string) []Config {
	t.Helper()
	var out []Config
	for _, l := range labels {
		c, err := ParseConfig(l, procs)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

func format(t *testing.T, r *Report) string {
	t.Helper()
	var b bytes.Buffer
	idx, _ := SelectMetrics(nil)
	if err := r.Format(&b, idx, true); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// The same comparison twice with the same seeds gives identical numbers
// on the model; Progress sees every run.
func TestCompareDeterministic(t *testing.T) {
	calls := 0
	o := Options{Workloads: []Workload{example(t, "syscall"), example(t, "hog")},
		Configs: configs(t, 2, "go1.26", "no-runnext", "steal-one", "article"), Engines: []string{"model"},
		Seeds: 4, Seed: 11, CheckInvariants: true,
		Progress: func(done, total int, last string) {
			calls++
			if done != calls || total != 2*4*4 || last == "" {
				t.Errorf("Progress(%d, %d, %q) at call %d", done, total, last, calls)
			}
		}}
	r1, err := Compare(o)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 32 {
		t.Errorf("Progress called %d times, want 32", calls)
	}
	o.Progress = nil
	r2, err := Compare(o)
	if err != nil {
		t.Fatal(err)
	}
	a, b := format(t, r1), format(t, r2)
	if a != b {
		t.Fatalf("two identical comparisons differ:\n%s\n----\n%s", a, b)
	}
	for _, want := range []string{"== syscall on model: 4 seeds from 11", "== hog on model", "latency-p99 (µs)", "article", "exited 4", "none"} {
		if !strings.Contains(a, want) {
			t.Errorf("report lacks %q:\n%s", want, a)
		}
	}
	// Different seeds give different runs (the seeds are used).
	o.Seed = 1000
	r3, err := Compare(o)
	if err != nil {
		t.Fatal(err)
	}
	if format(t, r3) == a {
		t.Error("seeds 1000.. give the same report as seeds 11..: the seed is not used")
	}
}

// A config that breaks an invariant is reported as such, by name, with
// the runs that broke it; so is a run that failed a workload check.
func TestCompareReportsBrokenInvariants(t *testing.T) {
	o := Options{Workloads: []Workload{example(t, "explore")}, Configs: configs(t, 2, "ring-2"),
		Engines: []string{"model"}, Seeds: 3, Seed: 1, CheckInvariants: true}
	good, err := Compare(o)
	if err != nil {
		t.Fatal(err)
	}
	if inv, bad := good.Cells[0].Broken(); inv != "" || bad != "" {
		t.Fatalf("go1.26 ring-2 broke %q %q", inv, bad)
	}
	o.Mutants = model.MutCopyNoAdjust
	r, err := Compare(o)
	if err != nil {
		t.Fatal(err)
	}
	inv, _ := r.Cells[0].Broken()
	if inv != "StackPointersValid in 3 runs" {
		t.Errorf("copy-no-adjust: broken %q, want StackPointersValid in 3 runs", inv)
	}
	// Without the invariant checks the same bug fails the workload's check.
	o.CheckInvariants = false
	r, err = Compare(o)
	if err != nil {
		t.Fatal(err)
	}
	if out := r.Cells[0].Outcomes(); out != "fatal 3" {
		t.Errorf("copy-no-adjust unchecked: outcomes %q, want fatal 3", out)
	}
	if _, bad := r.Cells[0].Broken(); !strings.Contains(bad, "check *1") {
		t.Errorf("first failure %q does not name the failed check", bad)
	}
}

// Both engines run; impl's snapshots are checked too.
func TestCompareBothEngines(t *testing.T) {
	o := Options{Workloads: []Workload{example(t, "syscall")}, Configs: configs(t, 2, "go1.26", "no-runnext"),
		Engines: []string{"model", "impl"}, Seeds: 2, Seed: 1, CheckInvariants: true}
	r, err := Compare(o)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Cells) != 4 || r.Cells[2].Engine != "impl" {
		t.Fatalf("cells: %+v", r.Cells)
	}
	for _, c := range r.Cells {
		if c.Outcomes() != "exited 2" {
			t.Errorf("%s %s: %s", c.Engine, c.Config.Label, c.Outcomes())
		}
		// Every G completes on both engines: 5 Gs (main included).
		if st := c.Stat(MetricIndex("makespan")); st.Mean < 30 {
			t.Errorf("%s %s: makespan %v ms, but the blocker alone sleeps 30ms", c.Engine, c.Config.Label, st.Mean)
		}
	}
}

func TestCompareBadOptions(t *testing.T) {
	w := example(t, "pingpong")
	c := configs(t, 1, "go1.26")
	for _, o := range []Options{
		{Configs: c, Engines: []string{"model"}, Seeds: 1},
		{Workloads: []Workload{w}, Engines: []string{"model"}, Seeds: 1},
		{Workloads: []Workload{w}, Configs: c, Seeds: 1},
		{Workloads: []Workload{w}, Configs: c, Engines: []string{"tla"}, Seeds: 1},
		{Workloads: []Workload{w}, Configs: c, Engines: []string{"model"}, Seeds: 0},
		{Workloads: []Workload{w}, Configs: c, Engines: []string{"model"}, Seeds: 1, TimeScale: -1},
	} {
		if _, err := Compare(o); err == nil {
			t.Errorf("Compare(%+v) did not fail", o)
		}
	}
}

// Focus restricts the per-G metrics to the Gs of the named functions.
func TestCompareFocus(t *testing.T) {
	o := Options{Workloads: []Workload{example(t, "hog")}, Configs: configs(t, 1, "go1.26"),
		Engines: []string{"model"}, Seeds: 1, Seed: 1}
	all, err := Compare(o)
	if err != nil {
		t.Fatal(err)
	}
	o.Focus = []string{"hog"}
	hog, err := Compare(o)
	if err != nil {
		t.Fatal(err)
	}
	// hog runs first (runnext) and waits only after its preemption; the
	// short Gs wait behind it for the whole slice: their longest wait is
	// the run's, not the hog's.
	lw := MetricIndex("longest-wait")
	a, h := all.Cells[0].Samples[0].Values[lw], hog.Cells[0].Samples[0].Values[lw]
	if !(h < a) {
		t.Errorf("longest-wait: hog alone %v, all Gs %v: focus not applied", h, a)
	}
	th := MetricIndex("throughput")
	if all.Cells[0].Samples[0].Values[th] != hog.Cells[0].Samples[0].Values[th] {
		t.Error("focus changed a whole-run metric")
	}
	o.Focus = []string{"nosuch"}
	if _, err := Compare(o); err == nil || !strings.Contains(err.Error(), `no function "nosuch"`) {
		t.Errorf("unknown focus function: %v", err)
	}
}
