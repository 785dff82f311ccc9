package properties

import (
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/gmplab/gmplab/examples"
	"github.com/gmplab/gmplab/model"
	"github.com/gmplab/gmplab/spec"
)

// TestLockstepRapid is the lockstep property as a rapid state machine:
// rapid draws a config and an example workload, then a sequence of steps,
// each an index into model.Enabled; after every step the model and the
// implementation must agree (snapshots, events, invariants). rapid shrinks
// a failure to a short action list and replays it with -rapid.seed; the
// failure message is a trace file to save under testdata/regress.
//
// The random walk (TestLockstepRandomWalk) covers long runs cheaply; this
// test's strength is shrinking.
func TestLockstepRapid(t *testing.T) {
	ents, err := examples.FS.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	codes := map[string]*spec.Code{}
	for _, e := range ents {
		name := strings.TrimSuffix(e.Name(), ".gmp")
		if name == "overflow" {
			continue
		}
		names = append(names, name)
		codes[name] = loadWorkload(t, name)
	}
	rapid.Check(t, func(rt *rapid.T) {
		name := rapid.SampledFrom(names).Draw(rt, "workload")
		cfg := spec.Default(rapid.IntRange(1, 3).Draw(rt, "procs"))
		cfg = cfg.WithRunqSize(rapid.SampledFrom([]int{2, 4, 256}).Draw(rt, "runq"))
		cfg.Runnext = rapid.Bool().Draw(rt, "runnext")
		cfg.AsyncPreempt = rapid.Bool().Draw(rt, "async")
		ls, msg := newLockstep(cfg, codes[name], model.Boot{})
		if msg != "" {
			rt.Fatal(msg)
		}
		rt.Repeat(map[string]func(*rapid.T){
			"step": func(rt *rapid.T) {
				en := model.Enabled(ls.ms)
				if len(en) == 0 {
					return // the run is over; later steps do nothing
				}
				a := en[rapid.IntRange(0, len(en)-1).Draw(rt, "action")]
				if msg := ls.step(a); msg != "" {
					var b strings.Builder
					model.WriteTrace(&b, model.TraceHeader{Workload: name, Config: cfg}, ls.trail)
					rt.Fatalf("%s\n\nas a trace file (save it as testdata/regress/<date>-<slug>.trace, then\ngo test ./properties -run TestLockstepTrace -lockstep.trace=FILE):\n%s", msg, b.String())
				}
			},
		})
	})
}
