package properties

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/gmplab/gmplab/impl"
	"github.com/gmplab/gmplab/model"
	"github.com/gmplab/gmplab/spec"
)

// The randomized checks by name, their budgets, seeded failures with a
// replay command, and the mutation report: every mutant of spec.Mutants,
// in each form that has it, run against the checks' quick mode until one
// kills it.

// Budget bounds a randomized check: it stops after Cases cases or after
// Time of wall time, whichever comes first (a zero field is no bound; at
// least one must be set).
type Budget struct {
	Cases int
	Time  time.Duration
}

// QuickBudget is the quick mode of each check in the mutation report.
var QuickBudget = Budget{Cases: 200, Time: time.Second}

// Check is a randomized property that can run on a form with mutants
// switched on: each case is one seed.
type Check struct {
	Name string
	Doc  string
	// Model and Impl say which forms' mutants the check can run with.
	Model, Impl bool
	// Tries is how often a replay repeats a seed, for at most ReplayTime
	// (1: the check is deterministic; more: the interleaving is the
	// machine's, and a race may take many tries to come back).
	Tries int
	// Quick, if set, replaces the mutation report's budget for this check:
	// a race needs the machine to interleave two threads inside a window
	// of a few instructions, which takes longer on a loaded machine. Only
	// the mutants that survive the checks before it pay for it.
	Quick *Budget
	// Alone: the report runs this check for one mutant at a time, so that
	// its threads have the machine's cores to race on.
	Alone bool
	run   func(form, mutants string, seed uint64) (*caseFailure, error)
}

// Checks lists the checks, in the order the mutation report runs them.
var Checks = []Check{
	{Name: "mechanisms", Model: true, Impl: true, Tries: 1,
		Doc: "a seeded random walk of the form (the model, or impl's drive mode with the model choosing actions); every mechanism of Mechanisms and every invariant of spec.All after every step",
		run: func(form, mutants string, seed uint64) (*caseFailure, error) {
			if form == "model" {
				m, err := model.ParseMutants(mutants)
				if err != nil {
					return nil, err
				}
				return mechanismCaseModel(seed, m), nil
			}
			m, err := impl.ParseMutants(mutants)
			if err != nil {
				return nil, err
			}
			return mechanismCaseImpl(seed, m), nil
		}},
	{Name: "lockstep", Model: true, Impl: true, Tries: 1,
		Doc: "a seeded random walk on the model and impl's drive mode together (the mutant in one of them): equal snapshots and events after every step",
		run: func(form, mutants string, seed uint64) (*caseFailure, error) {
			if form == "model" {
				m, err := model.ParseMutants(mutants)
				if err != nil {
					return nil, err
				}
				return lockstepCase(seed, m, 0), nil
			}
			m, err := impl.ParseMutants(mutants)
			if err != nil {
				return nil, err
			}
			return lockstepCase(seed, 0, m), nil
		}},
	{Name: "lin", Impl: true, Tries: 1 << 20,
		Doc: "impl's run queues on real goroutines (pairs of owner and thief, or a mesh of Ps stealing from each other and using the global queue): the history is linearizable (porcupine, against the sequential spec of linspec.go) and passes the fast checker (exactly once, per-P FIFO)",
		run: func(form, mutants string, seed uint64) (*caseFailure, error) {
			m, err := impl.ParseMutants(mutants)
			if err != nil {
				return nil, err
			}
			return linCase(seed, m), nil
		}},
	{Name: "runq-once", Impl: true, Tries: 1 << 20, Quick: &Budget{Time: 15 * time.Second}, Alone: true,
		Doc: "impl's run queues on real goroutines (an owner putting and getting, thieves stealing runnext too, spills): every G taken exactly once",
		run: func(form, mutants string, seed uint64) (*caseFailure, error) {
			m, err := impl.ParseMutants(mutants)
			if err != nil {
				return nil, err
			}
			return runqOnceCase(seed, m), nil
		}},
	{Name: "refine", Impl: true, Tries: 1 << 20,
		Doc: "a random workload on a random small config on the concurrent engine with tracing on; the trace replayed through the model (every action enabled, the same effects, equal final snapshots)",
		run: func(form, mutants string, seed uint64) (*caseFailure, error) {
			m, err := impl.ParseMutants(mutants)
			if err != nil {
				return nil, err
			}
			return refineCheckCase(seed, m), nil
		}},
}

