package research

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gmplab/gmplab/examples"
	"github.com/gmplab/gmplab/model"
	"github.com/gmplab/gmplab/spec"
)

// handTrace has every phase change Walk reads; the expectations below are
// worked out by hand from it (see the comments).
const handTrace = `@0 Spawn g=g1 p=p0 m=m0 new=g2
@0 Spawn g=g1 p=p0 m=m0 new=g3
@0 Park g=g1 p=p0 m=m0
@0 Run g=g3 p=p0 m=m0 src=runnext inherit=true tick=0
@1000 Gosched g=g3 p=p0 m=m0
@1000 Run g=g2 p=p0 m=m0 src=ring inherit=false tick=1
@3000 Run g=g3 p=p1 m=m1 src=global inherit=false tick=1
@4000 EnterSyscall g=g3 p=p1 m=m1
@5000 Retake g=g3 p=p1 from=m1
@6000 Goexit g=g2 p=p0 m=m0
@7000 ExitSyscall g=g3 p=p0 m=m1 path=idle-p
@8000 Ready g=g3 p=p0 m=m1 waiter=g1
@8000 Wake g=g1 p=p0 m=m1 by=g3
@9000 Goexit g=g3 p=p0 m=m1
@9000 Run g=g1 p=p0 m=m1 src=runnext inherit=true tick=1
@9500 Exit g=g1 p=p0 m=m1
`

