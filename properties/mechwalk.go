package properties

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/gmplab/gmplab/examples"
	"github.com/gmplab/gmplab/impl"
	"github.com/gmplab/gmplab/model"
	"github.com/gmplab/gmplab/spec"
)

// Seeded random walks for the mechanism properties (mechanism.go) and
// the mutation report's lockstep check: a seed draws a workload, a small
// config and the runtime's start-up schedtick, and then the walk's
// actions; the same seed gives the same walk.

// streamWorkload is an endless local stream for fairness-61: every w
// spawns the next and ends, while main waits on the global queue.
const streamWorkload = `
func main {
    spawn w
    gosched
    exit
}

func w {
    spawn w
}
`

// walkCase is what a seed draws.
type walkCase struct {
	name  string
	code  *spec.Code
	cfg   spec.Config
	boot  model.Boot
	steps int
}

func (c walkCase) String() string {
	return fmt.Sprintf("workload %s, boot schedtick %d, config %s", c.name, c.boot.Schedtick, c.cfg)
}

var walkWorkloads = func() []struct {
	name string
	code *spec.Code
} {
	var out []struct {
		name string
		code *spec.Code
	}
	add := func(name string, src []byte) {
		code, err := spec.ParseCode(name, src)
		if err != nil {
			panic(fmt.Sprintf("properties: workload %s: %v", name, err))
		}
		out = append(out, struct {
			name string
			code *spec.Code
		}{strings.TrimSuffix(name, ".gmp"), code})
	}
	ents, err := examples.FS.ReadDir(".")
	if err != nil {
		panic(err)
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		if e.Name() != "overflow.gmp" { // 131,072 calls: long, covered by the stack tests
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, n := range names {
		src, _ := examples.FS.ReadFile(n)
		add(n, src)
	}
	add("stream", []byte(streamWorkload))
	return out
}()

// drawWalkCase draws a case from rng: a workload, 1-3 Ps (one for the
// stream), a ring of 2, 4 or 256, policy variants, and a start-up
// schedtick in [0, 61) so that the %61 check comes early.
func drawWalkCase(rng *rand.Rand) walkCase {
	w := walkWorkloads[rng.IntN(len(walkWorkloads))]
	procs := 1 + rng.IntN(3)
	if w.name == "stream" {
		procs = 1
	}
	cfg := spec.Default(procs).WithRunqSize([]int{2, 4, 256}[rng.IntN(3)])
	cfg.Runnext = rng.IntN(4) != 0
	cfg.AsyncPreempt = rng.IntN(2) == 0
	if rng.IntN(4) == 0 {
		cfg.StealRunnextLastRoundOnly = false
	}
	if rng.IntN(4) == 0 {
		cfg.StackMin, cfg.StackGuard, cfg.StackShrinkReserve = 256, 64, 32
	}
	return walkCase{name: w.name, code: w.code, cfg: cfg, boot: model.Boot{Schedtick: uint32(rng.IntN(61))}, steps: 300}
}

// newWalkRand is the random source of the mechanism walk of seed.
func newWalkRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x6d656368)) }

// caseFailure is the outcome of a case that did not pass: a property
// broken by the case (its name: mechanism/<rule>, invariant/<name>,
// lockstep, a panic of the form under test) and what broke, or, if
// Inconclusive, a case that decided nothing: the harness failed (a setup
// error, a checker that panicked, the correct model refusing its own
// enabled action, a run that hit its wall-clock limit, porcupine
// undecided). An inconclusive case is neither a pass nor a kill.
type caseFailure struct {
	Property     string
	Detail       string
	Inconclusive bool
}

// inconclusive is a caseFailure for a case that decided nothing.
func inconclusive(property, detail string) *caseFailure {
	return &caseFailure{Property: property, Detail: detail, Inconclusive: true}
}

func (f *caseFailure) Error() string {
	if f.Inconclusive {
		return "inconclusive: " + f.Property + ": " + f.Detail
	}
	return f.Property + ": " + f.Detail
}

// firstLine is the first line of a panic's value, to name the property
// a panic broke (the runtime's own throws have the same words).
func firstLine(r any) string {
	l, _, _ := strings.Cut(fmt.Sprint(r), "\n")
	return l
}

// trail formats the actions of a walk, for a failure's detail.
func trail(acts []model.Action) string {
	var b strings.Builder
	for _, a := range acts {
		b.WriteString("\n  ")
		b.WriteString(a.String())
	}
	return b.String()
}

// mechanismChecks returns fresh checkers of every mechanism.
func mechanismChecks() []func(*Transition) error {
	out := make([]func(*Transition) error, len(Mechanisms))
	for i, m := range Mechanisms {
		out[i] = m.New()
	}
	return out
}

// checkTransition runs every mechanism on the step and then the
// invariants on the snapshot after it: a broken rule is reported by its
// own name before the invariant its effect may break. A panic inside a
// rule or an invariant is the checker's bug, not the form's: it is
// reported as an inconclusive "checker-panic", never as a broken
// property (the walks' own recovers are for the form under test).
func checkTransition(tr *Transition, checks []func(*Transition) error) (fail *caseFailure) {
	defer func() {
		if r := recover(); r != nil {
			fail = inconclusive("checker-panic: "+firstLine(r), fmt.Sprintf("%v\naction %v\n%s", r, tr.Action, debug.Stack()))
		}
	}()
	for i, c := range checks {
		if err := c(tr); err != nil {
			return &caseFailure{Property: "mechanism/" + Mechanisms[i].Name, Detail: err.Error()}
		}
	}
	if err := spec.All(tr.Post); err != nil {
		var ie *spec.InvariantError
		if errors.As(err, &ie) {
			return &caseFailure{Property: "invariant/" + ie.Name, Detail: err.Error()}
		}
		return &caseFailure{Property: "invariant", Detail: err.Error()}
	}
	return nil
}

