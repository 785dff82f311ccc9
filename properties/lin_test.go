package properties

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gmplab/gmplab/spec"
)

var (
	linSeed    = flag.Uint64("lin.seed", 0, "run only this seed of TestLinRunQueue (0: seeds 1..-lin.runs)")
	linRuns    = flag.Int("lin.runs", 60, "histories per shape in TestLinRunQueue")
	linOps     = flag.Int("lin.ops", 80, "operations per owner goroutine in TestLinRunQueue")
	linTimeout = flag.Duration("lin.timeout", 20*time.Second, "porcupine's time limit per history (a history not decided by then is reported as unknown, never as a pass)")
	linHistory = flag.String("lin.history", "", "check this saved history file (TestLinHistoryFile)")
	linFastOps = flag.Int("lin.fastops", 30_000, "operations per owner in TestLinFastLong")
)

// TestLinRunQueue records concurrent histories of run queue operations on
// real goroutines (impl.RunQueueLab: owners putting, with runnext,
// getting, draining and spilling; thieves stealing, runnext included;
// global puts and batches) and checks each with porcupine against the
// sequential specification rqSpec. Each history is also checked by
// checkLinFast where its shape allows. An illegal history is saved as an
// HTML visualization and as a history file (replayable with
// -lin.history); a history porcupine cannot decide within -lin.timeout
// fails the test as unknown.
//
// The seed fixes the config and every goroutine's choices, not the
// interleaving: a failure is reproduced exactly by its saved history
// file, and probably (not surely) by its seed.
func TestLinRunQueue(t *testing.T) {
	runs := *linRuns
	if testing.Short() {
		runs = 5
	} else if raceBuild && !flagSet("lin.runs") {
		runs /= 3
	}
	for _, shape := range []linShape{linPairs, linMesh} {
		t.Run(shape.String(), func(t *testing.T) {
			start := time.Now()
			var nops, checked, overlap, perturbed int
			var checkTime time.Duration
			for i := range runs {
				seed := uint64(i) + 1
				if *linSeed != 0 {
					if i > 0 {
						break
					}
					seed = *linSeed
				}
				h, err := runLinHistory(shape, seed, *linOps, linBurst, 0)
				if err != nil {
					t.Fatalf("seed %d: %v", seed, err)
				}
				c0 := time.Now()
				res, info, model := checkLinPorcupine(h, *linTimeout)
				checkTime += time.Since(c0)
				reproduce := fmt.Sprintf("go test ./properties -run 'TestLinRunQueue/%s$' -lin.seed=%d -lin.ops=%d -v", shape, seed, *linOps)
				switch res {
				case porcupine.Illegal:
					t.Fatalf("seed %d (%s): the history is not linearizable\n%s\nreproduce (same ops, the interleaving may differ): %s", seed, h.Cfg, saveLinFailure(t, h, model, info, shape, seed), reproduce)
				case porcupine.Unknown:
					t.Fatalf("seed %d (%s): unknown: porcupine did not decide within %v (no verdict; not a pass)\n%s\nreproduce: %s", seed, h.Cfg, *linTimeout, saveLinFailure(t, h, model, info, shape, seed), reproduce)
				}
				if err := checkLinFast(h); err != nil {
					t.Fatalf("seed %d (%s): fast checker: %v\n%s\nreproduce: %s", seed, h.Cfg, err, saveLinFailure(t, h, model, info, shape, seed), reproduce)
				}
				nops += len(h.Ops)
				overlap += linOverlap(h)
				if h.Perturbed {
					perturbed++
				}
				checked++
			}
			el := time.Since(start)
			t.Logf("%s: %d histories (%d perturbed), %d operations (%d overlapping another goroutine's) in %v: %.1f histories/s, %.0f ops/s; porcupine %v of it",
				shape, checked, perturbed, nops, overlap, el.Round(time.Millisecond), float64(checked)/el.Seconds(), float64(nops)/el.Seconds(), checkTime.Round(time.Millisecond))
		})
	}
}

// saveLinFailure writes h as a history file and, if porcupine produced
// one, its HTML visualization, into a fresh temporary directory, and
// returns lines naming both with the command that re-checks the history.
func saveLinFailure(t *testing.T, h rqHistory, model porcupine.Model, info porcupine.LinearizationInfo, shape linShape, seed uint64) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "gmplab-lin-")
	if err != nil {
		return fmt.Sprintf("(could not save the history: %v)", err)
	}
	base := filepath.Join(dir, fmt.Sprintf("%s-seed%d", shape, seed))
	var lines []string
	f, err := os.Create(base + ".hist")
	if err == nil {
		err = writeRqHistory(f, h, fmt.Sprintf("shape %s, seed %d, found by TestLinRunQueue on %s", shape, seed, time.Now().UTC().Format("2006-01-02")))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		lines = append(lines, fmt.Sprintf("(could not save the history: %v)", err))
	} else {
		lines = append(lines, "history: "+base+".hist", "re-check it: go test ./properties -run TestLinHistoryFile -lin.history="+base+".hist -v")
	}
	if err := porcupine.VisualizePath(model, info, base+".html"); err != nil {
		lines = append(lines, fmt.Sprintf("(no visualization: %v)", err))
	} else {
		lines = append(lines, "visualization: "+base+".html")
	}
	return strings.Join(lines, "\n")
}

