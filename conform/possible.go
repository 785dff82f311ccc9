package conform

import (
	"fmt"
	"strings"

	"github.com/gmplab/gmplab/model"
)

// Possible is an order the untimed model can print, with the timing
// choices of the first run found that prints it.
type Possible struct {
	Tokens      []string
	Explanation Explanation
}

// Possible enumerates the distinct orders printed by the untimed model's
// runs with at most maxDev timing choices (as in Explain), for every
// start-up schedtick, in the order found (fewest choices first). It
// gives up with an error after limit runs: the workloads with hundreds
// of Gs have far too many.
func (m *Model) Possible(maxDev, limit int) ([]Possible, error) {
	e := &enumerator{m: m, limit: limit, seen: map[string]bool{}}
	for k := 0; k <= maxDev; k++ {
		for _, tick := range StartSchedticks {
			s, err := m.init(tick)
			if err != nil {
				return nil, err
			}
			e.tick = tick
			if err := e.dfs(s, nil, nil, k); err != nil {
				return e.out, err
			}
		}
	}
	return e.out, nil
}

type enumerator struct {
	m     *Model
	limit int
	runs  int
	tick  uint32
	seen  map[string]bool
	out   []Possible
}

// dfs follows the undisturbed run from s, branching into every timing
// choice while budget lasts; toks and choices are what the run so far
// printed and chose (never modified: branches copy).
func (e *enumerator) dfs(s model.State, toks, choices []string, budget int) error {
	x := &searcher{m: e.m}
	for steps := 0; ; steps++ {
		if s.Ended() || steps > searchStepLimit {
			break
		}
		en := model.Enabled(s)
		def := defaultAction(en)
		if def == nil {
			break
		}
		if budget > 0 {
			for _, a := range en {
				if a == def || !x.deviation(s, a) {
					continue
				}
				ns, tok, err := e.m.step(s, a)
				if err != nil {
					return err
				}
				nt := toks[:len(toks):len(toks)]
				if tok != "" {
					nt = append(nt, tok)
				}
				nc := append(choices[:len(choices):len(choices)], x.describe(s, a, len(toks)))
				if err := e.dfs(ns, nt, nc, budget-1); err != nil {
					return err
				}
			}
		}
		ns, tok, err := e.m.step(s, def)
		if err != nil {
			return err
		}
		if tok != "" {
			toks = append(toks[:len(toks):len(toks)], tok)
		}
		s = ns
	}
	e.runs++
	if e.runs > e.limit {
		return fmt.Errorf("conform: case %s: more than %d runs with at most the timing choices asked", e.m.Case.Name, e.limit)
	}
	if !s.Exited {
		return nil // deadlocked, stuck or failed: prints nothing complete
	}
	key := strings.Join(toks, " ")
	if !e.seen[key] {
		e.seen[key] = true
		e.out = append(e.out, Possible{Tokens: toks, Explanation: Explanation{Tick: e.tick, Choices: choices}})
	}
	return nil
}
