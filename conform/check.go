package conform

import (
	"fmt"
	"slices"
	"strings"
)

// Verdict is a case's result.
type Verdict uint8

const (
	// Agree: every observed order is the timed model's prediction for
	// some start-up schedtick.
	Agree Verdict = iota + 1
	// Explained: every observed order is printed by some model run, at
	// least one of them with timing choices (named in the report).
	Explained
	// Disagree: some observed order is printed by no model run with at
	// most MaxDeviations timing choices.
	Disagree
)

func (v Verdict) String() string {
	switch v {
	case Agree:
		return "agree"
	case Explained:
		return "explained"
	case Disagree:
		return "DISAGREE"
	}
	return fmt.Sprintf("Verdict(%d)", uint8(v))
}

// Observation is one distinct order printed by a case's program.
type Observation struct {
	Tokens []string
	Count  int // runs that printed it
	// Ticks are the start-up schedticks whose prediction it equals (empty
	// if none).
	Ticks []uint32
	// Explanation is a model run that prints it (nil: none found).
	Explanation *Explanation
}

// Result is a case's run against the model.
type Result struct {
	Case Case
	Runs int
	// Predicted is the timed model's prediction for each start-up
	// schedtick, in StartSchedticks order.
	Predicted []*Prediction
	// Observed are the distinct orders, most frequent first.
	Observed []*Observation
	Verdict  Verdict
	// Possible are the orders the untimed model allows with at most
	// MaxDeviations timing choices, for the cases small enough to
	// enumerate (nil otherwise).
	Possible []Possible
}

// possibleMaxTokens and possibleLimit bound the cases whose allowed
// orders are enumerated: the spawn cases have far too many.
const (
	possibleMaxTokens = 50
	possibleLimit     = 10_000
)

// Deterministic reports whether every run printed the same order.
func (r *Result) Deterministic() bool { return len(r.Observed) == 1 }

// Check runs the case's program (bin) runs times and checks every
// observed order against the model.
func Check(c Case, bin string, runs int) (*Result, error) {
	if runs < 1 {
		return nil, fmt.Errorf("conform: runs must be at least 1, not %d", runs)
	}
	m, err := NewModel(c)
	if err != nil {
		return nil, err
	}
	res := &Result{Case: c, Runs: runs}
	for _, tick := range StartSchedticks {
		p, err := m.Predict(tick)
		if err != nil {
			return nil, err
		}
		res.Predicted = append(res.Predicted, p)
	}
	if len(res.Predicted[0].Tokens) <= possibleMaxTokens {
		ps, err := m.Possible(MaxDeviations, possibleLimit)
		if err == nil {
			res.Possible = ps
		}
	}
	seen := map[string]*Observation{}
	for range runs {
		toks, err := Run(bin, c.Args)
		if err != nil {
			return nil, err
		}
		key := strings.Join(toks, " ")
		o := seen[key]
		if o == nil {
			o = &Observation{Tokens: toks}
			seen[key] = o
			res.Observed = append(res.Observed, o)
		}
		o.Count++
	}
	slices.SortStableFunc(res.Observed, func(a, b *Observation) int { return b.Count - a.Count })
	res.Verdict = Agree
	for _, o := range res.Observed {
		for _, p := range res.Predicted {
			if slices.Equal(o.Tokens, p.Tokens) {
				o.Ticks = append(o.Ticks, p.Tick)
			}
		}
		if len(o.Ticks) > 0 {
			o.Explanation = &Explanation{Tick: o.Ticks[0], Choices: res.Predicted[slices.Index(StartSchedticks, o.Ticks[0])].Sysmon, Timed: true}
			continue
		}
		if o.Explanation, err = m.Explain(o.Tokens); err != nil {
			return nil, err
		}
		switch {
		case o.Explanation == nil:
			res.Verdict = Disagree
		case res.Verdict == Agree:
			res.Verdict = Explained
		}
	}
	return res, nil
}

// CheckAll builds the programs of cases once (into dir, with goBin) and
// checks every case with runs runs of its program.
func CheckAll(goBin, dir string, cases []Case, runs int) ([]*Result, error) {
	var progs []string
	for _, c := range cases {
		progs = append(progs, c.Prog)
	}
	bins, err := Build(goBin, dir, progs)
	if err != nil {
		return nil, err
	}
	var out []*Result
	for _, c := range cases {
		r, err := Check(c, bins[c.Prog], runs)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}
