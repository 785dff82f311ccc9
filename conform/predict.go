package conform

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gmplab/gmplab/model"
	"github.com/gmplab/gmplab/spec"
)

// StartSchedticks are P0's possible schedticks at main.main's entry
// (brief 10.1: 4 in about 96% of runs, 5 otherwise), most likely first.
var StartSchedticks = []uint32{4, 5}

// Boot is the runtime's state at main.main's entry (brief 10.1) with
// P0's schedtick tick: runtime.updateMaxProcsGoroutine's G in P0's ring
// and runtime.runFinalizers's G in its runnext.
func Boot(tick uint32) model.Boot {
	return model.Boot{
		Schedtick: tick,
		Ring:      []string{"runtime.updateMaxProcsGoroutine"},
		Runnext:   "runtime.runFinalizers",
	}
}

// MaxDeviations bounds the timing choices Explain may make in one run.
const MaxDeviations = 2

// searchStepLimit bounds the model steps of one Explain (all branches).
// A variable so that a test can reach it.
var searchStepLimit = 20_000_000

// Model is a case's workload compiled for the model, on one P. Predict
// runs it timed (computes and syscalls take their durations, sysmon wakes
// and acts by the logical clock); Explain searches the untimed model,
// where timing is a choice (a deviation from the undisturbed run).
type Model struct {
	Case Case
	Code *spec.Code
	env  *model.Env // untimed: Explain's search
	// timed: Predict's run, with the workload's durations and sysmon
	// acting by the clock.
	timed *model.Env
	say   map[int]sayKey // Code.Keys index -> token
	// gIndex caches a G's index among the Gs of its function. Gs are
	// numbered in creation order and every workload here spawns from
	// main alone, so a G's index is a function of its ID on every path.
	gIndex map[spec.GID]int
}

// sayKey is a key "say.NAME" (token NAME) or "say.NAME.idx" (token NAME
// followed by the G's index among the Gs running its function).
type sayKey struct {
	tok string
	idx bool
}

// Tokens is the convention by which a workload prints: a `ready
// say.NAME` statement prints NAME, `ready say.NAME.idx` prints NAME and
// the index of the G among the Gs created to run the same function (its
// spawn index), as the programs print "w3". Nobody parks on say keys.
const Tokens = "say."

// NewModel compiles the case's workload.
func NewModel(c Case) (*Model, error) {
	text, err := c.Workload()
	if err != nil {
		return nil, err
	}
	code, err := spec.ParseCode("conform/testdata/"+c.Prog+".gmp", []byte(text))
	if err != nil {
		return nil, fmt.Errorf("conform: case %s: %w", c.Name, err)
	}
	m := &Model{
		Case:   c,
		Code:   code,
		env:    &model.Env{Cfg: spec.Default(1), Code: code},
		timed:  &model.Env{Cfg: spec.Default(1), Code: code, Timed: true},
		say:    map[int]sayKey{},
		gIndex: map[spec.GID]int{},
	}
	for i, k := range code.Keys {
		if name, ok := strings.CutPrefix(k, Tokens); ok {
			tok, idx := strings.CutSuffix(name, ".idx")
			m.say[i] = sayKey{tok: tok, idx: idx}
		}
	}
	if len(m.say) == 0 {
		return nil, fmt.Errorf("conform: case %s: the workload prints nothing (no ready %sNAME)", c.Name, Tokens)
	}
	return m, nil
}

// init returns the untimed model's state at main.main's entry.
func (m *Model) init(tick uint32) (model.State, error) {
	return model.Init(m.env, Boot(tick))
}

// step applies a and returns the new state and the tokens it printed.
func (m *Model) step(s model.State, a model.Action) (model.State, string, error) {
	ns, err := model.Step(s, a)
	if err != nil {
		return s, "", fmt.Errorf("conform: case %s: the model refused its own enabled action %v: %w", m.Case.Name, a, err)
	}
	r, ok := a.(model.Ready)
	if !ok {
		return ns, "", nil
	}
	for k, sk := range m.say {
		if ns.Keys[k].Permits > s.Keys[k].Permits {
			if !sk.idx {
				return ns, sk.tok, nil
			}
			g := s.Ms[r.M].Curg
			return ns, sk.tok + strconv.Itoa(m.index(s, g)), nil
		}
	}
	return ns, "", nil
}

// index is g's index among the Gs that run g's function.
func (m *Model) index(s model.State, g spec.GID) int {
	if i, ok := m.gIndex[g]; ok {
		return i
	}
	fn := s.Gs[g-1].Fn
	i := 0
	for j := range s.Gs[:g-1] {
		if s.Gs[j].Fn == fn {
			i++
		}
	}
	m.gIndex[g] = i
	return i
}

