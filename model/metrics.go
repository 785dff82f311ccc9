package model

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gmplab/gmplab/spec"
)

// GMetrics are one G's scheduling metrics, computed from a trace.
type GMetrics struct {
	G spec.GID
	// Spawned is true when the trace shows the G's creation (a Spawn with
	// new=G); Gs that existed when the trace began (g1, the boot Gs) are
	// taken as created, and runnable unless running, at the trace's start.
	Spawned bool
	Created time.Duration
	// Ran is true once the G has run: FirstRun is the time of its first
	// Run event (the trace's start for a G that was running then, g1) and
	// FirstWait = FirstRun - Created, the time runnable before first run.
	Ran       bool
	FirstRun  time.Duration
	FirstWait time.Duration
	// Runs counts Run events; Slices those with inherit=false (a new time
	// slice: schedtick++).
	Runs   int
	Slices int
	// Gosched counts its Gosched actions, Preemptions its Preempt actions,
	// PreemptRequests the PreemptRequest effects naming it.
	Gosched         int
	Preemptions     int
	PreemptRequests int
	// Stolen counts the steals whose run= is this G. A steal of several Gs
	// moves the others to the thief's ring without naming them in the
	// trace, so they are not counted.
	Stolen int
	// Runnable is the total time spent runnable (on a run queue): from a
	// spawn, Gosched, Preempt, Wake, a syscall exit without a P, or a
	// stop-the-world that preempted it, to its next Run.
	Runnable time.Duration
	// Completed is true once it ended (Goexit); Done is that time.
	Completed bool
	Done      time.Duration
}

// RunMetrics are a run's metrics: per-G rows sorted by G and run totals.
type RunMetrics struct {
	Events int           // events read
	End    time.Duration // time of the last event
	Gs     []GMetrics

	Spawned   int // Spawn actions
	Completed int // Goexit actions (main included)

	Runs, Slices    int // Run events; those starting a new slice
	Steals          int // Steal actions
	StolenGs        int // Gs moved by steals (the sum of their n=)
	Spills          int // Spill effects
	SpilledGs       int // Gs moved to the global queue by spills (sum of n=)
	GlobalBatches   int // GlobalBatch effects
	GlobalChecks    int // Runs with src=global (the schedtick % 61 check)
	Kicks           int // runnext kicks
	Gosched         int // Gosched actions
	PreemptRequests int // PreemptRequest effects
	Preemptions     int // Preempt actions
	Retakes         int // Retake effects
	Handoffs        int // Handoff effects
	StartMs, StopMs int // StartM and StopM effects
	Wakes           int // Wake effects
	Grows, Shrinks  int // stack copies
	// StackCopyBytes is the sum of the old sizes (from=) of all copied
	// stacks: the runtime copies only the used part of a stack, so this
	// bounds the bytes actually moved from above.
	StackCopyBytes int64

	// Ending is the trace's ending event kind (Exit, Fatal, Deadlock) and
	// FatalReason the reason= of a Fatal, if any.
	Ending      string
	FatalReason string
}

type gState uint8

const (
	gsUnknown   gState = iota // not seen yet
	gsRunnable                // on a run queue since `since`
	gsRunning                 // running on `on`
	gsParking                 // took a Park step: parked, or still running on `on`
	gsTentative               // parked, or preempted by a stop-the-world at `since`
	gsSyscall                 // in a syscall on `on`
	gsDead
)

type gTrack struct {
	m     GMetrics
	state gState
	since time.Duration
	on    spec.MID
}

type metricsCollector struct {
	r       RunMetrics
	started bool
	start   time.Duration
	gs      map[spec.GID]*gTrack
}

func newMetricsCollector() *metricsCollector {
	return &metricsCollector{gs: map[spec.GID]*gTrack{}}
}

// Metrics computes the run's metrics from its trace (events in order, as
// the simulator or impl produce them).
func Metrics(events []spec.Event) *RunMetrics {
	c := newMetricsCollector()
	for _, ev := range events {
		c.add(ev)
	}
	return c.result()
}

// FirstRunOrder lists the Gs in the order of their first Run event. A G
// that was running when the trace began (g1) appears only if it has a Run
// event later.
func FirstRunOrder(events []spec.Event) []spec.GID {
	seen := map[spec.GID]bool{}
	var out []spec.GID
	for _, ev := range events {
		if ev.Kind == "Run" && ev.G != spec.NoG && !seen[ev.G] {
			seen[ev.G] = true
			out = append(out, ev.G)
		}
	}
	return out
}

