package properties

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gmplab/gmplab/model"
	"github.com/gmplab/gmplab/spec"
)

// tlaDir is the TLA+ directory, relative to this package.
const tlaDir = "../tla"

// tlaOmittedActions are the action kinds of spec.ActionKinds that
// tla/GMP.tla does not define, each with the reason. GMP.tla is the
// untimed model for the whole workload language.
var tlaOmittedActions = map[string]string{
	"SysmonTick": "timed mode only; GMP.tla is the untimed model",
	"Advance":    "timed mode only; GMP.tla is the untimed model",
}

// tlaOmittedInvariants are the invariants of spec.Invariants that
// GMP.tla does not define, each with the reason (none: it states them all).
var tlaOmittedInvariants = map[string]string{}

// tlaExtraInvariants are invariant operators of GMP.tla that are not in
// spec.Invariants, each with the reason.
var tlaExtraInvariants = map[string]string{
	"TypeOK": "TLA+'s type invariant; Go's types enforce it",
}

// tlaDefs returns the names of the top-level operators defined in
// GMP.tla between the "\* BEGIN name" and "\* END name" comment lines.
func tlaDefs(t *testing.T, src, section string) []string {
	t.Helper()
	begin := regexp.MustCompile(`(?m)^\\\* BEGIN ` + section + `\b.*$`).FindStringIndex(src)
	end := regexp.MustCompile(`(?m)^\\\* END ` + section + `\b.*$`).FindStringIndex(src)
	if begin == nil || end == nil || end[0] < begin[1] {
		t.Fatalf("tla/GMP.tla: no \\* BEGIN %s ... \\* END %s section", section, section)
	}
	def := regexp.MustCompile(`(?m)^([A-Za-z][A-Za-z0-9_]*)\s*(\([^)]*\))?\s*==`)
	var names []string
	for _, m := range def.FindAllStringSubmatch(src[begin[1]:end[0]], -1) {
		names = append(names, m[1])
	}
	return names
}

// TestTLAVocabulary checks that GMP.tla and spec/ use the same names: every
// action kind and invariant of spec that GMP.tla models (all but the
// timed-only tlaOmittedActions) is an
// operator of GMP.tla, and every action and invariant operator of GMP.tla
// is one of spec's names (helpers such as DoSchedule are allowed only as
// helpers: an action section operator must be an action kind or start
// with a helper prefix).
func TestTLAVocabulary(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(tlaDir, "GMP.tla"))
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)

	// Actions: the operators of the ACTIONS section that are not helpers
	// (Do*, Acq*) are exactly the kinds GMP.tla models.
	var actions []string
	for _, n := range tlaDefs(t, src, "ACTIONS") {
		if strings.HasPrefix(n, "Do") || strings.HasPrefix(n, "Acq") {
			continue
		}
		actions = append(actions, n)
	}
	for _, n := range actions {
		if !spec.IsAction(n) {
			t.Errorf("GMP.tla defines action %s, which is not in spec.ActionKinds", n)
		}
		if why, ok := tlaOmittedActions[n]; ok {
			t.Errorf("GMP.tla defines action %s, listed as omitted (%s)", n, why)
		}
	}
	for _, k := range spec.ActionKinds {
		if _, ok := tlaOmittedActions[k]; ok {
			continue
		}
		if !slices.Contains(actions, k) {
			t.Errorf("spec.ActionKinds has %s, which GMP.tla does not define (define it, or add it to tlaOmittedActions with the reason)", k)
		}
	}
	for k := range tlaOmittedActions {
		if !spec.IsAction(k) {
			t.Errorf("tlaOmittedActions lists %s, which is not in spec.ActionKinds", k)
		}
	}
	// Every action is a disjunct of Next.
	next := regexp.MustCompile(`(?s)\nNext ==(.*?)\n\n`).FindStringSubmatch(src)
	if next == nil {
		t.Fatal("GMP.tla: no Next")
	}
	for _, a := range actions {
		if !regexp.MustCompile(`\b` + a + `\(`).MatchString(next[1]) {
			t.Errorf("GMP.tla: action %s is not in Next", a)
		}
	}

	// Invariants.
	invs := tlaDefs(t, src, "INVARIANTS")
	specInv := map[string]bool{}
	for _, inv := range spec.Invariants() {
		specInv[inv.Name] = true
		if _, ok := tlaOmittedInvariants[inv.Name]; ok {
			if slices.Contains(invs, inv.Name) {
				t.Errorf("GMP.tla defines invariant %s, listed as omitted", inv.Name)
			}
			continue
		}
		if !slices.Contains(invs, inv.Name) {
			t.Errorf("spec.Invariants has %s, which GMP.tla does not define (define it, or add it to tlaOmittedInvariants with the reason)", inv.Name)
		}
	}
	for k := range tlaOmittedInvariants {
		if !specInv[k] {
			t.Errorf("tlaOmittedInvariants lists %s, which is not in spec.Invariants", k)
		}
	}
	// The INVARIANTS section holds the invariants and their helpers; an
	// operator named like an invariant (capitalized, not a helper) must be
	// one of spec's or an explained extra. Helpers are those used by some
	// invariant and never listed in a cfg's INVARIANTS.
	cfgInvs := tlaCfgInvariants(t)
	for _, n := range cfgInvs {
		if !specInv[n] && tlaExtraInvariants[n] == "" {
			t.Errorf("a cfg checks invariant %s, which is neither in spec.Invariants nor in tlaExtraInvariants", n)
		}
		if !slices.Contains(invs, n) {
			t.Errorf("a cfg checks invariant %s, which is not in GMP.tla's INVARIANTS section", n)
		}
	}
	for _, n := range invs {
		if specInv[n] && !slices.Contains(cfgInvs, n) {
			t.Errorf("GMP.tla defines invariant %s, but no cfg checks it", n)
		}
	}
	// The explorer's transition check is GMP.tla's action property of the
	// same name.
	if !regexp.MustCompile(`(?m)^` + model.CheckStealRunnext + `\s*==\s*\[\]\[`).MatchString(src) {
		t.Errorf("GMP.tla does not define the action property %s == [][...]_vars (model.CheckStealRunnext)", model.CheckStealRunnext)
	}
}