func parseTrace(t *testing.T, s string) []spec.Event {
	t.Helper()
	evs, err := spec.ParseTrace("hand", strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func TestWalkHandTrace(t *testing.T) {
	w := Walk(parseTrace(t, handTrace), 2)
	// Waits, in the order the Gs ran: g3 from runnext at once, g2 after
	// g3's 1µs, g3 again after its Gosched (1000..3000), g1 after its wake.
	if got, want := fmt.Sprint(w.Waits), "[{g3 0s} {g2 1µs} {g3 2µs} {g1 1µs}]"; got != want {
		t.Errorf("Waits = %s, want %s", got, want)
	}
	// CPU: g1 0+500ns; g2 1000..6000; g3 0..1000 + 3000..4000 + 7000..9000.
	// Wait: g1 8000..9000; g2 0..1000; g3 1000..3000.
	for g, want := range map[spec.GID][2]time.Duration{1: {500, 1000}, 2: {5000, 1000}, 3: {4000, 2000}} {
		if w.CPU[g] != want[0] || w.Wait[g] != want[1] {
			t.Errorf("%v: cpu %v wait %v, want %v %v", g, w.CPU[g], w.Wait[g], want[0], want[1])
		}
	}
	// Idle P while work waited (2 Ps): 0..1000 g2 waits with one P free,
	// 1000..3000 g3 waits, 8000..9000 g1 waits: 4µs.
	if w.IdleWait != 4000 {
		t.Errorf("IdleWait = %v, want 4µs", w.IdleWait)
	}
	var lanes []string
	for _, s := range w.Slices {
		kind := s.Src
		if s.Syscall {
			kind = "syscall"
		}
		lanes = append(lanes, fmt.Sprintf("%v:%v[%d,%d]%s", s.P, s.G, s.Start, s.End, kind))
	}
	want := "p0:g1[0,0] p0:g3[0,1000]runnext p0:g2[1000,6000]ring p0:g3[7000,9000]syscall p0:g1[9000,9500]runnext " +
		"p1:g3[3000,4000]global p1:g3[4000,5000]syscall"
	if got := strings.Join(lanes, " "); got != want {
		t.Errorf("slices:\n got %s\nwant %s", got, want)
	}
	var marks []string
	for _, m := range w.Marks {
		marks = append(marks, fmt.Sprintf("%s@%d", m.Kind, m.Time))
	}
	if got, want := strings.Join(marks, " "), "Gosched@1000 EnterSyscall@4000 Retake@5000 ExitSyscall@7000 Wake@8000"; got != want {
		t.Errorf("marks = %s, want %s", got, want)
	}
	if w.Start != 0 || w.End != 9500 || w.Procs != 2 {
		t.Errorf("span %v..%v procs %d", w.Start, w.End, w.Procs)
	}
}

// On real runs of every example, Walk agrees with model.Metrics (an
// independent reading of the same trace) on each G's runnable time, and no
// two slices overlap on a P's lane.
func TestWalkAgreesWithModelMetrics(t *testing.T) {
	ents, err := examples.FS.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		name := strings.TrimSuffix(e.Name(), ".gmp")
		if name == "overflow" {
			continue // 131,072 calls and no scheduling: nothing to walk
		}
		src, _ := examples.FS.ReadFile(e.Name())
		code, err := spec.ParseCode(name, src)
		if err != nil {
			t.Fatal(err)
		}
		for _, procs := range []int{1, 3} {
			for seed := uint64(1); seed <= 3; seed++ {
				cfg := spec.Default(procs)
				res, err := model.Simulate(&model.Env{Cfg: cfg, Code: code, Timed: true}, model.Boot{}, model.SimOptions{Seed: seed, KeepEvents: true, MaxTime: 200 * time.Millisecond})
				if err != nil {
					t.Fatalf("%s procs=%d seed=%d: %v", name, procs, seed, err)
				}
				checkWalk(t, fmt.Sprintf("%s procs=%d seed=%d (gmplab run -procs %d -seed %d -trace - %s)", name, procs, seed, procs, seed, name), res.Events, procs)
			}
		}
	}
}

func checkWalk(t *testing.T, what string, evs []spec.Event, procs int) {
	t.Helper()
	w := Walk(evs, procs)
	rm := model.Metrics(evs)
	for _, g := range rm.Gs {
		if w.Wait[g.G] != g.Runnable {
			t.Errorf("%s: %v runnable %v by Walk, %v by model.Metrics", what, g.G, w.Wait[g.G], g.Runnable)
		}
	}
	for i := 1; i < len(w.Slices); i++ {
		a, b := w.Slices[i-1], w.Slices[i]
		if a.P == b.P && b.Start < a.End {
			t.Errorf("%s: overlapping slices on %v: %v %v..%v and %v %v..%v", what, a.P, a.G, a.Start, a.End, b.G, b.Start, b.End)
		}
	}
	var cpu time.Duration
	for _, d := range w.CPU {
		cpu += d
	}
	if cap := time.Duration(w.Procs) * (w.End - w.Start); cpu > cap {
		t.Errorf("%s: %v CPU in %v on %d Ps", what, cpu, w.End-w.Start, w.Procs)
	}
}

// The same on impl's traces (real threads; events stamped at their
// linearization points).
func TestWalkImplTraces(t *testing.T) {
	for _, name := range []string{"syscall", "spawn300", "pingpong", "hog", "procs", "gosched"} {
		src, _ := examples.FS.ReadFile(name + ".gmp")
		code, err := spec.ParseCode(name, src)
		if err != nil {
			t.Fatal(err)
		}
		for _, procs := range []int{1, 2} {
			r, err := Trace("impl", spec.Default(procs), code, 1, &Options{})
			if err != nil || r.Outcome != "exited" {
				t.Fatalf("%s procs=%d: %v %+v", name, procs, err, r)
			}
			checkWalk(t, fmt.Sprintf("%s on impl procs=%d (gmplab run -engine impl -procs %d -trace - %s)", name, procs, procs, name), r.Events, procs)
		}
	}
}

// Measure on the hand trace, every value worked out by hand.
func TestMeasureHandTrace(t *testing.T) {
	s := Measure(parseTrace(t, handTrace), 2, nil)
	want := map[string]float64{
		"throughput":  2 / 0.0095, // g2 and g3 exit in 9.5µs
		"makespan":    0.0095,
		"latency-p50": 1, // waits 0, 1, 1, 2 µs: nearest rank 2 of 4
		"latency-p99": 2,
		"latency-max": 2,
		// g3 waited 2µs in all (g1 and g2 1µs each).
		"longest-wait": 2,
		// x = cpu/(cpu+runnable): g1 1/3, g2 5/6, g3 2/3; Jain = (11/6)^2 / (3 * 45/36).
		"fairness":     121.0 / 135,
		"idle-p-wait":  4,
		"steals":       0,
		"spills":       0,
		"preemptions":  0,
		"retakes":      1,
		"stack-copies": 0,
		"copied-bytes": 0,
	}
	for i, m := range Metrics {
		w, ok := want[m.Name]
		if !ok {
			t.Errorf("no expectation for %s", m.Name)
			continue
		}
		if d := s.Values[i] - w; d > 1e-9 || d < -1e-9 {
			t.Errorf("%s = %v, want %v", m.Name, s.Values[i], w)
		}
	}
	// Focused on g2 alone: its one wait of 1µs.
	f := Measure(parseTrace(t, handTrace), 2, func(g spec.GID) bool { return g == 2 })
	if v := f.Values[MetricIndex("latency-max")]; v != 1 {
		t.Errorf("focus g2: latency-max %v, want 1", v)
	}
	if v := f.Values[MetricIndex("fairness")]; v != 1 {
		t.Errorf("focus g2: fairness over one G %v, want 1", v)
	}
}
