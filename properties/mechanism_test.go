package properties

import (
	"flag"
	"slices"
	"testing"
	"time"

	"github.com/gmplab/gmplab/model"
	"github.com/gmplab/gmplab/spec"
)

var (
	mechCases = flag.Int("mech.cases", 200, "walks per form in TestMechanisms")
	onceCases = flag.Int("once.cases", 100, "cases in TestRunqOnce")
	mechTime  = flag.Duration("mech.time", 3*time.Second, "time limit per form in TestMechanisms and TestRunqOnce (a campaign: -mech.cases=0 -mech.time=10m)")
)

// TestMechanisms runs the mechanism properties (and the invariants) over
// seeded random walks of the correct model and of impl's drive mode. A
// failure prints its seed and the command that replays it.
func TestMechanisms(t *testing.T) {
	for _, form := range []string{"model", "impl"} {
		t.Run(form, func(t *testing.T) {
			start := time.Now()
			n, err := RunCheck("mechanisms", form, "", 1, Budget{Cases: *mechCases, Time: *mechTime})
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				t.Fatal("no walk ran: zero walks are not a pass")
			}
			d := time.Since(start)
			t.Logf("%d walks in %v (%.0f walks/s)", n, d.Round(time.Millisecond), float64(n)/d.Seconds())
		})
	}
}

// TestMechanismsCanFail shows that no mechanism property is vacuous: on
// real transitions of model walks, each broken in a few ways (the global
// queue reversed or cut, a ring cut, runnext dropped, a schedtick moved,
// a stack moved or resized), every rule rejects some broken transition
// of its mechanism. (fairness-61 and work-conservation need a whole run;
// TestFairnessCatchesNoGlobalCheck and the mutation report cover them.)
func TestMechanismsCanFail(t *testing.T) {
	rejected := map[string]int{}
	applied := 0
	for seed := uint64(1); seed <= 60; seed++ {
		walkTransitions(t, seed, func(tr *Transition) {
			for _, perturb := range perturbations {
				post := cloneSnapshot(tr.Post)
				if !perturb(&post) {
					continue
				}
				applied++
				br := *tr
				br.Post = &post
				for _, m := range Mechanisms {
					if m.Name == "fairness-61" || m.Name == "work-conservation" {
						continue
					}
					if m.New()(&br) != nil {
						rejected[m.Name]++
					}
				}
			}
		})
	}
	for _, m := range Mechanisms {
		if m.Name == "fairness-61" || m.Name == "work-conservation" {
			continue
		}
		if rejected[m.Name] == 0 {
			t.Errorf("%s rejected none of %d broken transitions: it cannot fail", m.Name, applied)
		} else {
			t.Logf("%-24s rejected %d broken transitions", m.Name, rejected[m.Name])
		}
	}
}

// TestFairnessCatchesNoGlobalCheck: with the %61 check switched off
// (no-global-check) the endless local stream keeps main at the global
// head, and fairness-61 alone reports it.
func TestFairnessCatchesNoGlobalCheck(t *testing.T) {
	code, err := spec.ParseCode("stream", []byte(streamWorkload))
	if err != nil {
		t.Fatal(err)
	}
	cfg := spec.Default(1)
	cfg.Runnext = false // every w starts a new slice
	for _, mut := range []model.Mutants{0, model.MutNoGlobalCheck} {
		s, err := model.Init(&model.Env{Cfg: cfg, Code: code, Mutants: mut}, model.Boot{})
		if err != nil {
			t.Fatal(err)
		}
		check := newFairness()
		var got error
		pre := s.Snapshot()
		for step := 0; step < 1000 && got == nil; step++ {
			en := model.Enabled(s)
			if len(en) == 0 {
				break
			}
			a := en[0] // a fixed policy: the stream never stops
			next, evs, err := model.StepTrace(s, a)
			if err != nil {
				t.Fatal(err)
			}
			post := next.Snapshot()
			got = check(&Transition{Cfg: &cfg, Pre: &pre, Post: &post, Action: a, Events: evs, Ended: next.Ended()})
			s, pre = next, post
		}
		if (got != nil) != (mut != 0) {
			t.Errorf("mutants %q: fairness-61 says %v", mut, got)
		}
	}
}

// walkTransitions calls f on every transition of the seeded model walk.
func walkTransitions(t *testing.T, seed uint64, f func(*Transition)) {
	t.Helper()
	rng := newWalkRand(seed)
	c := drawWalkCase(rng)
	s, err := model.Init(&model.Env{Cfg: c.cfg, Code: c.code}, c.boot)
	if err != nil {
		t.Fatal(err)
	}
	pre := s.Snapshot()
	for range c.steps {
		en := model.Enabled(s)
		if len(en) == 0 {
			return
		}
		a := en[rng.IntN(len(en))]
		next, evs, err := model.StepTrace(s, a)
		if err != nil {
			t.Fatal(err)
		}
		post := next.Snapshot()
		f(&Transition{Cfg: &c.cfg, Pre: &pre, Post: &post, Action: a, Events: evs, Ended: next.Ended(), CallFrame: callFrame(&s, a)})
		s, pre = next, post
	}
}

