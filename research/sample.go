package research

import (
	"slices"
	"time"

	"github.com/gmplab/gmplab/model"
	"github.com/gmplab/gmplab/spec"
)

// Metric is one number measured on every run.
type Metric struct {
	Name string
	Unit string // shown in table headers and plot axes
	Doc  string
	// Higher is true when a larger value is better (throughput,
	// fairness); false for costs (latency, steals).
	Higher bool
}

// Metrics lists the metrics of a Sample, in its order. Times are logical.
var Metrics = []Metric{
	{"throughput", "Gs/ms", "Gs completed (Goexit) per millisecond of the run", true},
	{"makespan", "ms", "logical time from the first event to the last", false},
	{"latency-p50", "µs", "median runnable->running wait (every wait: after spawn, Gosched, preemption, wake, syscall exit without a P)", false},
	{"latency-p99", "µs", "99th percentile runnable->running wait (nearest rank)", false},
	{"latency-max", "µs", "longest single runnable->running wait", false},
	{"longest-wait", "µs", "starvation: the largest total time any one G spent runnable", false},
	{"fairness", "jain", "Jain's index over x = cpu/(cpu+runnable) of the Gs that computed (1 = every G got the same share of the time it wanted to run)", true},
	{"idle-p-wait", "µs", "work conservation: P-time not running a G while Gs were runnable, integral of min(idle Ps, runnable Gs)", false},
	{"steals", "n", "Steal actions", false},
	{"spills", "n", "Spill effects (full ring to global queue)", false},
	{"preemptions", "n", "Preempt actions", false},
	{"retakes", "n", "Retake effects (P taken from an M in a syscall)", false},
	{"stack-copies", "n", "stack copies (Grow and Shrink)", false},
	{"copied-bytes", "KiB", "sum of the old sizes of copied stacks", false},
}

// MetricIndex returns the index of the metric called name, or -1.
func MetricIndex(name string) int {
	return slices.IndexFunc(Metrics, func(m Metric) bool { return m.Name == name })
}

// Sample is the metrics of one run, indexed as Metrics, with how it ended.
type Sample struct {
	Values []float64
	// Outcome is how the run ended (exited, deadlock, fatal, ...), with
	// Message for details; Invariant names the invariant the run broke
	// (checked states only), or "".
	Outcome, Message, Invariant string
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// Measure computes a Sample from a run's trace, with GOMAXPROCS procs at
// its start. Counts come from model.Metrics, times from Walk. If focus is
// not nil, the per-G metrics (latency-*, longest-wait, fairness) count
// only the Gs it accepts; the others are the whole run's.
func Measure(events []spec.Event, procs int, focus func(spec.GID) bool) Sample {
	if focus == nil {
		focus = func(spec.GID) bool { return true }
	}
	rm := model.Metrics(events)
	w := Walk(events, procs)
	span := w.End - w.Start
	v := make([]float64, len(Metrics))
	set := func(name string, x float64) { v[MetricIndex(name)] = x }
	if span > 0 {
		set("throughput", float64(rm.Completed)/(float64(span)/float64(time.Millisecond)))
	}
	set("makespan", float64(span)/float64(time.Millisecond))
	var waits []time.Duration
	for _, x := range w.Waits {
		if focus(x.G) {
			waits = append(waits, x.D)
		}
	}
	slices.Sort(waits)
	set("latency-p50", us(Percentile(waits, 0.50)))
	set("latency-p99", us(Percentile(waits, 0.99)))
	if len(waits) > 0 {
		set("latency-max", us(waits[len(waits)-1]))
	}
	var longest time.Duration
	for id, d := range w.Wait {
		if focus(id) {
			longest = max(longest, d)
		}
	}
	set("longest-wait", us(longest))
	var shares []float64
	for id, cpu := range w.CPU {
		if cpu > 0 && focus(id) {
			shares = append(shares, float64(cpu)/float64(cpu+w.Wait[id]))
		}
	}
	slices.Sort(shares) // map order must not change the float sum
	set("fairness", Jain(shares))
	set("idle-p-wait", us(w.IdleWait))
	set("steals", float64(rm.Steals))
	set("spills", float64(rm.Spills))
	set("preemptions", float64(rm.Preemptions))
	set("retakes", float64(rm.Retakes))
	set("stack-copies", float64(rm.Grows+rm.Shrinks))
	set("copied-bytes", float64(rm.StackCopyBytes)/1024)
	return Sample{Values: v}
}