// TestLinCorpus checks every history of testdata/lin with porcupine: the
// file name says the verdict it must get (-ok: linearizable, -bad: not).
// The -ok files are legal outcomes no atomic order gives (the in-flight
// windows of rqSpec), the -bad ones are a wrong steal count, a G got
// twice, a spill that loses a G, and the in-flight outcomes once the
// operation has returned. A bug found in a recorded history goes here as
// <yyyymmdd>-<slug>-bad.hist (while it is a bug) or -ok.hist (once the
// spec is fixed), with '#' lines saying what it was.
func TestLinCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "lin", "*.hist"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no histories in testdata/lin: %v", err)
	}
	var nok, nbad int
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".hist")
		t.Run(name, func(t *testing.T) {
			want := porcupine.Ok
			switch {
			case strings.HasSuffix(name, "-bad"):
				want = porcupine.Illegal
				nbad++
			case strings.HasSuffix(name, "-ok"):
				nok++
			default:
				t.Fatalf("%s: the name must end in -ok or -bad (the expected verdict)", f)
			}
			h := readHistoryFile(t, f)
			res, _, _ := checkLinPorcupine(h, *linTimeout)
			if res != want {
				t.Fatalf("%s: porcupine says %s, want %s", f, res, want)
			}
		})
	}
	if nok == 0 || nbad == 0 {
		t.Errorf("the corpus needs both -ok and -bad histories (has %d and %d)", nok, nbad)
	}
}

// TestLinHistoryFile checks the history file given by -lin.history with
// porcupine (and the fast checker), writing the visualization if illegal.
func TestLinHistoryFile(t *testing.T) {
	if *linHistory == "" {
		t.Skip("no -lin.history file given: nothing to check")
	}
	h := readHistoryFile(t, *linHistory)
	res, info, model := checkLinPorcupine(h, *linTimeout)
	t.Logf("porcupine: %s", res)
	if res != porcupine.Ok {
		path := strings.TrimSuffix(*linHistory, ".hist") + ".html"
		if err := porcupine.VisualizePath(model, info, path); err != nil {
			t.Logf("no visualization: %v", err)
		} else {
			t.Logf("visualization: %s", path)
		}
		t.Fatalf("%s: %s", *linHistory, res)
	}
	if err := checkLinFast(h); err != nil {
		t.Fatalf("fast checker: %v", err)
	}
}