// defaultAction is the undisturbed run's next action: the first enabled
// action that is neither sysmon's nor a syscall's return; a syscall
// returns only when nothing else can run (the programs' syscalls last
// far longer than their other work). Timed, the Gs' zero-time steps at
// an instant come first, then sysmon's wake-up, then time passes. nil
// when only sysmon could act (untimed).
func defaultAction(en []model.Action) model.Action {
	var exit, tick, adv model.Action
	for _, a := range en {
		switch a.(type) {
		case model.SysmonPreempt, model.SysmonRetake:
			continue
		case model.SysmonTick:
			tick = a
			continue
		case model.Advance:
			adv = a
			continue
		case model.ExitSyscall:
			if exit == nil {
				exit = a
			}
			continue
		}
		return a
	}
	switch {
	case exit != nil:
		return exit
	case tick != nil:
		return tick
	}
	return adv
}

// Predict returns the tokens of the timed model's run from start-up
// schedtick tick: each G's statements take their durations, sysmon wakes
// at its go1.26 intervals from its initial state (model.Init) and
// preempts and retakes by the clock. A workload without durations never
// lets time pass, so sysmon never acts: the undisturbed run.
func (m *Model) Predict(tick uint32) (*Prediction, error) {
	s, err := model.Init(m.timed, Boot(tick))
	if err != nil {
		return nil, err
	}
	p := &Prediction{Tick: tick}
	for steps := 0; !s.Ended(); steps++ {
		if steps > searchStepLimit {
			return nil, fmt.Errorf("conform: case %s: the timed run does not end in %d steps", m.Case.Name, searchStepLimit)
		}
		a := defaultAction(model.Enabled(s))
		if a == nil {
			return nil, fmt.Errorf("conform: case %s: the timed run is stuck or deadlocked:\n%s", m.Case.Name, model.Describe(s))
		}
		if _, ok := a.(model.SysmonTick); ok {
			p.Sysmon = append(p.Sysmon, m.sysmonDid(s, a)...)
		}
		var tok string
		if s, tok, err = m.step(s, a); err != nil {
			return nil, err
		}
		if tok != "" {
			p.Tokens = append(p.Tokens, tok)
		}
	}
	if s.Fatal != "" {
		return nil, fmt.Errorf("conform: case %s: the timed run failed: %s", m.Case.Name, s.Fatal)
	}
	return p, nil
}

// Prediction is the timed model's run from one start-up schedtick.
type Prediction struct {
	Tick   uint32
	Tokens []string
	// Sysmon lists what sysmon did, e.g. "sysmon preempts g7 (hog) at
	// 10.06ms": the timing inputs of this run.
	Sysmon []string
}

// sysmonDid describes the preemption requests and retakes of sysmon's
// wake-up a in s.
func (m *Model) sysmonDid(s model.State, a model.Action) []string {
	_, evs, err := model.StepTrace(s, a)
	if err != nil {
		return nil // step reports it
	}
	var out []string
	for _, ev := range evs {
		switch ev.Kind {
		case "PreemptRequest":
			out = append(out, fmt.Sprintf("sysmon preempts %v (%s) at %v", ev.G, m.Code.Funcs[s.Gs[ev.G-1].Fn].Name, ev.Time))
		case "Retake":
			out = append(out, fmt.Sprintf("sysmon retakes %v from %v (%s) in its syscall at %v", ev.P, ev.G, m.Code.Funcs[s.Gs[ev.G-1].Fn].Name, ev.Time))
		}
	}
	return out
}

// Explanation is a model run that prints an observed order.
type Explanation struct {
	Tick    uint32   // P0's start-up schedtick
	Choices []string // the timing choices, in order (none: the undisturbed run)
	// Timed: the run is the timed model's prediction, and Choices are
	// what its sysmon did by the clock.
	Timed bool
}

func (e *Explanation) String() string {
	if len(e.Choices) == 0 {
		if e.Timed {
			return fmt.Sprintf("schedtick %d", e.Tick)
		}
		return fmt.Sprintf("schedtick %d; sysmon never acts", e.Tick)
	}
	return fmt.Sprintf("schedtick %d; %s", e.Tick, strings.Join(e.Choices, "; "))
}

// ErrSearchLimit: Explain gave up after searchStepLimit model steps.
var ErrSearchLimit = errors.New("search step limit reached")

// Explain looks for a run of the model that prints observed: for each
// start-up schedtick, first with no timing choice, then with 1, ...
// MaxDeviations. A timing choice is any enabled action other than the
// undisturbed run's: sysmon preempting the running G (considered only
// where the G is at a safe point, where the request takes effect at
// once; a request made earlier would stop it at the same place), sysmon
// retaking a P from a syscall, or a syscall returning while other work
// can run. It returns nil when no run with at most MaxDeviations
// choices prints observed.
func (m *Model) Explain(observed []string) (*Explanation, error) {
	x := &searcher{m: m, obs: observed}
	for k := 0; k <= MaxDeviations; k++ {
		for _, tick := range StartSchedticks {
			s, err := m.init(tick)
			if err != nil {
				return nil, err
			}
			x.choices = x.choices[:0]
			ok, err := x.dfs(s, 0, k)
			if err != nil {
				return nil, err
			}
			if ok {
				return &Explanation{Tick: tick, Choices: append([]string(nil), x.choices...)}, nil
			}
		}
	}
	return nil, nil
}

