package properties

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gmplab/gmplab/impl"
	"github.com/gmplab/gmplab/model"
	"github.com/gmplab/gmplab/spec"
)

var (
	refineSeed   = flag.Uint64("refine.seed", 0, "run only this seed of TestRefineRandom")
	refineBudget = flag.Duration("refine.budget", 6*time.Second, "wall time TestRefineRandom spends on new seeds")
	refineCase   = flag.String("refine.case", "", "replay this refinement case file (TestRefineCase)")
)

// TestRefineRandom runs random workloads on random small configs on the
// concurrent engine with tracing on and replays each trace through the
// model (RefineTrace): every action must be enabled in the model with the
// parameters its event carries, the model's effects must be the engine's,
// and the final snapshots must be equal. It runs new seeds for
// -refine.budget (default 6 s). A failure prints the seed and the command
// that re-runs it, and saves the trace as a case file in a new temporary
// directory (never in the source tree), with the command to copy it into
// testdata/refine.
func TestRefineRandom(t *testing.T) {
	budget := *refineBudget
	if testing.Short() {
		budget = time.Second
	}
	start := time.Now()
	seeds, actions := 0, 0
	outcomes := map[impl.Outcome]int{}
	kinds := map[string]int{}
	for seed := uint64(1); ; seed++ {
		if *refineSeed != 0 {
			if seed > 1 {
				break
			}
			seed = *refineSeed
		} else if time.Since(start) > budget {
			break
		}
		cfg, src, res, rr, err := refineRun(seed, 0)
		if err != nil {
			t.Fatalf("seed %d: %v\nreproduce: go test ./properties -run TestRefineRandom -refine.seed=%d -v", seed, err, seed)
		}
		seeds++
		actions += rr.Steps
		outcomes[res.Outcome]++
		for _, ev := range res.Events {
			kinds[ev.Kind]++
		}
		if rr.Failure != "" {
			// The case goes to a directory of its own outside the source
			// tree (kept after the test, unlike t.TempDir, so that it can
			// be copied): a case in testdata/refine is a decision (a line
			// on what broke), not a side effect of a failing run.
			dir, err := os.MkdirTemp("", "gmplab-refine-")
			if err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("%s-seed%d.txt", time.Now().UTC().Format("20060102"), seed)
			path := filepath.Join(dir, name)
			var buf bytes.Buffer
			comment := fmt.Sprintf("seed %d (TestRefineRandom): %s\n%s", seed, res.Summary(), firstLine(rr.Failure))
			if err := WriteRefineCase(&buf, comment, cfg, src, res.Events, res.Final); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Fatalf("seed %d: %s (%d events)\n%s\nconfig %s\nworkload:\n%s\nthe trace is saved as %s\nto keep it as a regression case: cp %s testdata/refine/%s and add a comment line on what broke (its first line \"# ... must fail\" if it records a bug the checker must keep catching)\nre-run the seed (a new race): go test ./properties -run TestRefineRandom -refine.seed=%d -v\nreplay the trace: go test ./properties -run TestRefineCase -refine.case=%s -v",
				seed, res.Summary(), len(res.Events), rr.Failure, cfg, src, path, path, name, seed, path)
		}
	}
	t.Logf("%d seeds, %d actions replayed through the model in %v (%.0f seeds/s); outcomes %v",
		seeds, actions, time.Since(start).Round(time.Millisecond), float64(seeds)/time.Since(start).Seconds(), outcomes)
	t.Logf("events: %v", kinds)
	if seeds == 0 {
		t.Fatal("no seed ran")
	}
	// The traces must exercise the concurrent mechanisms, or the check
	// says little.
	if *refineSeed == 0 {
		for _, k := range []string{"Steal", "SysmonPreempt", "Preempt", "SysmonRetake", "ExitSyscall", "GC", "Gomaxprocs", "Spill", "Wake", "Grow"} {
			if kinds[k] == 0 {
				t.Errorf("no %s in %d seeds: the random workloads do not exercise it", k, seeds)
			}
		}
	}
}

// TestRefineRegressions replays every refinement case in
// testdata/refine: traces of the concurrent engine that once failed to
// refine the model. Each must now refine it (after the fix), or, for a
// case that records an engine bug that is fixed, still be rejected: a
// case whose first comment line contains "must fail" is expected to fail
// (it shows the checker catches that bug), with a message containing the
// text of each "# expect: TEXT" line.
func TestRefineRegressions(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "refine", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no refinement cases in testdata/refine: the repository ships them; a missing directory is not a pass")
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			mustFail, rr := replayRefineCase(t, f)
			data, _ := os.ReadFile(f)
			for _, l := range strings.Split(string(data), "\n") {
				if want, ok := strings.CutPrefix(l, "# expect: "); ok && mustFail && !strings.Contains(rr.Failure, want) {
					t.Fatalf("%s: the failure does not mention %q:\n%s", f, want, rr.Failure)
				}
			}
			switch {
			case mustFail && rr.Failure == "":
				t.Fatalf("%s: the trace refines the model, but the case says it must fail", f)
			case !mustFail && rr.Failure != "":
				t.Fatalf("%s\nreproduce: go test ./properties -run TestRefineCase -refine.case=%s -v", rr.Failure, f)
			}
		})
	}
}

// TestRefineCase replays the case file given by -refine.case.
func TestRefineCase(t *testing.T) {
	if *refineCase == "" {
		t.Skip("no -refine.case file given: nothing to replay")
	}
	_, rr := replayRefineCase(t, *refineCase)
	if rr.Failure != "" {
		t.Fatal(rr.Failure)
	}
	t.Logf("%d actions refine the model", rr.Steps)
}

func replayRefineCase(t *testing.T, path string) (mustFail bool, rr RefineResult) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(data), "\n")
	mustFail = strings.HasPrefix(first, "#") && strings.Contains(first, "must fail")
	cfg, src, events, final, err := ReadRefineCase(path, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	code, err := spec.ParseCode(path, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return mustFail, RefineTrace(cfg, code, model.Boot{}, events, &final)
}

// TestRefineCatchesDroppedAction: the checker is not vacuous: a real
// trace without one of its actions (and its effects) is rejected.
func TestRefineCatchesDroppedAction(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		cfg, src, res, rr, err := refineRun(seed, 0)
		if err != nil || rr.Failure != "" {
			t.Fatalf("seed %d: %v %s", seed, err, rr.Failure)
		}
		code, _ := spec.ParseCode("x", []byte(src))
		var acts []int
		for i, ev := range res.Events {
			if spec.IsAction(ev.Kind) {
				acts = append(acts, i)
			}
		}
		if len(acts) < 3 {
			continue
		}
		mut := append([]spec.Event(nil), res.Events...)
		// Drop one action with its effects: the state goes out of step.
		k := len(acts) / 2
		end := len(mut)
		if k+1 < len(acts) {
			end = acts[k+1]
		}
		mut = append(mut[:acts[k]:acts[k]], mut[end:]...)
		if got := RefineTrace(cfg, code, model.Boot{}, mut, &res.Final); got.Failure == "" {
			t.Fatalf("seed %d: a trace without its action %d (%v) still refines the model", seed, k, res.Events[acts[k]])
		}
		return
	}
	t.Fatal("no seed gave a trace with 3 actions")
}