// tlaCfgInvariants lists the invariants the MCGMP*.cfg files check.
func tlaCfgInvariants(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(tlaDir, "MCGMP*.cfg"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no tla/MCGMP*.cfg: %v", err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		in := false
		for _, line := range strings.Split(string(b), "\n") {
			line, _, _ = strings.Cut(line, `\*`)
			line = strings.TrimSpace(line)
			switch {
			case line == "INVARIANT" || line == "INVARIANTS":
				in = true
			case line == "":
			case strings.ToUpper(line) == line && !strings.Contains(line, "="):
				in = false // the next section keyword
			case in:
				for _, w := range strings.Fields(line) {
					seen[w] = true
				}
			}
		}
	}
	var out []string
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// tlaManifest is tla/manifest.json.
type tlaManifest struct {
	Configs []tlaConfig `json:"configs"`
}

// tlaConfig is one TLC configuration and its expected outcome.
type tlaConfig struct {
	Name     string `json:"name"`
	Spec     string `json:"spec"`
	Cfg      string `json:"cfg"`
	Workload string `json:"workload"` // the same workload for the Go explorer
	Config   string `json:"config"`   // the Go explorer's spec.ParseConfig string
	Mutants  string `json:"mutants"`  // model.ParseMutants string
	Mode     string `json:"mode"`
	// Result is "pass" or the name of the invariant expected to fail.
	Result string `json:"result"`
	// TLC's numbers, as TLC printed them (passing configs only):
	// distinct states, states generated, and the depth of the state
	// graph, which counts states (the initial state is depth 1), so it is
	// the Go explorer's Depth (which counts actions) plus one.
	DistinctStates int    `json:"distinctStates"`
	TotalStates    int    `json:"totalStates"`
	StateDepth     int    `json:"stateDepth"`
	TLCTime        string `json:"tlcTime"`
	TLCCommand     string `json:"tlcCommand"`
	// Go is false for specs with no Go explorer counterpart (RunQueue.tla,
	// Stack.tla model the lock-free ring and stack copying, below the
	// model's granularity): TestTLAManifestGoExplorer skips them, the TLC
	// re-run still checks their verdict and counts. Absent means true.
	Go *bool `json:"go,omitempty"`
	// Large marks a config that takes minutes: the Go side runs it only
	// without -short and with GMPLAB_TLA_LARGE=1, the TLC re-run only with
	// GMPLAB_TLA_LARGE=1.
	Large bool `json:"large,omitempty"`
	// Digest is the reachable set's digest (model.TLCDigest of the
	// canonical texts of every distinct state: model.ReachableTLCDigest on
	// the Go side, model.ReadTLCDump of TLC's -dump file on TLC's side),
	// verified equal on both sides; absent when not recorded.
	Digest string `json:"digest,omitempty"`
}

// hasGo reports whether the Go explorer has a counterpart of c.
func (c tlaConfig) hasGo() bool { return c.Go == nil || *c.Go }

// tlaLargeEnv is the environment variable that enables the large configs.
const tlaLargeEnv = "GMPLAB_TLA_LARGE"

func tlaLargeEnabled() bool { return os.Getenv(tlaLargeEnv) == "1" }

func readTLAManifest(t testing.TB) tlaManifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(tlaDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m tlaManifest
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("tla/manifest.json: %v", err)
	}
	if len(m.Configs) == 0 {
		t.Fatal("tla/manifest.json lists no configs")
	}
	for _, c := range m.Configs {
		if !strings.HasSuffix(c.Spec, ".tla") || !strings.HasPrefix(c.Cfg, strings.TrimSuffix(c.Spec, ".tla")+"_") || c.Name+".cfg" != c.Cfg {
			t.Errorf("manifest: config %q: cfg %q must be named <name>.cfg and start with its spec's module name (%s) and _", c.Name, c.Cfg, c.Spec)
		}
		if c.hasGo() && (c.Spec != "MCGMP.tla" || c.Mode != "safety") {
			t.Errorf("manifest: config %s: only MCGMP.tla safety configs have a Go explorer counterpart (set \"go\": false on the others)", c.Name)
		}
		if !c.hasGo() && (c.Workload != "" || c.Config != "" || c.Mutants != "") {
			t.Errorf("manifest: config %s has no Go counterpart but names a workload, config or mutants", c.Name)
		}
		switch c.Mode {
		case "safety":
		case "liveness":
			// Temporal properties: TLC only (the Go explorer checks none);
			// only passing liveness configs are supported.
			if c.Result != "pass" {
				t.Errorf("manifest: config %s: a liveness config must be expected to pass", c.Name)
			}
		default:
			t.Errorf("manifest: config %s: mode %q: only safety and liveness are checked", c.Name, c.Mode)
		}
	}
	return m
}

