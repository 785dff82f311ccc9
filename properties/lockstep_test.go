package properties

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gmplab/gmplab/examples"
	"github.com/gmplab/gmplab/impl"
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

// lockstep holds the model and the implementation's drive mode at the
// same point of the same run.
type lockstep struct {
	cfg   spec.Config
	ms    model.State
	d     *impl.Drive
	trail []model.Action
}

// newLockstep starts both forms and compares their initial states.
func newLockstep(cfg spec.Config, code *spec.Code, boot model.Boot) (*lockstep, string) {
	ms, err := model.Init(&model.Env{Cfg: cfg, Code: code}, boot)
	if err != nil {
		return nil, err.Error()
	}
	d, err := impl.NewDrive(cfg, code, impl.Boot{Schedtick: boot.Schedtick, Ring: boot.Ring, Runnext: boot.Runnext}, true)
	if err != nil {
		return nil, err.Error()
	}
	ls := &lockstep{cfg: cfg, ms: ms, d: d}
	if msnap, isnap := ms.Snapshot(), d.Snapshot(); !sameSnapshot(msnap, isnap) {
		return nil, ls.report("initial snapshots differ (-model +impl):\n%s", cmp.Diff(msnap, isnap, cmpopts.EquateEmpty()))
	}
	d.Events()
	return ls, ""
}

// step applies a to both forms and compares: the implementation accepts
// what the model enables, keeps every invariant, and has the same
// snapshot and the same trace events. It returns "" or what went wrong,
// with the config and the actions so far.
func (ls *lockstep) step(a model.Action) string {
	ls.trail = append(ls.trail, a)
	next, mevs, err := model.StepTrace(ls.ms, a)
	if err != nil {
		return ls.report("model refused %v: %v", a, err)
	}
	if err := ApplyToDrive(ls.d, a); err != nil {
		return ls.report("impl refused %v: %v", a, err)
	}
	ls.ms = next
	msnap, isnap := ls.ms.Snapshot(), ls.d.Snapshot()
	if err := spec.All(&isnap); err != nil {
		return ls.report("impl broke an invariant: %v", err)
	}
	if !sameSnapshot(msnap, isnap) {
		return ls.report("snapshots differ after %v (-model +impl):\n%s", a, cmp.Diff(msnap, isnap, cmpopts.EquateEmpty()))
	}
	if ievs := ls.d.Events(); !reflect.DeepEqual(nilIfEmpty(mevs), nilIfEmpty(ievs)) {
		return ls.report("events differ after %v (-model +impl):\n%s", a, cmp.Diff(mevs, ievs, cmpopts.EquateEmpty()))
	}
	return ""
}

func (ls *lockstep) report(format string, args ...any) string {
	acts := make([]string, len(ls.trail))
	for i, a := range ls.trail {
		acts[i] = a.String()
	}
	return fmt.Sprintf("config %s\nactions:\n  %s\n%s", ls.cfg, strings.Join(acts, "\n  "), fmt.Sprintf(format, args...))
}

// sameSnapshot is cmp.Equal with cmpopts.EquateEmpty, fast: snapshots of
// deep stacks hold tens of thousands of words, and cmp's reflection is
// slow on them. It normalizes empty slices to nil and uses
// reflect.DeepEqual; cmp.Diff is only for showing a difference.
func sameSnapshot(a, b spec.Snapshot) bool {
	normalizeSnapshot(&a)
	normalizeSnapshot(&b)
	return reflect.DeepEqual(a, b)
}

func normalizeSnapshot(s *spec.Snapshot) {
	s.Global = nilIfEmpty(s.Global)
	s.IdleP = nilIfEmpty(s.IdleP)
	s.IdleM = nilIfEmpty(s.IdleM)
	s.Keys = nilIfEmpty(s.Keys)
	for i := range s.Ps {
		s.Ps[i].Runq = nilIfEmpty(s.Ps[i].Runq)
	}
	for i := range s.Keys {
		s.Keys[i].Waiters = nilIfEmpty(s.Keys[i].Waiters)
	}
	for i := range s.Gs {
		st := &s.Gs[i].Stack
		st.Frames = nilIfEmpty(st.Frames)
		for j := range st.Frames {
			st.Frames[j].Slots = nilIfEmpty(st.Frames[j].Slots)
		}
	}
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}