// CheckByName returns the Check called name.
func CheckByName(name string) (Check, bool) {
	for _, c := range Checks {
		if c.Name == name {
			return c, true
		}
	}
	return Check{}, false
}

// Violation is a seeded failure of a check: which property broke, on which
// form with which mutants, the seed, and what happened.
type Violation struct {
	Check    string
	Property string // mechanism/<rule>, invariant/<name>, lockstep, runq-once, a panic
	Form     string
	Mutants  string
	Seed     uint64
	Detail   string
}

// Replay is the command that runs exactly this case again.
func (v *Violation) Replay() string {
	return ReplayCommand(v.Check, v.Form, v.Mutants, v.Seed)
}

// ReplayCommand is the command line that replays one case.
func ReplayCommand(check, form, mutants string, seed uint64) string {
	cmd := fmt.Sprintf("gmplab mutants -replay %s -form %s -seed %d", check, form, seed)
	if mutants != "" {
		cmd += " -mutants " + mutants
	}
	return cmd
}

func (v *Violation) Error() string {
	mut := v.Mutants
	if mut == "" {
		mut = "none"
	}
	return fmt.Sprintf("%s broke (check %s, form %s, mutants %s, seed %d): %s\nreplay: %s", v.Property, v.Check, v.Form, mut, v.Seed, v.Detail, v.Replay())
}

// Inconclusive is a seeded case that decided nothing: the harness failed
// (Property names how: setup, checker-panic, model-refused, lin-run,
// lin/porcupine-unknown, refine-run, refine-timeout, runq-once-setup, or
// "error" for a check that could not run). It is neither a pass nor a
// violation: a test fails on it, and the mutation report never counts it
// as a kill.
type Inconclusive struct {
	Check    string
	Property string
	Form     string
	Mutants  string
	Seed     uint64
	Detail   string
}

// Replay is the command that runs exactly this case again.
func (e *Inconclusive) Replay() string {
	return ReplayCommand(e.Check, e.Form, e.Mutants, e.Seed)
}

func (e *Inconclusive) Error() string {
	mut := e.Mutants
	if mut == "" {
		mut = "none"
	}
	return fmt.Sprintf("inconclusive: %s (check %s, form %s, mutants %s, seed %d): %s\nreplay: %s", e.Property, e.Check, e.Form, mut, e.Seed, e.Detail, e.Replay())
}

// outcome turns a case's failure into a *Violation or an *Inconclusive.
func outcome(check, form, mutants string, seed uint64, f *caseFailure) error {
	if f.Inconclusive {
		return &Inconclusive{Check: check, Property: f.Property, Form: form, Mutants: mutants, Seed: seed, Detail: f.Detail}
	}
	return &Violation{Check: check, Property: f.Property, Form: form, Mutants: mutants, Seed: seed, Detail: f.Detail}
}

func validForm(c Check, form string) error {
	switch {
	case form == "model" && c.Model, form == "impl" && c.Impl:
		return nil
	case form == "model" || form == "impl":
		return fmt.Errorf("check %s does not run on the %s form", c.Name, form)
	}
	return fmt.Errorf("unknown form %q (want model or impl)", form)
}

// RunCheck runs check name on form with mutants (a comma-separated list,
// "" for none) on seeds first, first+1, ... within the budget, and always
// at least one case. It returns how many cases ran and a *Violation for
// the first failing case, an *Inconclusive for the first case that
// decided nothing (it stops there: that case is not a pass), or an error
// for bad arguments.
func RunCheck(name, form, mutants string, first uint64, b Budget) (int, error) {
	c, ok := CheckByName(name)
	if !ok {
		return 0, fmt.Errorf("unknown check %q (known: %s)", name, strings.Join(checkNames(), ", "))
	}
	if err := validForm(c, form); err != nil {
		return 0, err
	}
	if b.Cases < 0 || b.Time < 0 {
		return 0, fmt.Errorf("a budget must not be negative")
	}
	if b.Cases == 0 && b.Time == 0 {
		return 0, fmt.Errorf("a budget needs a number of cases or a time")
	}
	start := time.Now()
	n := 0
	for seed := first; n == 0 || ((b.Cases <= 0 || n < b.Cases) && (b.Time <= 0 || time.Since(start) < b.Time)); seed++ {
		f, err := c.run(form, mutants, seed)
		if err != nil {
			return n, err
		}
		n++
		if f != nil {
			return n, outcome(name, form, mutants, seed, f)
		}
	}
	return n, nil
}

