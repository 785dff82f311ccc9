package properties

import (
	"flag"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gmplab/gmplab/examples"
	"github.com/gmplab/gmplab/model"
	"github.com/gmplab/gmplab/spec"
)

var (
	lockstepSeed = flag.Uint64("lockstep.seed", 0, "run only this seed of TestLockstepRandomWalk")
	lockstepRuns = flag.Int("lockstep.runs", 25, "random walks per workload in TestLockstepRandomWalk")
)

// TestLockstepRandomWalk applies the same random sequence of model actions
// to the model and to the implementation's drive mode, on small configs
// and every example workload, and after every step requires: every
// invariant of spec.All on both snapshots, equal snapshots (cmp.Diff), and
// equal trace events. The walk picks uniformly among model.Enabled; a
// failure prints the seed, the config and the action list, and the command
// that replays it.
func TestLockstepRandomWalk(t *testing.T) {
	ents, err := examples.FS.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	runs := *lockstepRuns
	if testing.Short() {
		runs = 5
	}
	for _, e := range ents {
		name := strings.TrimSuffix(e.Name(), ".gmp")
		if name == "overflow" { // 131,072 calls: long, and covered by the stack tests
			continue
		}
		t.Run(name, func(t *testing.T) {
			src, _ := examples.FS.ReadFile(e.Name())
			code, err := spec.ParseCode(e.Name(), src)
			if err != nil {
				t.Fatal(err)
			}
			for i := range runs {
				seed := uint64(i) + 1
				if *lockstepSeed != 0 {
					if i > 0 {
						break
					}
					seed = *lockstepSeed
				}
				if msg := lockstepWalk(code, seed, 400); msg != "" {
					t.Fatalf("seed %d: %s\nreproduce: go test ./properties -run 'TestLockstepRandomWalk/%s$' -lockstep.seed=%d -v", seed, msg, name, seed)
				}
			}
		})
	}
}

// lockstepConfig draws a small config from the seed: 1-3 Ps, a ring of 2,
// 4 or 256, and a few policy variants.
func lockstepConfig(rng *rand.Rand) spec.Config {
	cfg := spec.Default(1 + rng.IntN(3))
	cfg = cfg.WithRunqSize([]int{2, 4, 256}[rng.IntN(3)])
	cfg.Runnext = rng.IntN(4) != 0
	cfg.AsyncPreempt = rng.IntN(2) == 0
	if rng.IntN(4) == 0 {
		cfg.StealRunnextLastRoundOnly = false
	}
	if rng.IntN(4) == 0 {
		cfg.StackMin, cfg.StackGuard, cfg.StackShrinkReserve = 256, 64, 32
	}
	return cfg
}

// lockstepWalk runs one walk and returns "" or what went wrong.
func lockstepWalk(code *spec.Code, seed uint64, steps int) string {
	rng := rand.New(rand.NewPCG(seed, 0x6c6f636b))
	cfg := lockstepConfig(rng)
	ls, msg := newLockstep(cfg, code, model.Boot{})
	if msg != "" {
		return msg
	}
	for range steps {
		en := model.Enabled(ls.ms)
		if len(en) == 0 {
			break
		}
		if msg := ls.step(en[rng.IntN(len(en))]); msg != "" {
			return msg
		}
	}
	return ""
}
