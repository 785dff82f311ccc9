package research

import (
	"slices"
	"strconv"
	"time"

	"github.com/gmplab/gmplab/spec"
)

// Slice is a span of time on one P's lane: a G running there (Syscall
// false), or a G in a syscall while its M still holds the P (Syscall true;
// go1.26 keeps the P wired to the M until sysmon retakes it or the G
// returns).
type Slice struct {
	P          spec.PID
	G          spec.GID
	M          spec.MID
	Start, End time.Duration
	// Src is how the G got the P (the Run event's src=: runnext, ring,
	// global, batch, steal), "syscall" for a G resuming after a syscall on
	// the same P, "" when not known (g1 at the start).
	Src     string
	Syscall bool
}

// Mark is an instantaneous event shown on the timeline: a steal, a spill,
// a preemption, a retake, a Gosched, a kick, a global batch, a stack copy.
type Mark struct {
	Time time.Duration
	Kind string // the event kind
	P    spec.PID
	G    spec.GID
	// Detail is the event's arguments as "key=value ..." text.
	Detail string
}

// MarkKinds are the event kinds Walk keeps as marks.
var MarkKinds = []string{"EnterSyscall", "ExitSyscall", "Steal", "Spill", "Kick", "GlobalBatch", "Gosched", "Preempt", "PreemptRequest", "Retake", "Handoff", "Grow", "Shrink", "Wake", "Gomaxprocs", "Fatal", "Deadlock"}

// Walked is what one pass over a trace finds.
type Walked struct {
	Start, End time.Duration
	Slices     []Slice // sorted by P, then Start
	Marks      []Mark  // in trace order
	// Waits holds every runnable->running wait, in the order the Gs
	// started running.
	Waits []Wait
	// CPU and Wait are per-G totals of running time and runnable time.
	CPU, Wait map[spec.GID]time.Duration
	// IdleWait is the P-time lost while Gs waited: the integral over time
	// of min(Ps not running a G, Gs runnable). A P whose M is blocked in a
	// syscall counts as not running a G (the waste retake removes). A Park
	// that found its permit is only known to have not blocked when the G
	// acts again, so the time in between counts as not running too.
	IdleWait time.Duration
	// Procs is the largest GOMAXPROCS seen (lanes to draw).
	Procs int
}

// Wait is one runnable->running wait of a G.
type Wait struct {
	G spec.GID
	D time.Duration
}

type gPhase uint8

const (
	phUnknown  gPhase = iota // not seen yet (g1 at the start, boot Gs)
	phRunnable               // on a run queue
	phRunning                // running on a P
	phParking                // parked, or about to continue if a permit was there
	phSyscall                // in a syscall
	phDead
)

type gWalk struct {
	phase   gPhase
	since   time.Duration // start of the current phase (running: the slice start)
	p       spec.PID
	m       spec.MID
	src     string
	sysOpen bool // a syscall slice is open on p
}

type walker struct {
	w        *Walked
	gs       map[spec.GID]*gWalk
	procs    int
	running  int
	runnable int
	last     time.Duration // time of the last IdleWait update
	started  bool
}

// Walk reads a trace (events in order, from the simulator or impl) with
// GOMAXPROCS procs at its start. It mirrors model.Metrics' reading of G
// states: an action of an M on behalf of a G shows that G running (g1 at
// the start; a Park that found a permit), a Gomaxprocs stops the world and
// makes every G running on another M runnable.
func Walk(events []spec.Event, procs int) *Walked {
	k := &walker{w: &Walked{CPU: map[spec.GID]time.Duration{}, Wait: map[spec.GID]time.Duration{}, Procs: procs},
		gs: map[spec.GID]*gWalk{}, procs: procs}
	for _, ev := range events {
		k.add(ev)
	}
	k.finish()
	return k.w
}

func (k *walker) g(id spec.GID) *gWalk {
	g := k.gs[id]
	if g == nil {
		g = &gWalk{p: spec.NoP, m: spec.NoM}
		k.gs[id] = g
	}
	return g
}

// tick integrates IdleWait up to t.
func (k *walker) tick(t time.Duration) {
	if t > k.last {
		idle := k.procs - k.running
		if idle > 0 && k.runnable > 0 {
			k.w.IdleWait += time.Duration(min(idle, k.runnable)) * (t - k.last)
		}
		k.last = t
	}
}

// leave ends g's current phase at t (closing its slice when running).
func (k *walker) leave(id spec.GID, g *gWalk, t time.Duration) {
	switch g.phase {
	case phRunning:
		k.running--
		k.w.CPU[id] += t - g.since
		k.w.Slices = append(k.w.Slices, Slice{P: g.p, G: id, M: g.m, Start: g.since, End: t, Src: g.src})
	case phRunnable:
		k.runnable--
		k.w.Wait[id] += t - g.since
	case phSyscall:
		k.closeSyscall(id, g, t)
	}
}

func (k *walker) closeSyscall(id spec.GID, g *gWalk, t time.Duration) {
	if g.sysOpen {
		g.sysOpen = false
		k.w.Slices = append(k.w.Slices, Slice{P: g.p, G: id, M: g.m, Start: g.since, End: t, Syscall: true})
	}
}

