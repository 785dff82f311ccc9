// Package research is gmplab's regression research: run workloads under
// several scheduler configs on the model's simulator and on the concurrent
// implementation, over many seeds, and compare what moves.
//
// What is where:
//   - presets.go: named configs (go1.26, no-runnext, steal-one,
//     no-global-check, article, ring-N) and config labels with knob words.
//   - walk.go: one pass over an event trace: per-P running slices, syscall
//     spans, marks (steals, spills, preemptions, retakes, ...), every
//     runnable->running wait, per-G CPU and wait time, idle-P time while Gs
//     waited. The timeline and the metrics both come from it.
//   - sample.go: the metrics of one run (Sample) and their definitions.
//   - stats.go: mean, 95% confidence interval, percentiles, Jain's index.
//   - compare.go: Compare (workloads x configs x engines x seeds) and its
//     text report.
//   - sweep.go: Sweep (one knob over a range of values), ParseValues.
//   - svg.go: line plots of a sweep, one SVG per metric.
//   - timeline.go: a run's timeline as Chrome trace-event JSON (Perfetto,
//     chrome://tracing) and as a self-contained HTML page with an SVG.
//
// Time is logical on both engines: the model's clock, and impl's wall time
// divided by its TimeScale. Model runs are deterministic in their seed;
// impl runs are not (real threads race), so only their distribution is
// comparable.
package research