func (c *metricsCollector) g(id spec.GID) *gTrack {
	t := c.gs[id]
	if t == nil {
		t = &gTrack{m: GMetrics{G: id, Created: c.start}, on: spec.NoM}
		c.gs[id] = t
	}
	return t
}

func (t *gTrack) runnable(at time.Duration) {
	t.state = gsRunnable
	t.since = at
}

func argInt(ev spec.Event, key string) int64 {
	n, _ := strconv.ParseInt(ev.Arg(key), 10, 64)
	return n
}

func argG(ev spec.Event, key string) spec.GID {
	v := ev.Arg(key)
	if len(v) < 2 || v[0] != 'g' {
		return spec.NoG
	}
	n, err := strconv.ParseInt(v[1:], 10, 32)
	if err != nil || n <= 0 {
		return spec.NoG
	}
	return spec.GID(n)
}

func (c *metricsCollector) add(ev spec.Event) {
	r := &c.r
	if !c.started {
		c.started = true
		c.start = ev.Time
	}
	r.Events++
	r.End = max(r.End, ev.Time)
	t := ev.Time
	isAction := spec.IsAction(ev.Kind)
	// An action taken by an M on behalf of its G shows the G running there
	// (resolving a Park that did not block, and g1 at the start).
	if isAction && ev.G != spec.NoG && ev.M != spec.NoM && ev.Kind != "ExitSyscall" {
		gt := c.g(ev.G)
		if gt.state == gsUnknown && !gt.m.Ran {
			// Running when the trace began (g1): its first run is the start.
			gt.m.Ran = true
			gt.m.FirstRun = c.start
		}
		if gt.state == gsUnknown || gt.state == gsParking {
			gt.state = gsRunning
			gt.on = ev.M
		}
	}
	switch ev.Kind {
	case "Spawn":
		r.Spawned++
		if ng := argG(ev, "new"); ng != spec.NoG {
			nt := c.g(ng)
			nt.m.Spawned = true
			nt.m.Created = t
			nt.runnable(t)
		}
	case "Run":
		if ev.G == spec.NoG {
			break
		}
		gt := c.g(ev.G)
		switch gt.state {
		case gsUnknown:
			gt.runnable(c.start)
			fallthrough
		case gsRunnable, gsTentative:
			gt.m.Runnable += t - gt.since
		}
		if !gt.m.Ran {
			gt.m.Ran = true
			gt.m.FirstRun = t
			gt.m.FirstWait = t - gt.m.Created
		}
		gt.state = gsRunning
		gt.on = ev.M
		gt.m.Runs++
		r.Runs++
		if ev.Arg("inherit") != "true" {
			gt.m.Slices++
			r.Slices++
		}
		if ev.Arg("src") == "global" {
			r.GlobalChecks++
		}
	case "Steal":
		r.Steals++
		r.StolenGs += int(argInt(ev, "n"))
		if g := argG(ev, "run"); g != spec.NoG {
			c.g(g).m.Stolen++
		}
	case "Gosched":
		r.Gosched++
		if ev.G != spec.NoG {
			gt := c.g(ev.G)
			gt.m.Gosched++
			gt.runnable(t)
		}
	case "Preempt":
		r.Preemptions++
		if ev.G != spec.NoG {
			gt := c.g(ev.G)
			gt.m.Preemptions++
			gt.runnable(t)
		}
	case "Park":
		if ev.G != spec.NoG {
			c.g(ev.G).state = gsParking
		}
	case "Wake":
		r.Wakes++
		if ev.G != spec.NoG {
			c.g(ev.G).runnable(t)
		}
	case "EnterSyscall":
		if ev.G != spec.NoG {
			gt := c.g(ev.G)
			gt.state = gsSyscall
			gt.on = ev.M
		}
	case "ExitSyscall":
		if ev.G != spec.NoG {
			gt := c.g(ev.G)
			if ev.Arg("path") == "no-p" {
				gt.runnable(t)
			} else {
				gt.state = gsRunning
				gt.on = ev.M
			}
		}
	case "Goexit":
		r.Completed++
		if ev.G != spec.NoG {
			gt := c.g(ev.G)
			gt.state = gsDead
			gt.m.Completed = true
			gt.m.Done = t
		}
	case "Gomaxprocs":
		// Stopping the world preempts the Gs running on other Ms into
		// their Ps' runnext (no event names them).
		for _, gt := range c.gs {
			if gt.on == ev.M {
				continue
			}
			switch gt.state {
			case gsRunning:
				gt.runnable(t)
			case gsParking:
				gt.state = gsTentative
				gt.since = t
			}
		}
	case "PreemptRequest":
		r.PreemptRequests++
		if ev.G != spec.NoG {
			c.g(ev.G).m.PreemptRequests++
		}
	case "Spill":
		r.Spills++
		r.SpilledGs += int(argInt(ev, "n"))
	case "GlobalBatch":
		r.GlobalBatches++
	case "Kick":
		r.Kicks++
	case "Retake":
		r.Retakes++
	case "Handoff":
		r.Handoffs++
	case "StartM":
		r.StartMs++
	case "StopM":
		r.StopMs++
	case "Grow":
		r.Grows++
		r.StackCopyBytes += argInt(ev, "from")
	case "Shrink":
		r.Shrinks++
		r.StackCopyBytes += argInt(ev, "from")
	case "Fatal":
		r.Ending = "Fatal"
		r.FatalReason = ev.Arg("reason")
	case "Exit", "Deadlock":
		r.Ending = ev.Kind
	}
}

