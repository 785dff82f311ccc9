package model

import (
	"strconv"
	"strings"
)

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
	var b strings.Builder
	b.Grow(128 + 16*s.Procs)
	b.WriteString("SCHED ")
	b.WriteString(strconv.FormatInt(int64(s.Now)/1e6, 10))
	b.WriteString("ms: gomaxprocs=")
	b.WriteString(strconv.Itoa(s.Procs))
	b.WriteString(" idleprocs=")
	b.WriteString(strconv.Itoa(len(s.IdleP)))
	b.WriteString(" threads=")
	b.WriteString(strconv.Itoa(len(s.Ms) + 1))
	b.WriteString(" spinningthreads=")
	b.WriteString(strconv.Itoa(s.NMSpinning))
	b.WriteString(" needspinning=")
	if s.NeedSpinning {
		b.WriteString("1")
	} else {
		b.WriteString("0")
	}
	b.WriteString(" idlethreads=")
	b.WriteString(strconv.Itoa(len(s.IdleM)))
	b.WriteString(" runqueue=")
	b.WriteString(strconv.Itoa(len(s.Global)))
	n := min(s.Procs, len(s.Ps))
	for i := 0; i < n; i++ {
		b.WriteByte(' ')
		if i == 0 {
			b.WriteString("[ ")
		}
		b.WriteString(strconv.Itoa(len(s.Ps[i].Runq)))
		if i == n-1 {
			b.WriteString(" ]")
		}
	}
	b.WriteString(" schedticks=[ ")
	for i := 0; i < n; i++ {
		b.WriteString(strconv.FormatUint(uint64(s.Ps[i].Schedtick), 10))
		b.WriteByte(' ')
	}
	b.WriteString("]")
	return b.String()
}
