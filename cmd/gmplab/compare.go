package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/gmplab/gmplab/research"
)

// researchFlags are the flags compare and sweep share.
type researchFlags struct {
	engine     *string
	seeds      *int
	seed       *uint64
	procs      *int
	invariants *bool
	timeScale  *float64
	maxTime    *time.Duration
	maxSteps   *int64
	metrics    *string
	focus      *string
	quiet      *bool
}

func addResearchFlags(fs *flag.FlagSet, seeds int) *researchFlags {
	return &researchFlags{
		engine:     fs.String("engine", "model", "what runs the workloads: model (the simulator, logical time, deterministic), impl (the concurrent engine) or both"),
		seeds:      fs.Int("seeds", seeds, "runs per workload, config and engine (seeds -seed, -seed+1, ...)"),
		seed:       fs.Uint64("seed", 1, "first seed"),
		procs:      fs.Int("procs", 1, "GOMAXPROCS of every config unless its knobs set procs"),
		invariants: fs.Bool("invariants", true, "check every invariant on every model state and on impl snapshots taken every 1ms of logical time (each impl snapshot stops the world, which perturbs impl's timing: use -invariants=false for impl timing studies)"),
		timeScale:  fs.Float64("time-scale", 1, "impl only: wall time per logical time (below 1 the engine's own overhead of about a microsecond per hand-off is magnified into logical time)"),
		maxTime:    fs.Duration("max-time", 0, "model only: stop a run at this logical time (0 = no limit); for endless workloads"),
		maxSteps:   fs.Int64("max-steps", 0, maxStepsDoc),
		focus:      fs.String("focus", "", "comma-separated functions: latency-*, longest-wait and fairness count only the Gs started in them"),
		metrics:    fs.String("metrics", "", "comma-separated metrics to print (default all: "+metricNames()+")"),
		quiet:      fs.Bool("q", false, "no progress lines on stderr"),
	}
}

const maxStepsDoc = "model only: stop a run after this many actions (0 = a budget that grows while the run stays cheap, so that endless workloads end with outcome step-limit or livelock)"

func metricNames() string {
	var n []string
	for _, m := range research.Metrics {
		n = append(n, m.Name)
	}
	return strings.Join(n, ", ")
}

// options validates the shared flags into research.Options (without
// workloads and configs).
func (rf *researchFlags) options(stderr io.Writer, cmd string) (research.Options, []int, error) {
	o := research.Options{Seeds: *rf.seeds, Seed: *rf.seed, CheckInvariants: *rf.invariants,
		TimeScale: *rf.timeScale, MaxTime: *rf.maxTime, MaxSteps: *rf.maxSteps, Focus: splitList(*rf.focus)}
	switch *rf.engine {
	case "model", "impl":
		o.Engines = []string{*rf.engine}
	case "both":
		o.Engines = []string{"model", "impl"}
	default:
		return o, nil, usageError{fmt.Errorf("-engine %q: want model, impl or both", *rf.engine)}
	}
	if *rf.seeds < 1 || *rf.seeds > 100000 {
		return o, nil, usageError{fmt.Errorf("-seeds %d: want 1..100000", *rf.seeds)}
	}
	if *rf.timeScale <= 0 {
		return o, nil, usageError{fmt.Errorf("-time-scale %g: must be positive", *rf.timeScale)}
	}
	if *rf.maxTime < 0 {
		return o, nil, usageError{fmt.Errorf("-max-time %v: must not be negative", *rf.maxTime)}
	}
	if *rf.maxSteps < 0 {
		return o, nil, usageError{fmt.Errorf("-max-steps %d: must not be negative", *rf.maxSteps)}
	}
	if *rf.procs < 1 {
		return o, nil, usageError{fmt.Errorf("-procs %d: must be at least 1", *rf.procs)}
	}
	idx, err := research.SelectMetrics(splitList(*rf.metrics))
	if err != nil {
		return o, nil, usageError{fmt.Errorf("-metrics: %w", err)}
	}
	if !*rf.quiet {
		o.Progress = progress(stderr, cmd)
	}
	return o, idx, nil
}

// progressEvery is how often progress lines are printed (a variable for
// the tests).
var progressEvery = time.Second

// progress reports on stderr at most once per progressEvery, and at the
// end of runs that took longer than that.
func progress(stderr io.Writer, cmd string) func(done, total int, last string) {
	start := time.Now()
	lastPrint := start
	return func(done, total int, last string) {
		now := time.Now()
		if now.Sub(lastPrint) < progressEvery && !(done == total && now.Sub(start) >= progressEvery) {
			return
		}
		lastPrint = now
		fmt.Fprintf(stderr, "gmplab %s: %d/%d runs (%v; last: %s)\n", cmd, done, total, now.Sub(start).Round(100*time.Millisecond), last)
	}
}

