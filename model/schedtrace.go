package model

import "github.com/gmplab/gmplab/spec"

// SchedtraceLine renders s as one line of GODEBUG=schedtrace output, in the
// runtime's exact format (proc.go:6899-6993 schedtrace, non-detailed):
//
//	SCHED 2ms: gomaxprocs=1 idleprocs=0 threads=4 spinningthreads=0 needspinning=1 idlethreads=2 runqueue=129 [ 170 ] schedticks=[ 6 ]
//
// Fields: the logical time s.Now in whole milliseconds (the runtime prints
// (now-starttime)/1e6 with integer division), gomaxprocs = Procs,
// idleprocs = len(IdleP), threads, spinningthreads = NMSpinning,
// needspinning = NeedSpinning as 0/1, idlethreads = len(IdleM), runqueue
// = len(Global), then each P's ring length (runnext is not counted, as the
// runtime prints runqtail-runqhead) and each P's schedtick, for the Ps in
// allp (the first Procs).
//
// threads is the number of the model's Ms plus one for sysmon. The
// runtime's mcount() also counts the template thread and threads created
// during start-up, so its value is usually a little higher.
//
// The runtime prints its first line when sysmon first runs ("SCHED 0ms")
// and then every X ms; the simulator emits lines at X, 2X, ... only.
func SchedtraceLine(s State) string {
	n := min(s.Procs, len(s.Ps))
	l := spec.Schedtrace{
		Now: s.Now, Procs: s.Procs, IdleProcs: len(s.IdleP), Threads: len(s.Ms) + 1,
		Spinning: s.NMSpinning, NeedSpinning: s.NeedSpinning, IdleThreads: len(s.IdleM),
		RunQueue: len(s.Global), Runq: make([]int, n), Schedticks: make([]uint32, n),
	}
	for i := range n {
		l.Runq[i] = len(s.Ps[i].Runq)
		l.Schedticks[i] = s.Ps[i].Schedtick
	}
	return l.String()
}