type searcher struct {
	m       *Model
	obs     []string
	steps   int
	choices []string
}

// dfs reports whether a run from s, which has printed obs[:pos], prints
// exactly obs with at most budget more timing choices. Branches are cut
// at the first token that differs from obs.
func (x *searcher) dfs(s model.State, pos, budget int) (bool, error) {
	for {
		if s.Ended() {
			return s.Exited && pos == len(x.obs), nil
		}
		en := model.Enabled(s)
		def := defaultAction(en)
		if def == nil {
			return false, nil // deadlocked or stuck
		}
		if budget > 0 {
			for _, a := range en {
				if a == def || !x.deviation(s, a) {
					continue
				}
				ns, npos, ok, err := x.try(s, a, pos)
				if err != nil {
					return false, err
				}
				if !ok {
					continue
				}
				x.choices = append(x.choices, x.describe(s, a, pos))
				found, err := x.dfs(ns, npos, budget-1)
				if err != nil || found {
					return found, err
				}
				x.choices = x.choices[:len(x.choices)-1]
			}
		}
		// The undisturbed step, iteratively: the common path costs no
		// recursion.
		ns, npos, ok, err := x.try(s, def, pos)
		if err != nil || !ok {
			return false, err
		}
		s, pos = ns, npos
	}
}

// try takes a and checks the token it prints, if any, against obs.
func (x *searcher) try(s model.State, a model.Action, pos int) (model.State, int, bool, error) {
	x.steps++
	if x.steps > searchStepLimit {
		return s, pos, false, fmt.Errorf("conform: case %s: %w (%d model steps)", x.m.Case.Name, ErrSearchLimit, searchStepLimit)
	}
	ns, tok, err := x.m.step(s, a)
	if err != nil {
		return s, pos, false, err
	}
	if tok == "" {
		return ns, pos, true, nil
	}
	if pos >= len(x.obs) || x.obs[pos] != tok {
		return s, pos, false, nil
	}
	return ns, pos + 1, true, nil
}

// deviation reports whether a is a timing choice the search considers.
func (x *searcher) deviation(s model.State, a model.Action) bool {
	switch a := a.(type) {
	case model.SysmonPreempt:
		pp := s.Ps[a.P]
		if pp.M == spec.NoM {
			return false
		}
		g := s.Ms[pp.M].Curg
		if g == spec.NoG {
			return false
		}
		switch x.instr(s, g).Op {
		case spec.OpCall, spec.OpDescend:
			return true
		case spec.OpCompute:
			return s.Env.Cfg.AsyncPreempt
		}
		return false
	}
	return true
}

func (x *searcher) instr(s model.State, g spec.GID) spec.Instr {
	f := s.Gs[g-1].Stack.Top
	return x.m.Code.Funcs[f.Fn].Instrs[f.PC]
}

// describe names the timing choice a taken in s after pos tokens.
func (x *searcher) describe(s model.State, a model.Action, pos int) string {
	code := x.m.Code
	gname := func(g spec.GID) string {
		return fmt.Sprintf("%v (%s)", g, code.Funcs[s.Gs[g-1].Fn].Name)
	}
	spawned := 0
	for _, g := range s.Gs {
		if g.Fn == s.Gs[0].Fn {
			continue
		}
		spawned++
	}
	spawned -= 2 // the runtime's boot Gs
	where := fmt.Sprintf("after token %d", pos)
	switch a := a.(type) {
	case model.SysmonPreempt:
		g := s.Ms[s.Ps[a.P].M].Curg
		in := x.instr(s, g)
		stmt := in.Op.String()
		if in.Op == spec.OpCall || in.Op == spec.OpDescend {
			stmt += " " + code.Funcs[in.Fn].Name
		}
		return fmt.Sprintf("sysmon preempts %s at %s.gmp:%d %s, after %d spawns", gname(g), x.m.Case.Prog, in.Pos.Line, stmt, spawned)
	case model.SysmonRetake:
		g := s.Ms[s.Ps[a.P].M].Curg
		return fmt.Sprintf("sysmon retakes %v from %s in its syscall, %s", a.P, gname(g), where)
	case model.ExitSyscall:
		return fmt.Sprintf("the syscall of %s returns while other Gs can run, %s", gname(s.Ms[a.M].Curg), where)
	}
	return fmt.Sprintf("%v, %s", a, where)
}
