package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Endless workloads end with an outcome that says so, in the outcomes
// column: Gs spawning Gs forever (the step budget stops growing once the
// run gets expensive, or -max-steps), and main calling itself at one
// instant (the livelock guard).
func TestEndlessWorkloads(t *testing.T) {
	dir := t.TempDir()
	spawn := filepath.Join(dir, "spawn.gmp")
	rec := filepath.Join(dir, "rec.gmp")
	os.WriteFile(spawn, []byte("func main {\n  spawn w\n  park x 1\n}\nfunc w {\n  compute 1us\n  spawn w\n}\n"), 0o644)
	os.WriteFile(rec, []byte("func main {\n  call main\n}\n"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"compare", "-q", "-seeds", "1", "-max-steps", "2000", "-metrics", "makespan", spawn, "go1.26", "no-runnext"}, "step-limit 1 (step limit of 2000 actions reached (-max-steps))"},
		{[]string{"compare", "-q", "-seeds", "1", "-metrics", "makespan", spawn, "go1.26", "no-runnext"}, "an endless workload? (-max-steps or -max-time)"},
		{[]string{"sweep", "-q", "-seeds", "1", "-knob", "runq-size", "-values", "4,8", "-metrics", "makespan", spawn}, "step-limit 1 (step limit of"},
		{[]string{"compare", "-q", "-seeds", "1", "-invariants=false", "-metrics", "makespan", rec, "go1.26", "no-runnext"}, "livelock 1 (livelock: "},
	} {
		start := time.Now()
		code, out, stderr := gmplab(t, c.args...)
		if code != 0 || !strings.Contains(out, c.want) {
			t.Errorf("gmplab %s: exit %d, stderr %q, stdout:\n%s\nwant %q", strings.Join(c.args, " "), code, stderr, out, c.want)
		}
		if d := time.Since(start); d > 30*time.Second {
			t.Errorf("gmplab %s took %v", strings.Join(c.args, " "), d)
		}
	}
}

// timeline refuses to write its JSON and its HTML to one file or both to
// stdout.
func TestTimelineSameOutput(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "out")
	for _, args := range [][]string{
		{"timeline", "-json", "-", "-html", "-", "pingpong"},
		{"timeline", "-json", f, "-html", f, "pingpong"},
		{"timeline", "-json", f, "-html", filepath.Join(dir, ".", "out"), "pingpong"},
	} {
		code, out, stderr := gmplab(t, args...)
		if code != 2 || !strings.Contains(stderr, "both write to") || out != "" {
			t.Errorf("gmplab %s: exit %d, stderr %q; want exit 2 and a message", strings.Join(args, " "), code, stderr)
		}
	}
	if _, err := os.Stat(f); err == nil {
		t.Error("the refused run wrote its output")
	}
}