// exploreTLAConfig runs the Go explorer on a manifest entry's workload and
// config.
func exploreTLAConfig(t testing.TB, c tlaConfig) *model.ExploreResult {
	t.Helper()
	r, err := model.Explore(initTLAConfig(t, c), model.ExploreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// initTLAConfig is the initial state of a manifest entry's workload and
// config.
func initTLAConfig(t testing.TB, c tlaConfig) model.State {
	t.Helper()
	prog, err := spec.ParseFile(filepath.Join(tlaDir, c.Workload))
	if err != nil {
		t.Fatal(err)
	}
	code, err := spec.Compile(prog)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := spec.ParseConfig(c.Config)
	if err != nil {
		t.Fatalf("%s: config %q: %v", c.Name, c.Config, err)
	}
	mut, err := model.ParseMutants(c.Mutants)
	if err != nil {
		t.Fatal(err)
	}
	s, err := model.Init(&model.Env{Cfg: cfg, Code: code, Mutants: mut}, model.Boot{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestTLAManifestGoExplorer runs the Go explorer on every configuration of
// tla/manifest.json: a passing one must reach exactly TLC's distinct
// states and depth, a failing one must break the same invariant.
func TestTLAManifestGoExplorer(t *testing.T) {
	for _, c := range readTLAManifest(t).Configs {
		t.Run(c.Name, func(t *testing.T) {
			if !c.hasGo() {
				t.Skipf("%s (%s) has no Go explorer counterpart; TestTLAManifestTLC checks it", c.Name, c.Spec)
			}
			if c.Large && (testing.Short() || !tlaLargeEnabled()) {
				t.Skipf("%s is large (TLC: %s); run it with %s=1 and without -short", c.Name, c.TLCTime, tlaLargeEnv)
			}
			r := exploreTLAConfig(t, c)
			t.Logf("Go explorer: %d distinct states, depth %d, %v (%.0f states/s); TLC: %d distinct states, depth %d, %s",
				r.Distinct, r.Depth, r.Elapsed.Round(time.Millisecond), r.StatesPerSec, c.DistinctStates, c.StateDepth, c.TLCTime)
			if c.Result == "pass" {
				if r.Violation != nil {
					t.Fatalf("expected pass, Go explorer found %v", r.Violation)
				}
				if !r.Complete {
					t.Fatal("Go explorer did not complete")
				}
				if r.Distinct != c.DistinctStates || r.Depth+1 != c.StateDepth {
					t.Errorf("Go explorer: %d distinct states, depth %d (TLC depth %d); manifest (TLC): %d distinct states, depth %d",
						r.Distinct, r.Depth, r.Depth+1, c.DistinctStates, c.StateDepth)
				}
				if c.Digest != "" && (!testing.Short() || strings.HasSuffix(c.Name, "_small")) {
					start := time.Now()
					d, n, err := model.ReachableTLCDigest(initTLAConfig(t, c))
					if err != nil {
						t.Fatal(err)
					}
					t.Logf("Go reachable-set digest %s (%d states, %v)", d, n, time.Since(start).Round(time.Millisecond))
					if d != c.Digest || n != c.DistinctStates {
						t.Errorf("Go reachable set: digest %s over %d states; manifest (TLC): %s over %d", d, n, c.Digest, c.DistinctStates)
					}
				}
				return
			}
			if r.Violation == nil {
				t.Fatalf("expected %s to fail, Go explorer found no violation", c.Result)
			}
			if r.Violation.Invariant != c.Result {
				t.Fatalf("expected %s to fail, Go explorer found %v", c.Result, r.Violation)
			}
		})
	}
}

// findTLC returns the path of tla2tools.jar: $TLA2TOOLS_JAR, else the
// usual places; "" if none.
func findTLC() string {
	if p := os.Getenv("TLA2TOOLS_JAR"); p != "" {
		return p
	}
	cands := []string{"/usr/share/java/tla2tools.jar", "/opt/tla/tla2tools.jar", "/usr/local/lib/tla2tools.jar"}
	if home, err := os.UserHomeDir(); err == nil {
		cands = append([]string{filepath.Join(home, "tla2tools.jar")}, cands...)
	}
	for _, p := range cands {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	return ""
}

var (
	tlcCountsRE = regexp.MustCompile(`([0-9,]+) states generated, ([0-9,]+) distinct states found, 0 states left on queue`)
	tlcDepthRE  = regexp.MustCompile(`The depth of the complete state graph search is ([0-9,]+)`)
	// An invariant, or an action property such as
	// StealTakesRunnextOnlyFromEmptyRing (model.CheckStealRunnext).
	tlcViolRE = regexp.MustCompile(`(?:Invariant|Action property) (\w+) is violated`)
)

func atoiComma(s string) int {
	n, _ := strconv.Atoi(strings.ReplaceAll(s, ",", ""))
	return n
}

// TestTLAManifestTLC re-runs TLC on every configuration of
// tla/manifest.json and compares its verdict and counts with the
// manifest. It skips, saying so, when TLC is not installed.
func TestTLAManifestTLC(t *testing.T) {
	jar := findTLC()
	if jar == "" {
		t.Skip("TLC not found: skipping the TLC re-run of tla/manifest.json (the Go explorer's side ran in TestTLAManifestGoExplorer). " +
			"Download tla2tools.jar from https://github.com/tlaplus/tlaplus/releases and set TLA2TOOLS_JAR=/path/to/tla2tools.jar " +
			"(or put it at ~/tla2tools.jar, /usr/share/java/tla2tools.jar or /opt/tla/tla2tools.jar); it needs java 11+ on PATH.")
	}
	if _, err := os.Stat(jar); err != nil {
		t.Fatalf("TLA2TOOLS_JAR=%s: %v", jar, err)
	}
	java, err := exec.LookPath("java")
	if err != nil {
		t.Skipf("TLC found at %s but java is not on PATH: skipping the TLC re-run (install a JRE 11+)", jar)
	}
	abs, err := filepath.Abs(tlaDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range readTLAManifest(t).Configs {
		t.Run(c.Name, func(t *testing.T) {
			if c.Large && !tlaLargeEnabled() {
				t.Skipf("%s is large (TLC: %s); run it with %s=1", c.Name, c.TLCTime, tlaLargeEnv)
			}
			if testing.Short() && !strings.HasSuffix(c.Name, "_small") && c.Result == "pass" {
				t.Skipf("-short: only the *_small and the failing configs run under TLC (%s takes %s)", c.Name, c.TLCTime)
			}
			timeout := 10 * time.Minute
			if c.Large {
				timeout = 60 * time.Minute
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			args := []string{"-XX:+UseParallelGC", "-cp", jar, "tlc2.TLC",
				"-workers", "1", "-noGenerateSpecTE", "-metadir", t.TempDir()}
			dump := ""
			if c.Digest != "" {
				// TLC writes every distinct state to dump.
				dump = filepath.Join(t.TempDir(), "states.dump")
				args = append(args, "-dump", dump)
			}
			args = append(args, "-config", c.Cfg, c.Spec)
			cmd := exec.CommandContext(ctx, java, args...)
			cmd.Dir = abs
			start := time.Now()
			out, err := cmd.CombinedOutput()
			el := time.Since(start)
			text := string(out)
			if c.Result == "pass" {
				if err != nil || !strings.Contains(text, "No error has been found") {
					t.Fatalf("TLC on %s: expected pass (%v):\n%s", c.Cfg, err, tail(text, 40))
				}
				m := tlcCountsRE.FindStringSubmatch(text)
				d := tlcDepthRE.FindStringSubmatch(text)
				if m == nil || d == nil {
					t.Fatalf("TLC on %s: no counts in its output:\n%s", c.Cfg, tail(text, 40))
				}
				distinct, depth := atoiComma(m[2]), atoiComma(d[1])
				t.Logf("TLC: %d distinct states, depth %d, %v (%.0f states/s)", distinct, depth, el.Round(time.Millisecond), float64(distinct)/el.Seconds())
				if distinct != c.DistinctStates || depth != c.StateDepth || atoiComma(m[1]) != c.TotalStates {
					t.Errorf("TLC on %s: %s generated, %s distinct, depth %d; manifest: %d, %d, %d",
						c.Cfg, m[1], m[2], depth, c.TotalStates, c.DistinctStates, c.StateDepth)
				}
				if dump != "" {
					f, err := os.Open(dump)
					if err != nil {
						t.Fatalf("TLC's -dump file: %v", err)
					}
					defer f.Close()
					states, err := model.ReadTLCDump(dump, f)
					if err != nil {
						t.Fatal(err)
					}
					d := model.TLCDigest(states)
					t.Logf("TLC reachable-set digest %s (%d states)", d, len(states))
					if d != c.Digest || len(states) != c.DistinctStates {
						t.Errorf("TLC reachable set: digest %s over %d states; manifest: %s over %d", d, len(states), c.Digest, c.DistinctStates)
					}
				}
				return
			}
			v := tlcViolRE.FindStringSubmatch(text)
			if v == nil {
				t.Fatalf("TLC on %s: expected %s to be violated (%v):\n%s", c.Cfg, c.Result, err, tail(text, 40))
			}
			if v[1] != c.Result {
				t.Fatalf("TLC on %s: %s violated, expected %s", c.Cfg, v[1], c.Result)
			}
			t.Logf("TLC: %s violated as expected, %v", v[1], el.Round(time.Millisecond))
		})
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// BenchmarkExploreLargeVsTLC runs the Go explorer on the large
// configuration of tla/manifest.json (at least 10^6 distinct states) and
// reports its distinct states/s and the ratio to TLC's, whose time the
// manifest records from a run on the same kind of machine (TLC -workers
// 1). The project's target is a ratio of at least 10.
//
//	go test ./properties -run XXX -bench ExploreLargeVsTLC -benchtime 1x
func BenchmarkExploreLargeVsTLC(b *testing.B) {
	for _, c := range readTLAManifest(b).Configs {
		if !c.Large || !c.hasGo() {
			continue
		}
		tlcTime, err := time.ParseDuration(c.TLCTime)
		if err != nil || tlcTime <= 0 {
			b.Fatalf("%s: tlcTime %q: %v", c.Name, c.TLCTime, err)
		}
		tlcRate := float64(c.DistinctStates) / tlcTime.Seconds()
		b.Run(c.Name, func(b *testing.B) {
			var rate float64
			for range b.N {
				r := exploreTLAConfig(b, c)
				if r.Distinct != c.DistinctStates {
					b.Fatalf("%d distinct states, TLC %d", r.Distinct, c.DistinctStates)
				}
				rate = r.StatesPerSec
			}
			b.ReportMetric(rate, "states/s")
			b.ReportMetric(tlcRate, "tlc-states/s")
			b.ReportMetric(rate/tlcRate, "x-tlc")
		})
		return
	}
	b.Skip("tla/manifest.json has no large config with a Go counterpart")
}