// ReplayTime bounds how long a replay repeats a seed.
var ReplayTime = 20 * time.Second

// ReplayCheck runs the one case that ReplayCommand names and returns its
// *Violation, or nil if it passes. A check whose interleaving is the
// machine's (runq-once) repeats the seed up to its Tries times, for at
// most ReplayTime, until a try breaks a property. If no try broke one but
// a try was inconclusive, it returns that *Inconclusive: not a pass.
func ReplayCheck(name, form, mutants string, seed uint64) error {
	c, ok := CheckByName(name)
	if !ok {
		return fmt.Errorf("unknown check %q (known: %s)", name, strings.Join(checkNames(), ", "))
	}
	if err := validForm(c, form); err != nil {
		return err
	}
	start := time.Now()
	var inc error
	for i := 0; i < max(c.Tries, 1) && (i == 0 || time.Since(start) < ReplayTime); i++ {
		f, err := c.run(form, mutants, seed)
		if err != nil {
			return err
		}
		if f == nil {
			continue
		}
		err = outcome(name, form, mutants, seed, f)
		if f.Inconclusive {
			if inc == nil {
				inc = err
			}
			continue
		}
		return err
	}
	return inc
}

func checkNames() []string {
	var out []string
	for _, c := range Checks {
		out = append(out, c.Name)
	}
	return out
}

// MutantResult is one row of the mutation report.
type MutantResult struct {
	Mutant string
	Form   string
	Issue  string
	// Killer is the first violation, or nil if no check killed the
	// mutant.
	Killer *Violation
	// Inconclusive lists the cases that decided nothing (the report
	// skipped each and went on with the check's next seed, giving a check
	// up after maxInconclusive of them). None of them is a kill: a mutant
	// with no Killer and some Inconclusive cases is undecided, not killed.
	Inconclusive []*Inconclusive
	// KillTime and KillCases are the wall time and the cases the killing
	// check ran, up to and including the failing case (time to kill).
	// Total is the wall time over every check run for the mutant, in order
	// (the earlier ones used up their budgets), or over all of them for a
	// survivor.
	KillTime  time.Duration
	KillCases int
	Total     time.Duration
}

// MutationReport runs every mutant of spec.Mutants (or only those named),
// in each form that has it, through the checks in order, and stops at the
// first kill: a case that broke a property (a *Violation); a case that
// decided nothing (an *Inconclusive) is recorded and never a kill. Each check runs with budget b; the zero Budget is the quick
// mode: QuickBudget, or the check's own Quick budget. Up to parallel
// mutants run at once (0: GOMAXPROCS).
func MutationReport(b Budget, parallel int, only ...string) []MutantResult {
	var rows []MutantResult
	for _, info := range spec.Mutants {
		if len(only) > 0 && !slices.Contains(only, info.Name) {
			continue
		}
		if info.Model {
			rows = append(rows, MutantResult{Mutant: info.Name, Form: "model", Issue: info.Issue})
		}
		if info.Impl {
			rows = append(rows, MutantResult{Mutant: info.Name, Form: "impl", Issue: info.Issue})
		}
	}
	if parallel <= 0 {
		parallel = runtime.GOMAXPROCS(0)
	}
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i := range rows {
		wg.Add(1)
		sem <- struct{}{}
		go func(r *MutantResult) {
			defer wg.Done()
			defer func() { <-sem }()
			killMutant(r, b)
		}(&rows[i])
	}
	wg.Wait()
	return rows
}

// aloneMu serializes the runs of checks marked Alone.
var aloneMu sync.Mutex

// killMutant runs the checks of r's form in order until one fails.
func killMutant(r *MutantResult, b Budget) {
	start := time.Now()
	defer func() { r.Total = time.Since(start) }()
	for _, c := range Checks {
		if validForm(c, r.Form) != nil {
			continue
		}
		cb := b
		if cb == (Budget{}) {
			cb = QuickBudget
			if c.Quick != nil {
				cb = *c.Quick
			}
		}
		if c.Alone {
			aloneMu.Lock()
		}
		cstart := time.Now()
		killed := runForKill(c, r, cb, cstart)
		if c.Alone {
			aloneMu.Unlock()
		}
		if killed {
			return
		}
	}
}