func (c *metricsCollector) result() *RunMetrics {
	r := c.r
	ids := make([]spec.GID, 0, len(c.gs))
	for id := range c.gs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	r.Gs = make([]GMetrics, len(ids))
	for i, id := range ids {
		r.Gs[i] = c.gs[id].m
	}
	return &r
}

// G returns the row of g, or nil.
func (r *RunMetrics) G(g spec.GID) *GMetrics {
	i, ok := slices.BinarySearchFunc(r.Gs, g, func(m GMetrics, g spec.GID) int { return int(m.G) - int(g) })
	if !ok {
		return nil
	}
	return &r.Gs[i]
}

// FirstWaitStats returns the mean and the maximum FirstWait over the
// spawned Gs that ran, and how many there were.
func (r *RunMetrics) FirstWaitStats() (mean, maxWait time.Duration, n int) {
	var sum time.Duration
	for i := range r.Gs {
		g := &r.Gs[i]
		if !g.Spawned || !g.Ran {
			continue
		}
		n++
		sum += g.FirstWait
		maxWait = max(maxWait, g.FirstWait)
	}
	if n > 0 {
		mean = sum / time.Duration(n)
	}
	return mean, maxWait, n
}

// Format writes r as deterministic text: the totals, then one row per G
// (sorted by G; "-" for what did not happen).
func (r *RunMetrics) Format(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "run: events=%d end=%v", r.Events, r.End)
	if r.Ending != "" {
		fmt.Fprintf(&b, " ending=%s", r.Ending)
	}
	if r.FatalReason != "" {
		fmt.Fprintf(&b, " reason=%s", r.FatalReason)
	}
	b.WriteByte('\n')
	mean, mx, n := r.FirstWaitStats()
	fmt.Fprintf(&b, "gs: spawned=%d completed=%d first-wait-mean=%v first-wait-max=%v (over %d)\n",
		r.Spawned, r.Completed, mean, mx, n)
	fmt.Fprintf(&b, "sched: runs=%d slices=%d global-checks=%d global-batches=%d kicks=%d spills=%d spilled-gs=%d steals=%d stolen-gs=%d wakes=%d\n",
		r.Runs, r.Slices, r.GlobalChecks, r.GlobalBatches, r.Kicks, r.Spills, r.SpilledGs, r.Steals, r.StolenGs, r.Wakes)
	fmt.Fprintf(&b, "preempt: gosched=%d requests=%d preemptions=%d retakes=%d handoffs=%d startm=%d stopm=%d\n",
		r.Gosched, r.PreemptRequests, r.Preemptions, r.Retakes, r.Handoffs, r.StartMs, r.StopMs)
	fmt.Fprintf(&b, "stacks: grows=%d shrinks=%d copied-bytes=%d\n", r.Grows, r.Shrinks, r.StackCopyBytes)
	tw := tabwriter.NewWriter(&b, 0, 0, 1, ' ', 0)
	fmt.Fprintln(tw, "g\tcreated\tfirst-run\tfirst-wait\truns\tslices\tgosched\tpreempts\tstolen\trunnable\tdone")
	dur := func(ok bool, d time.Duration) string {
		if !ok {
			return "-"
		}
		return d.String()
	}
	for i := range r.Gs {
		g := &r.Gs[i]
		created := g.Created.String()
		if !g.Spawned {
			created = "start"
		}
		fmt.Fprintf(tw, "%v\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%v\t%s\n",
			g.G, created, dur(g.Ran, g.FirstRun), dur(g.Ran, g.FirstWait), g.Runs, g.Slices,
			g.Gosched, g.Preemptions, g.Stolen, g.Runnable, dur(g.Completed, g.Done))
	}
	tw.Flush()
	_, err := io.WriteString(w, b.String())
	return err
}
