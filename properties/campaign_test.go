package properties

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"
)

var (
	campaign     = flag.Duration("campaign", 0, "run a campaign of every check of Checks on the correct model and impl for this long in all (e.g. -campaign=10m; give go test a larger -timeout), and report cases per second per check")
	campaignSeed = flag.Uint64("campaign.seed", 1, "first seed of the campaign (each check and form runs seeds from it upwards)")
)

// TestCampaign is the long mode of the property suite: every check of
// Checks, in each form it runs on, without mutants, gets an equal share of
// the -campaign time, on fresh seeds from -campaign.seed. It reports, per
// check and form, the cases run and the cases per second, and fails with
// the seed and the replay command on the first violation, and on the
// first inconclusive case (a harness error, a timeout, porcupine
// undecided: not a pass). Without
// -campaign it skips: the default run of `go test ./properties` already
// runs each check's quick mode in its own test.
func TestCampaign(t *testing.T) {
	if *campaign <= 0 {
		t.Skip("no -campaign=DURATION: the long campaign is opt-in (e.g. go test ./properties -run TestCampaign -campaign=10m -timeout 0 -v)")
	}
	type job struct{ check, form string }
	var jobs []job
	for _, c := range Checks {
		if c.Model {
			jobs = append(jobs, job{c.Name, "model"})
		}
		// Without mutants the lockstep check is the same on both forms
		// (the model and impl side by side): run it once.
		if c.Impl && !(c.Model && c.Name == "lockstep") {
			jobs = append(jobs, job{c.Name, "impl"})
		}
	}
	share := *campaign / time.Duration(len(jobs))
	t.Logf("campaign: %d checks x forms, %v each, seeds from %d", len(jobs), share.Round(time.Second), *campaignSeed)
	type result struct {
		job
		cases   int
		elapsed time.Duration
		err     error
	}
	results := make([]result, len(jobs))
	// The checks that race real goroutines (Alone) run by themselves; the
	// others two at a time, one per core of the CI machines.
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i, j := range jobs {
		c, _ := CheckByName(j.check)
		run := func() {
			start := time.Now()
			n, err := RunCheck(j.check, j.form, "", *campaignSeed, Budget{Time: share})
			results[i] = result{j, n, time.Since(start), err}
			if err != nil {
				t.Logf("%s on %s: %v", j.check, j.form, err)
			}
		}
		if c.Alone {
			wg.Wait()
			run()
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			run()
		}()
	}
	wg.Wait()

	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "check\tform\tcases\ttime\tcases/s\tresult")
	for _, r := range results {
		verdict := "ok"
		var v *Violation
		var inc *Inconclusive
		switch {
		case errors.As(r.err, &v):
			verdict = "FAIL " + v.Property + " at seed " + fmt.Sprint(v.Seed)
		case errors.As(r.err, &inc):
			verdict = "INCONCLUSIVE " + inc.Property + " at seed " + fmt.Sprint(inc.Seed) + " (not a pass)"
		case r.err != nil:
			verdict = "ERROR " + r.err.Error()
		case r.cases == 0:
			verdict = "FAIL no case ran"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%v\t%.1f\t%s\n", r.check, r.form, r.cases, r.elapsed.Round(time.Millisecond), float64(r.cases)/r.elapsed.Seconds(), verdict)
	}
	tw.Flush()
	t.Logf("campaign results:\n%s", b.String())
	for _, r := range results {
		if r.err != nil {
			t.Errorf("%s on %s: %v", r.check, r.form, r.err)
		} else if r.cases == 0 {
			t.Errorf("%s on %s: no case ran in %v", r.check, r.form, share)
		}
	}
}
