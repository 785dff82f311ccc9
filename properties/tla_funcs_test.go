package properties

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gmplab/gmplab/model"
	"github.com/gmplab/gmplab/spec"
)

// tlaCfgConstants reads the CONSTANTS section of a TLC cfg: "Name = value"
// and "Name <- Operator" lines.
func tlaCfgConstants(t *testing.T, name string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(tlaDir, name))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	in := false
	for i, line := range strings.Split(string(b), "\n") {
		line, _, _ = strings.Cut(line, `\*`)
		line = strings.TrimSpace(line)
		switch {
		case line == "":
		case line == "CONSTANT" || line == "CONSTANTS":
			in = true
		case strings.ToUpper(line) == line && !strings.ContainsAny(line, "=<"):
			in = false
		case in:
			k, v, ok := strings.Cut(line, "<-")
			if !ok {
				k, v, ok = strings.Cut(line, "=")
			}
			if !ok {
				t.Fatalf("%s:%d: want Name = value or Name <- Op, found %q", name, i+1, line)
			}
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

// tlaDefinition returns the text of the zero-arity definition "name =="
// in src, up to the next blank line.
func tlaDefinition(src, name string) (string, bool) {
	loc := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `\s*==`).FindStringIndex(src)
	if loc == nil {
		return "", false
	}
	rest := src[loc[1]:]
	if end := strings.Index(rest, "\n\n"); end >= 0 {
		rest = rest[:end]
	}
	return rest, true
}

// tlaSquash drops TLA+ line comments and all whitespace.
func tlaSquash(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		line, _, _ = strings.Cut(line, `\*`)
		b.WriteString(strings.Join(strings.Fields(line), ""))
	}
	return b.String()
}

// TestTLAFuncs checks that every MCGMP config with a Go counterpart runs
// the same program under the same policy on both sides: its cfg's
// Funcs operator in MCGMP.tla is exactly model.TLAFuncs of the compiled
// workload file (up to whitespace and comments), and its constants are
// the Go config's knobs, main's index, the number of keys and the
// mutants.
func TestTLAFuncs(t *testing.T) {
	mc, err := os.ReadFile(filepath.Join(tlaDir, "MCGMP.tla"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range readTLAManifest(t).Configs {
		if c.Spec != "MCGMP.tla" || !c.hasGo() {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			consts := tlaCfgConstants(t, c.Cfg)
			s := initTLAConfig(t, c)
			code, cfg, mut := s.Env.Code, s.Env.Cfg, s.Env.Mutants
			b2s := func(b bool) string {
				if b {
					return "TRUE"
				}
				return "FALSE"
			}
			want := map[string]string{
				"Procs":                     strconv.Itoa(cfg.Procs),
				"RunqSize":                  strconv.Itoa(cfg.RunqSize),
				"SpillBatch":                strconv.Itoa(cfg.SpillBatch),
				"GlobalBatchCap":            strconv.Itoa(cfg.GlobalBatchCap),
				"GlobalCheckPeriod":         strconv.Itoa(cfg.GlobalCheckPeriod),
				"StealRounds":               strconv.Itoa(cfg.StealRounds),
				"StealRunnextLastRoundOnly": b2s(cfg.StealRunnextLastRoundOnly),
				"StackMin":                  strconv.FormatInt(cfg.StackMin, 10),
				"StackMax":                  strconv.FormatInt(cfg.StackMax, 10),
				"StackGuard":                strconv.FormatInt(cfg.StackGuard, 10),
				"StackShrinkReserve":        strconv.FormatInt(cfg.StackShrinkReserve, 10),
				"AsyncPreempt":              b2s(cfg.AsyncPreempt),
				"MainFn":                    strconv.Itoa(code.Main + 1),
				"NKeys":                     strconv.Itoa(len(code.Keys)),
				"MutSpillDropsKicked":       b2s(mut.Has(model.MutSpillDropsKicked)),
				"MutStealRunnextNonEmpty":   b2s(mut.Has(model.MutStealRunnextNonEmpty)),
				"MutCopyNoAdjust":           b2s(mut.Has(model.MutCopyNoAdjust)),
			}
			for k, v := range want {
				if consts[k] != v {
					t.Errorf("%s: %s = %q, the Go side (%q, mutants %q) has %s", c.Cfg, k, consts[k], c.Config, c.Mutants, v)
				}
			}
			for k := range consts {
				if _, ok := want[k]; !ok && k != "Funcs" {
					t.Errorf("%s: constant %s has no Go counterpart in this test", c.Cfg, k)
				}
			}
			op := consts["Funcs"]
			def, ok := tlaDefinition(string(mc), op)
			if !ok {
				t.Fatalf("%s: Funcs <- %s, but MCGMP.tla does not define %s", c.Cfg, op, op)
			}
			gen := model.TLAFuncs(code)
			if tlaSquash(def) != tlaSquash(gen) {
				t.Errorf("MCGMP.tla's %s is not the compiled %s; it should read:\n\\* %s\n%s ==\n%s", op, c.Workload, c.Workload, op, gen)
			}
		})
	}
}

// TestTLAFuncsDetectsEdits: the comparison is not vacuous: changing one
// number of the generated text is noticed.
func TestTLAFuncsDetectsEdits(t *testing.T) {
	code, err := spec.ParseCode("x.gmp", []byte("func main frame 16 {\n    set 1 3\n    compute 1ms\n}\n"))
	if err != nil {
		t.Fatal(err)
	}
	gen := model.TLAFuncs(code)
	edited := strings.Replace(gen, "n |-> 3", "n |-> 4", 1)
	if edited == gen || tlaSquash(edited) == tlaSquash(gen) {
		t.Fatalf("an edit of the text is not noticed:\n%s", gen)
	}
	if def, ok := tlaDefinition(fmt.Sprintf("X ==\n%s\n\nY == 1\n", gen), "X"); !ok || tlaSquash(def) != tlaSquash(gen) {
		t.Errorf("tlaDefinition: got %q", def)
	}
}