// loadWorkloads reads a workload (file or example) or every *.gmp in a
// directory, sorted by name.
func loadWorkloads(arg string) ([]research.Workload, error) {
	if st, err := os.Stat(arg); err == nil && st.IsDir() {
		paths, err := filepath.Glob(filepath.Join(arg, "*.gmp"))
		if err != nil {
			return nil, usageError{err}
		}
		if len(paths) == 0 {
			return nil, usageError{fmt.Errorf("%s: a directory without *.gmp workloads", arg)}
		}
		sort.Strings(paths)
		var out []research.Workload
		for _, p := range paths {
			code, _, err := loadWorkload(p)
			if err != nil {
				return nil, err
			}
			// The directory is in the command line: the base name will do.
			out = append(out, research.Workload{Name: strings.TrimSuffix(filepath.Base(p), ".gmp"), Code: code})
		}
		return out, nil
	}
	code, name, err := loadWorkload(arg)
	if err != nil {
		return nil, err
	}
	return []research.Workload{{Name: name, Code: code}}, nil
}

func cmdCompare(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("compare", "WORKLOAD|DIR CONFIG CONFIG...", `Run a workload (or every *.gmp in a directory) under two or more scheduler
configs, over many seeds, and print a table per metric: the mean, its 95%
confidence interval, min, max and the ratio of means to the first config.
Also how the runs ended and which invariants broke under each config.

A CONFIG is a preset (`+strings.Join(research.PresetNames(), ", ")+`),
knob=value words (see gmplab knobs), or a preset followed by knob words,
separated by commas: no-runnext  runq-size=16,runnext=false  article,procs=4.

On the model the same seeds give the same numbers; impl runs race for real.`, stderr)
	rf := addResearchFlags(fs, 20)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() < 3 {
		fs.Usage()
		return usageError{fmt.Errorf("want a WORKLOAD and at least two CONFIGs, got %d arguments", fs.NArg())}
	}
	o, idx, err := rf.options(stderr, "compare")
	if err != nil {
		return err
	}
	if o.Workloads, err = loadWorkloads(fs.Arg(0)); err != nil {
		return err
	}
	for _, a := range fs.Args()[1:] {
		c, err := research.ParseConfig(a, *rf.procs)
		if err != nil {
			return usageError{err}
		}
		o.Configs = append(o.Configs, c)
	}
	rep, err := research.Compare(o)
	if err != nil {
		return usageError{err}
	}
	return rep.Format(stdout, idx, o.CheckInvariants)
}

func cmdSweep(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("sweep", "WORKLOAD|DIR", `Vary one knob over a list or a range of values, on top of a base config, and
print every metric against it (mean and 95% confidence interval over the
seeds); with -svg DIR also write one SVG plot per metric.

-values 4,16,64,256 lists the values; -range LO:HI:STEP generates them, with
STEP +N (add, the default) or xN (multiply): 1:64:x2, 0:120:+20, 1ms:20ms:+1ms.`, stderr)
	rf := addResearchFlags(fs, 10)
	knob := fs.String("knob", "", "the knob to vary (see gmplab knobs)")
	values := fs.String("values", "", "comma-separated values of the knob")
	rng := fs.String("range", "", "LO:HI:STEP values of the knob (STEP +N or xN)")
	base := fs.String("base", "go1.26", "the config the knob is varied on (a CONFIG as in gmplab compare)")
	svgDir := fs.String("svg", "", "write a plot per metric to DIR/METRIC.svg")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return usageError{fmt.Errorf("want one WORKLOAD or DIR, got %d arguments", fs.NArg())}
	}
	if *knob == "" {
		return usageError{errors.New("-knob is required (see gmplab knobs)")}
	}
	if (*values == "") == (*rng == "") {
		return usageError{errors.New("give exactly one of -values and -range")}
	}
	o, idx, err := rf.options(stderr, "sweep")
	if err != nil {
		return err
	}
	var vals []string
	if *values != "" {
		vals = splitList(*values)
		if len(vals) == 0 {
			return usageError{fmt.Errorf("-values %q: no values", *values)}
		}
	} else if vals, err = research.ParseRange(*rng); err != nil {
		return usageError{fmt.Errorf("-range: %w", err)}
	}
	if o.Workloads, err = loadWorkloads(fs.Arg(0)); err != nil {
		return err
	}
	if o.Configs, err = research.SweepConfigs(*base, *knob, vals, *rf.procs); err != nil {
		return usageError{err}
	}
	rep, err := research.Compare(o)
	if err != nil {
		return usageError{err}
	}
	if err := rep.FormatSweep(stdout, *knob, idx, o.CheckInvariants); err != nil {
		return err
	}
	if *svgDir != "" {
		files, err := rep.WriteSweepSVGs(*svgDir, *knob, idx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nwrote %d plots to %s\n", len(files), *svgDir)
	}
	return nil
}