// perturbations break a snapshot in place; each reports whether it
// changed anything.
var perturbations = []func(*spec.Snapshot) bool{
	func(s *spec.Snapshot) bool { // the global queue reversed
		if len(s.Global) < 2 {
			return false
		}
		slices.Reverse(s.Global)
		return true
	},
	func(s *spec.Snapshot) bool { // the global queue loses its tail
		if len(s.Global) == 0 {
			return false
		}
		s.Global = s.Global[:len(s.Global)-1]
		return true
	},
	func(s *spec.Snapshot) bool { // the global queue loses its head
		if len(s.Global) == 0 {
			return false
		}
		s.Global = s.Global[1:]
		return true
	},
	func(s *spec.Snapshot) bool { // every ring loses its oldest G
		ch := false
		for i := range s.Ps {
			if len(s.Ps[i].Runq) > 0 {
				s.Ps[i].Runq = s.Ps[i].Runq[1:]
				ch = true
			}
		}
		return ch
	},
	func(s *spec.Snapshot) bool { // every ring loses its youngest G
		ch := false
		for i := range s.Ps {
			if n := len(s.Ps[i].Runq); n > 0 {
				s.Ps[i].Runq = s.Ps[i].Runq[:n-1]
				ch = true
			}
		}
		return ch
	},
	func(s *spec.Snapshot) bool { // runnext dropped everywhere
		ch := false
		for i := range s.Ps {
			if s.Ps[i].Runnext != spec.NoG {
				s.Ps[i].Runnext = spec.NoG
				ch = true
			}
		}
		return ch
	},
	func(s *spec.Snapshot) bool { // every schedtick moves on by one
		for i := range s.Ps {
			s.Ps[i].Schedtick++
		}
		return len(s.Ps) > 0
	},
	func(s *spec.Snapshot) bool { // every stack twice as big
		ch := false
		for i := range s.Gs {
			if st := &s.Gs[i].Stack; st.Hi != 0 {
				st.Lo -= st.Hi - st.Lo
				ch = true
			}
		}
		return ch
	},
	func(s *spec.Snapshot) bool { // every stack pointer off by a word
		ch := false
		for i := range s.Gs {
			for f := range s.Gs[i].Stack.Frames {
				for w := range s.Gs[i].Stack.Frames[f].Slots {
					if sl := &s.Gs[i].Stack.Frames[f].Slots[w]; sl.Ptr {
						sl.Val += 8
						ch = true
					}
				}
			}
		}
		return ch
	},
	func(s *spec.Snapshot) bool { // every M that runs a G loses it
		ch := false
		for i := range s.Ms {
			if s.Ms[i].Curg != spec.NoG {
				s.Ms[i].Curg = spec.NoG
				ch = true
			}
		}
		return ch
	},
}

// cloneSnapshot copies every slice a perturbation may write.
func cloneSnapshot(s *spec.Snapshot) spec.Snapshot {
	c := *s
	c.Global = slices.Clone(s.Global)
	c.Ps = slices.Clone(s.Ps)
	for i := range c.Ps {
		c.Ps[i].Runq = slices.Clone(c.Ps[i].Runq)
	}
	c.Ms = slices.Clone(s.Ms)
	c.Gs = slices.Clone(s.Gs)
	for i := range c.Gs {
		fs := slices.Clone(c.Gs[i].Stack.Frames)
		for f := range fs {
			fs[f].Slots = slices.Clone(fs[f].Slots)
		}
		c.Gs[i].Stack.Frames = fs
	}
	return c
}

// runnextChain is golang/go#52934's shape: a chain of Gs, each spawning
// the next into runnext and ending, so the chain always runs next while
// victim waits in the ring. Only sysmon ends it: the chain inherits one
// time slice, sysmon finds it older than 10 ms and preempts it to the
// global queue, and victim runs.
const runnextChain = `
func main {
    spawn victim
    spawn chain
    park done
}

func victim {
    ready done
}

func chain {
    compute 1ms
    spawn chain
}
`

// TestRunnextChainStarvation: with the runtime's rule (a runnext G
// inherits the slice) the chain is preempted and victim runs; with
// runnext-new-slice (each chain G starts a slice, so sysmon never sees an
// old one) victim starves, in the timed model. (In impl's concurrent
// engine the mutant starves victim for seconds of logical time, but not
// for ever: when the OS deschedules the M for longer than sysmon's sleep,
// sysmon sees the same schedtick twice and preempts, so a binary check
// there would be flaky.)
func TestRunnextChainStarvation(t *testing.T) {
	code, err := spec.ParseCode("chain", []byte(runnextChain))
	if err != nil {
		t.Fatal(err)
	}
	cfg := spec.Default(1)
	for _, mut := range []model.Mutants{0, model.MutRunnextNewSlice} {
		res, err := model.Simulate(&model.Env{Cfg: cfg, Code: code, Timed: true, Mutants: mut}, model.Boot{}, model.SimOptions{Seed: 1, MaxTime: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		want := model.OutcomeExited
		if mut != 0 {
			want = model.OutcomeTimeLimit
		}
		if res.Outcome != want {
			t.Errorf("mutants %q: %s; want %v", mut, res.Summary(), want)
		} else {
			t.Logf("mutants %q: %s", mut, res.Summary())
		}
	}
}
