package properties

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMutationReport runs the quick mode of every check against every
// mutant (spec.Mutants) in each form that has it, and requires each to be
// killed. It logs the table that "gmplab mutants" prints (run with -v),
// and replays every kill from its seed: a deterministic check must give
// the same failure again, word for word.
func TestMutationReport(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the mutation report takes a few seconds")
	}
	rows := MutationReport(Budget{}, 0)
	var b strings.Builder
	WriteMutantTable(&b, rows)
	t.Logf("mutation report (quick mode):\n%s", b.String())
	for _, r := range rows {
		// An inconclusive case (the harness decided nothing) is never a
		// kill: a mutant with one and no violation is not killed, and
		// every such case is a harness problem to look at.
		for _, inc := range r.Inconclusive {
			if r.Killer == nil {
				t.Errorf("mutant %s (%s): %v", r.Mutant, r.Form, inc)
			} else {
				t.Logf("mutant %s (%s), killed later by %s: %v", r.Mutant, r.Form, r.Killer.Property, inc)
			}
		}
		if r.Killer == nil {
			if len(r.Inconclusive) == 0 {
				t.Errorf("mutant %s (%s) survived every check", r.Mutant, r.Form)
			}
			continue
		}
		c, _ := CheckByName(r.Killer.Check)
		err := ReplayCheck(r.Killer.Check, r.Form, r.Mutant, r.Killer.Seed)
		var v *Violation
		switch {
		case !errors.As(err, &v):
			t.Errorf("%s (%s): the replay %q passed (%v), but seed %d failed: %v", r.Mutant, r.Form, r.Killer.Replay(), err, r.Killer.Seed, r.Killer)
		case v.Property != r.Killer.Property:
			t.Errorf("%s (%s): the replay broke %s, the run %s", r.Mutant, r.Form, v.Property, r.Killer.Property)
		case c.Tries == 1 && v.Detail != r.Killer.Detail:
			t.Errorf("%s (%s): the replay's failure differs:\n%s\nwant:\n%s", r.Mutant, r.Form, v.Detail, r.Killer.Detail)
		}
	}
}

// TestReplayCommandReproduces takes a seeded failure (the model with
// steal-half-plus-one), reads the replay command it prints, and runs that
// command's equivalent: the same failure must come back.
func TestReplayCommandReproduces(t *testing.T) {
	_, err := RunCheck("mechanisms", "model", "steal-half-plus-one", 1, Budget{Cases: 200})
	var v *Violation
	if !errors.As(err, &v) {
		t.Fatalf("the mutant was not caught in 200 cases: %v", err)
	}
	msg := v.Error()
	if !strings.Contains(msg, "seed "+strconv.FormatUint(v.Seed, 10)) || !strings.Contains(msg, "replay: gmplab mutants -replay") {
		t.Fatalf("the failure does not print its seed and replay command:\n%s", msg)
	}
	_, cmd, _ := strings.Cut(msg, "replay: ")
	args := strings.Fields(cmd)[2:] // drop "gmplab mutants"
	flags := map[string]string{}
	for i := 0; i+1 < len(args); i += 2 {
		flags[args[i]] = args[i+1]
	}
	seed, err := strconv.ParseUint(flags["-seed"], 10, 64)
	if err != nil {
		t.Fatalf("replay command %q: %v", cmd, err)
	}
	err = ReplayCheck(flags["-replay"], flags["-form"], flags["-mutants"], seed)
	var w *Violation
	if !errors.As(err, &w) || w.Detail != v.Detail || w.Property != v.Property {
		t.Fatalf("replaying %q gave %v\nwant %v", cmd, err, v)
	}
}

// TestRunqOnce runs the concurrent exactly-once property of impl's run
// queues. A failure prints its seed and the command that replays it.
func TestRunqOnce(t *testing.T) {
	start := time.Now()
	n, err := RunCheck("runq-once", "impl", "", 1, Budget{Cases: *onceCases, Time: *mechTime})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no case ran: zero cases are not a pass")
	}
	d := time.Since(start)
	t.Logf("%d cases in %v (%.0f cases/s)", n, d.Round(time.Millisecond), float64(n)/d.Seconds())
}