// samePath says whether two output paths name the same file (- is
// stdout): the same path once cleaned, or the same existing file.
func samePath(a, b string) bool {
	if a == "-" || b == "-" {
		return a == b
	}
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}

func cmdTimeline(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("timeline", "WORKLOAD", `Run a workload once and draw its timeline: a lane per P showing which G ran
when, syscalls holding a P, and marks for steals, spills, preemptions,
retakes, kicks and the rest. -json writes Chrome trace-event JSON (open it in
https://ui.perfetto.dev or chrome://tracing); -html writes a self-contained
HTML page with an SVG. Times are logical, in microseconds in the JSON.`, stderr)
	pf := addPolicyFlags(fs, 1)
	engine := fs.String("engine", "model", "what runs the workload: model or impl")
	preset := fs.String("config", "", "a CONFIG as in gmplab compare (a preset and/or knob words), instead of the knob flags")
	seed := fs.Uint64("seed", 1, "seed of the run")
	timeScale := fs.Float64("time-scale", 1, "impl only: wall time per logical time")
	maxTime := fs.Duration("max-time", 0, "model only: stop at this logical time (0 = no limit)")
	maxSteps := fs.Int64("max-steps", 0, maxStepsDoc)
	jsonPath := fs.String("json", "", "write Chrome trace-event JSON to this file (- for stdout)")
	htmlPath := fs.String("html", "", "write the HTML/SVG timeline to this file (- for stdout)")
	from := fs.Duration("from", 0, "show only logical time from this instant")
	to := fs.Duration("to", 0, "show only logical time up to this instant (0 = the end)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return usageError{fmt.Errorf("want one WORKLOAD, got %d arguments", fs.NArg())}
	}
	if *jsonPath == "" && *htmlPath == "" {
		return usageError{errors.New("give -json FILE, -html FILE or both")}
	}
	if *engine != "model" && *engine != "impl" {
		return usageError{fmt.Errorf("-engine %q: want model or impl", *engine)}
	}
	if *timeScale <= 0 || *maxTime < 0 || *maxSteps < 0 {
		return usageError{errors.New("-time-scale must be positive, -max-time and -max-steps not negative")}
	}
	if *jsonPath != "" && *htmlPath != "" && samePath(*jsonPath, *htmlPath) {
		what := "the same file"
		if *jsonPath == "-" {
			what = "stdout"
		}
		return usageError{fmt.Errorf("-json and -html both write to %s: give them different files (at most one -)", what)}
	}
	if *from < 0 || *to < 0 || (*to > 0 && *to <= *from) {
		return usageError{fmt.Errorf("-from %v -to %v: want 0 <= from < to (to 0 = the end)", *from, *to)}
	}
	cfg, err := pf.config()
	if err != nil {
		return err
	}
	label := cfg.String()
	if *preset != "" {
		if len(pf.set) > 0 {
			return usageError{errors.New("-config and knob flags do not mix: put the knobs in -config (e.g. -config no-runnext,procs=2)")}
		}
		c, err := research.ParseConfig(*preset, 1)
		if err != nil {
			return usageError{err}
		}
		cfg, label = c.Cfg, c.Label
	}
	code, name, err := loadWorkload(fs.Arg(0))
	if err != nil {
		return err
	}
	o := research.Options{Boot: pf.boot, TimeScale: *timeScale, MaxTime: *maxTime, MaxSteps: *maxSteps}
	r, err := research.Trace(*engine, cfg, code, *seed, &o)
	if err != nil {
		return err
	}
	title := fmt.Sprintf("%s on %s under %s (seed %d): %s", name, *engine, label, *seed, r.Outcome)
	tl := research.NewTimeline(title, r.Events, cfg.Procs)
	if *from > 0 || *to > 0 {
		tl = tl.Crop(*from, *to)
	}
	for _, out := range []struct {
		path  string
		write func(io.Writer) error
	}{{*jsonPath, tl.WriteChrome}, {*htmlPath, tl.WriteHTML}} {
		if out.path == "" {
			continue
		}
		w, closeFn, err := output(out.path, stdout)
		if err != nil {
			return err
		}
		err = out.write(w)
		if cerr := closeFn(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "timeline: %s; %d slices, %d marks over %v\n", title, len(tl.Slices), len(tl.Marks), tl.End-tl.Start)
	return nil
}