// maxInconclusive is how many inconclusive cases one check of the
// report may hit for a mutant before the report gives that check up.
const maxInconclusive = 3

// runForKill runs check c for r's mutant within budget cb from seed 1. A
// violation is the kill (it sets r's Killer and returns true). An
// inconclusive case is recorded in r.Inconclusive and skipped: the check
// goes on from the next seed with what is left of its budget, up to
// maxInconclusive such cases.
func runForKill(c Check, r *MutantResult, cb Budget, cstart time.Time) bool {
	seed, used := uint64(1), 0
	for {
		rb := cb
		if cb.Cases > 0 {
			if rb.Cases = cb.Cases - used; rb.Cases <= 0 {
				return false
			}
		}
		if cb.Time > 0 {
			if rb.Time = cb.Time - time.Since(cstart); rb.Time <= 0 {
				return false
			}
		}
		n, err := RunCheck(c.Name, r.Form, r.Mutant, seed, rb)
		used += n
		var v *Violation
		var inc *Inconclusive
		switch {
		case errors.As(err, &v):
			r.Killer, r.KillCases, r.KillTime = v, used, time.Since(cstart)
			return true
		case errors.As(err, &inc):
			r.Inconclusive = append(r.Inconclusive, inc)
			n := 0
			for _, i := range r.Inconclusive {
				if i.Check == c.Name {
					n++
				}
			}
			if n >= maxInconclusive {
				return false
			}
			seed = inc.Seed + 1
		case err != nil:
			r.Inconclusive = append(r.Inconclusive, &Inconclusive{Check: c.Name, Property: "error", Form: r.Form, Mutants: r.Mutant, Seed: seed, Detail: err.Error()})
			return false
		default:
			return false
		}
	}
}

// Survivors returns the rows whose mutant no check killed: the
// survivors proper and the undecided ones (see Undecided).
func Survivors(rows []MutantResult) []MutantResult {
	var out []MutantResult
	for _, r := range rows {
		if r.Killer == nil {
			out = append(out, r)
		}
	}
	return out
}

// Undecided reports whether no check killed the mutant but some check
// stopped at an inconclusive case: it is not killed, and it is not known
// to survive the checks either.
func (r MutantResult) Undecided() bool { return r.Killer == nil && len(r.Inconclusive) > 0 }

// WriteMutantTable prints the report as a table: mutant, form, issue,
// killed by (check: property; SURVIVED; or INCONCLUSIVE and the first
// inconclusive case for a mutant no check killed), the failing seed, the
// cases and time the killing check took (time to kill), and the total
// over every check run; then every inconclusive case with its replay
// command.
func WriteMutantTable(w io.Writer, rows []MutantResult) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "mutant\tform\tissue\tkilled by\tseed\tcases\ttime to kill\ttotal")
	ms := func(d time.Duration) string { return d.Round(100 * time.Microsecond).String() }
	for _, r := range rows {
		issue := r.Issue
		if issue == "" {
			issue = "-"
		}
		switch {
		case r.Undecided():
			inc := r.Inconclusive[0]
			fmt.Fprintf(tw, "%s\t%s\t%s\tINCONCLUSIVE %s: %s\t%d\t-\t-\t%s\n", r.Mutant, r.Form, issue, inc.Check, inc.Property, inc.Seed, ms(r.Total))
		case r.Killer == nil:
			fmt.Fprintf(tw, "%s\t%s\t%s\tSURVIVED\t-\t-\t-\t%s\n", r.Mutant, r.Form, issue, ms(r.Total))
		default:
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s: %s\t%d\t%d\t%s\t%s\n", r.Mutant, r.Form, issue, r.Killer.Check, r.Killer.Property, r.Killer.Seed, r.KillCases, ms(r.KillTime), ms(r.Total))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// Every inconclusive case, killed mutant or not: none is a kill.
	first := true
	for _, r := range rows {
		for _, inc := range r.Inconclusive {
			if first {
				fmt.Fprintln(w, "\ninconclusive cases (the harness decided nothing; never a kill):")
				first = false
			}
			fmt.Fprintf(w, "  %s (%s): %s: %s at seed %d: %s\n    replay: %s\n", r.Mutant, r.Form, inc.Check, inc.Property, inc.Seed, firstLine(inc.Detail), inc.Replay())
		}
	}
	return nil
}