func readHistoryFile(t *testing.T, path string) rqHistory {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := readRqHistory(path, f)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestLinCheckersReject shows that both checkers fail on wrong histories:
// real recorded histories (which pass) with one output changed: a steal
// that reports one G more than it took, a G got a second time, two Gs of
// a drain swapped, a G left out of the final snapshot. Porcupine must
// call each illegal, and so must the fast checker, whose necessary
// conditions each of them breaks.
func TestLinCheckersReject(t *testing.T) {
	type mutation struct {
		name  string
		apply func(h *rqHistory) bool // false: this history has no place for it
	}
	muts := []mutation{
		{"steal-one-too-many", func(h *rqHistory) bool {
			for i, o := range h.Ops {
				if o.In.Kind == rqSteal && o.Out.N > 0 {
					h.Ops[i].Out.N++
					return true
				}
			}
			return false
		}},
		{"got-twice", func(h *rqHistory) bool {
			first := -1
			for i, o := range h.Ops {
				if o.In.Kind == rqGet && o.Out.G != 0 {
					if first < 0 {
						first = i
					} else if o.In.Call > h.Ops[first].In.Ret {
						h.Ops[i].Out.G = h.Ops[first].Out.G
						return true
					}
				}
			}
			return false
		}},
		{"drain-out-of-order", func(h *rqHistory) bool {
			for i, o := range h.Ops {
				if o.In.Kind == rqDrain && len(o.Out.Gs) >= 3 {
					gs := slices.Clone(o.Out.Gs)
					gs[1], gs[2] = gs[2], gs[1]
					h.Ops[i].Out.Gs = gs
					return true
				}
			}
			return false
		}},
		{"lost-at-the-end", func(h *rqHistory) bool {
			for i := len(h.Ops) - 1; i >= 0; i-- {
				if s := h.Ops[i].Out.Snap; s != nil && len(s.Global) > 0 {
					s.Global = s.Global[1:]
					return true
				}
			}
			return false
		}},
	}
	for _, m := range muts {
		t.Run(m.name, func(t *testing.T) {
			tried := 0
			for seed := uint64(1); seed <= 200 && tried < 2; seed++ {
				h, err := runLinHistory(linPairs, seed, *linOps, linBurst, 0)
				if err != nil {
					t.Fatal(err)
				}
				if res, _, _ := checkLinPorcupine(h, *linTimeout); res != porcupine.Ok {
					t.Fatalf("seed %d: the unchanged history is %s", seed, res)
				}
				if err := checkLinFast(h); err != nil {
					t.Fatalf("seed %d: the fast checker rejects the unchanged history: %v", seed, err)
				}
				if !m.apply(&h) {
					continue
				}
				tried++
				res, _, _ := checkLinPorcupine(h, *linTimeout)
				if res != porcupine.Illegal {
					t.Errorf("seed %d: porcupine says %s for a history with %s", seed, res, m.name)
				}
				if err := checkLinFast(h); err == nil {
					t.Errorf("seed %d: the fast checker accepts a history with %s", seed, m.name)
				} else {
					t.Logf("seed %d: fast checker: %v", seed, err)
				}
			}
			if tried == 0 {
				t.Fatalf("no recorded history had a place for %s", m.name)
			}
		})
	}
}

// TestLinFastLong records one long history of each shape (-lin.fastops
// operations per goroutine: 30,000 by default, which makes 10^5
// operations or more) and checks it with the fast checker only:
// porcupine's search is exponential in the overlapping operations, the
// fast checker O(n log n). Both shapes get the exactly-once check; the
// pairs shape also per-P FIFO conservation. It reports the checker's
// speed.
func TestLinFastLong(t *testing.T) {
	ops := *linFastOps
	if testing.Short() {
		ops /= 10
	} else if raceBuild && !flagSet("lin.fastops") {
		ops /= 4
	}
	seed := *linSeed
	if seed == 0 {
		seed = 1
	}
	for _, shape := range []linShape{linPairs, linMesh} {
		t.Run(shape.String(), func(t *testing.T) {
			r0 := time.Now()
			h, err := runLinHistory(shape, seed, ops, 512, 0)
			if err != nil {
				t.Fatal(err)
			}
			rec := time.Since(r0)
			c0 := time.Now()
			err = checkLinFast(h)
			el := time.Since(c0)
			if err != nil {
				t.Fatalf("seed %d (%s): %v\nreproduce (same ops, the interleaving may differ): go test ./properties -run 'TestLinFastLong/%s$' -lin.seed=%d -lin.fastops=%d -v", seed, h.Cfg, err, shape, seed, ops)
			}
			t.Logf("seed %d (%s): %s; recorded in %v, checked in %v (%.0f ops/s)", seed, h.Cfg, linStats(h), rec.Round(time.Millisecond), el.Round(time.Millisecond), float64(len(h.Ops))/el.Seconds())
		})
	}
}

// flagSet reports whether the named flag was given on the command line.
func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// TestLinHistoryFormat checks that a recorded history written as text
// and read back is the same history, and that malformed lines are
// errors naming the file and line.
func TestLinHistoryFormat(t *testing.T) {
	for _, shape := range []linShape{linPairs, linMesh} {
		h, err := runLinHistory(shape, 7, 40, linBurst, 0)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		if err := writeRqHistory(&b, h, "a comment"); err != nil {
			t.Fatal(err)
		}
		back, err := readRqHistory("h.hist", strings.NewReader(b.String()))
		if err != nil {
			t.Fatalf("%s: %v\n%s", shape, err, b.String())
		}
		h.Perturbed = false // not in the text form
		if d := cmp.Diff(h, back, cmpopts.EquateEmpty(), cmp.AllowUnexported(spec.Config{})); d != "" {
			t.Fatalf("%s: the history read back differs (-written +read):\n%s", shape, d)
		}
	}
	for _, c := range []struct{ text, want string }{
		{"c=0 call=1 ret=2 op=Get p=0 | g=0 inherit=0", "h.hist:1: an operation before the '# config:' line"},
		{"# config: procs=2\nc=0 call=1 ret=2 op=Got p=0 | g=0", `h.hist:2: op="Got": expected one of`},
		{"# config: procs=2\nc=0 call=1 ret=2 op=Get p=5 | g=0", "h.hist:2: p=5 is not in [0, 2)"},
		{"# config: procs=2\nc=0 call=3 ret=2 op=Get p=0 | g=0", "h.hist:2: ret=2 is before call=3"},
		{"# config: procs=2\nc=0 call=1 ret=2 op=Get p=0 g=0", "h.hist:2: expected 'input | output'"},
		{"# config: procs=2\nc=0 call=1 ret=2 op=Get p=0 | n=3", "h.hist:2: n= is not an output of Get"},
		{"# config: procs=2\nc=0 call=x ret=2 op=Get p=0 |", `h.hist:2: call="x": expected a number`},
		{"# config: procs=0", "h.hist:1: "},
	} {
		_, err := readRqHistory("h.hist", strings.NewReader(c.text))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one starting %q", c.text, err, c.want)
		}
	}
}