// mechanismCaseModel runs one seeded walk of the model (with mut) and
// checks every invariant and mechanism after every step.
func mechanismCaseModel(seed uint64, mut model.Mutants) (fail *caseFailure) {
	rng := newWalkRand(seed)
	c := drawWalkCase(rng)
	var acts []model.Action
	defer func() {
		if r := recover(); r != nil {
			fail = &caseFailure{Property: "model-panic: " + firstLine(r), Detail: fmt.Sprintf("%v\n%s\nactions:%s", r, c, trail(acts))}
		}
	}()
	s, err := model.Init(&model.Env{Cfg: c.cfg, Code: c.code, Mutants: mut}, c.boot)
	if err != nil {
		return inconclusive("setup", err.Error())
	}
	pre := s.Snapshot()
	checks := mechanismChecks()
	for range c.steps {
		en := model.Enabled(s)
		if len(en) == 0 {
			break
		}
		a := en[rng.IntN(len(en))]
		acts = append(acts, a)
		next, evs, err := model.StepTrace(s, a)
		if err != nil {
			// Enabled listed a, Step refused it: the model disagrees
			// with itself, which decides nothing about a property.
			return inconclusive("model-refused", fmt.Sprintf("%v: %v\n%s\nactions:%s", a, err, c, trail(acts)))
		}
		post := next.Snapshot()
		tr := &Transition{Cfg: &c.cfg, Pre: &pre, Post: &post, Action: a, Events: evs, Ended: next.Ended(), CallFrame: callFrame(&s, a)}
		if f := checkTransition(tr, checks); f != nil {
			f.Detail += fmt.Sprintf("\n%s\nactions:%s", c, trail(acts))
			return f
		}
		s, pre = next, post
	}
	return nil
}

// mechanismCaseImpl runs one seeded walk of the implementation's drive
// mode (with mut): the correct model, stepped alongside, chooses each
// action among its enabled ones, and every invariant and mechanism is
// checked on the implementation's own transitions (its snapshots and
// events). An action the implementation refuses is reported as a lockstep
// failure.
func mechanismCaseImpl(seed uint64, mut impl.Mutants) (fail *caseFailure) {
	rng := newWalkRand(seed)
	c := drawWalkCase(rng)
	var acts []model.Action
	defer func() {
		if r := recover(); r != nil {
			fail = &caseFailure{Property: "impl-panic: " + firstLine(r), Detail: fmt.Sprintf("%v\n%s\nactions:%s", r, c, trail(acts))}
		}
	}()
	ms, err := model.Init(&model.Env{Cfg: c.cfg, Code: c.code}, c.boot)
	if err != nil {
		return inconclusive("setup", err.Error())
	}
	d, err := impl.NewDrive(c.cfg, c.code, impl.Boot{Schedtick: c.boot.Schedtick}, true, mut)
	if err != nil {
		return inconclusive("setup", err.Error())
	}
	d.Events()
	pre := d.Snapshot()
	checks := mechanismChecks()
	for range c.steps {
		en := model.Enabled(ms)
		if len(en) == 0 {
			break
		}
		a := en[rng.IntN(len(en))]
		acts = append(acts, a)
		if err := ApplyToDrive(d, a); err != nil {
			return &caseFailure{Property: "lockstep", Detail: fmt.Sprintf("impl refused %v, which the model enables: %v\n%s\nactions:%s", a, err, c, trail(acts))}
		}
		frame := callFrame(&ms, a)
		if ms, err = model.Step(ms, a); err != nil {
			// The correct model refused its own enabled action: a
			// harness bug, not the implementation's.
			return inconclusive("model-refused", fmt.Sprintf("%v: %v\n%s\nactions:%s", a, err, c, trail(acts)))
		}
		post := d.Snapshot()
		ended, _ := d.Ended()
		tr := &Transition{Cfg: &c.cfg, Pre: &pre, Post: &post, Action: a, Events: d.Events(), Ended: ended, CallFrame: frame}
		if f := checkTransition(tr, checks); f != nil {
			f.Detail += fmt.Sprintf("\n%s\nactions:%s", c, trail(acts))
			return f
		}
		pre = post
	}
	return nil
}

// lockstepCase runs one seeded walk on the model (with mm) and the
// implementation's drive mode (with im) in lockstep (lockstep.go).
func lockstepCase(seed uint64, mm model.Mutants, im impl.Mutants) (fail *caseFailure) {
	rng := rand.New(rand.NewPCG(seed, 0x6c6f636b))
	c := drawWalkCase(rng)
	defer func() {
		if r := recover(); r != nil {
			fail = &caseFailure{Property: "lockstep-panic: " + firstLine(r), Detail: fmt.Sprintf("%v\n%s", r, c)}
		}
	}()
	ls, msg, setupErr := newLockstepCase(c.cfg, c.code, c.boot, mm, im)
	if setupErr != nil {
		return inconclusive("setup", setupErr.Error())
	}
	if msg != "" {
		return &caseFailure{Property: "lockstep", Detail: msg}
	}
	for range c.steps {
		en := model.Enabled(ls.ms)
		if len(en) == 0 {
			break
		}
		if msg := ls.step(en[rng.IntN(len(en))]); msg != "" {
			if ls.modelRefused {
				// The model refused an action its own Enabled listed.
				return inconclusive("model-refused", fmt.Sprintf("%s\n%s", c, msg))
			}
			return &caseFailure{Property: "lockstep", Detail: fmt.Sprintf("%s\n%s", c, msg)}
		}
	}
	return nil
}