func (k *walker) enter(g *gWalk, ph gPhase, t time.Duration) {
	g.phase = ph
	g.since = t
	switch ph {
	case phRunning:
		k.running++
	case phRunnable:
		k.runnable++
	}
}

func (k *walker) run(id spec.GID, g *gWalk, t time.Duration, p spec.PID, m spec.MID, src string) {
	k.leave(id, g, t)
	g.p, g.m, g.src = p, m, src
	k.enter(g, phRunning, t)
}

func (k *walker) add(ev spec.Event) {
	t := ev.Time
	if !k.started {
		k.started = true
		k.w.Start, k.last = t, t
	}
	k.tick(t)
	k.w.End = max(k.w.End, t)
	if slices.Contains(MarkKinds, ev.Kind) {
		k.w.Marks = append(k.w.Marks, Mark{Time: t, Kind: ev.Kind, P: ev.P, G: ev.G, Detail: argText(ev)})
	}
	if spec.IsAction(ev.Kind) && ev.G != spec.NoG && ev.M != spec.NoM && ev.Kind != "ExitSyscall" {
		g := k.g(ev.G)
		switch g.phase {
		case phUnknown:
			k.run(ev.G, g, k.w.Start, ev.P, ev.M, "")
		case phParking:
			// The park found a permit: the G kept running from the park.
			from := g.since
			k.leave(ev.G, g, t)
			k.run(ev.G, g, from, ev.P, ev.M, g.src)
		}
	}
	switch ev.Kind {
	case "Spawn":
		if ng := argG(ev, "new"); ng != spec.NoG {
			g := k.g(ng)
			k.leave(ng, g, t)
			k.enter(g, phRunnable, t)
		}
	case "Run":
		if ev.G == spec.NoG {
			break
		}
		g := k.g(ev.G)
		switch g.phase {
		case phUnknown: // a boot G, runnable since the start
			k.enter(g, phRunnable, k.w.Start)
			fallthrough
		case phRunnable:
			k.w.Waits = append(k.w.Waits, Wait{ev.G, t - g.since})
		}
		k.run(ev.G, g, t, ev.P, ev.M, ev.Arg("src"))
	case "Gosched", "Preempt":
		if ev.G != spec.NoG {
			g := k.g(ev.G)
			k.leave(ev.G, g, t)
			k.enter(g, phRunnable, t)
		}
	case "Park":
		if ev.G != spec.NoG {
			g := k.g(ev.G)
			k.leave(ev.G, g, t)
			k.enter(g, phParking, t)
		}
	case "Wake":
		if ev.G != spec.NoG {
			g := k.g(ev.G)
			k.leave(ev.G, g, t)
			k.enter(g, phRunnable, t)
		}
	case "EnterSyscall":
		if ev.G != spec.NoG {
			g := k.g(ev.G)
			k.leave(ev.G, g, t)
			g.p, g.m, g.sysOpen = ev.P, ev.M, ev.P != spec.NoP
			k.enter(g, phSyscall, t)
		}
	case "Retake":
		// The P leaves the M blocked in g's syscall: the lane is free.
		if ev.G != spec.NoG {
			if g := k.g(ev.G); g.phase == phSyscall {
				k.closeSyscall(ev.G, g, t)
			}
		}
	case "ExitSyscall":
		if ev.G != spec.NoG {
			g := k.g(ev.G)
			k.leave(ev.G, g, t)
			if ev.Arg("path") == "no-p" {
				k.enter(g, phRunnable, t)
			} else {
				k.run(ev.G, g, t, ev.P, ev.M, "syscall")
			}
		}
	case "Goexit":
		if ev.G != spec.NoG {
			g := k.g(ev.G)
			k.leave(ev.G, g, t)
			g.phase = phDead
		}
	case "Gomaxprocs":
		// Stopping the world preempts the Gs running on other Ms.
		for _, id := range k.sortedGs() {
			g := k.gs[id]
			if g.phase == phRunning && g.m != ev.M {
				k.leave(id, g, t)
				k.enter(g, phRunnable, t)
			}
		}
		if n, err := strconv.Atoi(ev.Arg("to")); err == nil && n > 0 {
			k.procs = n
			k.w.Procs = max(k.w.Procs, n)
		}
	}
}

func (k *walker) sortedGs() []spec.GID {
	ids := make([]spec.GID, 0, len(k.gs))
	for id := range k.gs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// finish closes every open phase at the trace's end.
func (k *walker) finish() {
	for _, id := range k.sortedGs() {
		g := k.gs[id]
		k.leave(id, g, k.w.End)
		g.phase = phDead
	}
	slices.SortStableFunc(k.w.Slices, func(a, b Slice) int {
		if a.P != b.P {
			return int(a.P) - int(b.P)
		}
		return compareDur(a.Start, b.Start)
	})
}

func compareDur(a, b time.Duration) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
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

func argText(ev spec.Event) string {
	var b []byte
	for i, a := range ev.Args {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, a.Key...)
		b = append(b, '=')
		b = append(b, a.Val...)
	}
	return string(b)
}
