// Package impl will hold gmplab's concurrent, lock-free GMP runtime: real
// worker threads running workloads of the workload language, CAS ring run
// queues with runnext, spill to the global queue, work stealing, sysmon
// preemption and syscall retake, and copy-stacks. It imports spec, never
// model. See ../DESIGN.md in the steering repository and the project's issue
// "impl/: the concurrent lock-free GMP runtime". Nothing is implemented
// here yet.
package impl
