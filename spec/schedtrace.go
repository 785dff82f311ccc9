package spec

import (
	"strconv"
	"strings"
	"time"
)

// Schedtrace is one line of GODEBUG=schedtrace output (proc.go:6899-6993
// schedtrace, non-detailed mode), the form both the model's simulator and
// the implementation's sysmon print:
//
//	SCHED 2ms: gomaxprocs=1 idleprocs=0 threads=4 spinningthreads=0 needspinning=1 idlethreads=2 runqueue=129 [ 170 ] schedticks=[ 6 ]
type Schedtrace struct {
	Now          time.Duration // since the start; printed in whole ms (integer division, as the runtime)
	Procs        int           // gomaxprocs
	IdleProcs    int           // sched.npidle
	Threads      int           // mcount(): every M plus sysmon
	Spinning     int           // sched.nmspinning
	NeedSpinning bool          // sched.needspinning
	IdleThreads  int           // sched.nmidle
	RunQueue     int           // the global queue's length
	Runq         []int         // per P: ring length (runnext not counted)
	Schedticks   []uint32      // per P: schedtick
}

func (l Schedtrace) String() string {
	var b strings.Builder
	b.Grow(128 + 16*len(l.Runq))
	b.WriteString("SCHED ")
	b.WriteString(strconv.FormatInt(int64(l.Now)/1e6, 10))
	b.WriteString("ms: gomaxprocs=")
	b.WriteString(strconv.Itoa(l.Procs))
	b.WriteString(" idleprocs=")
	b.WriteString(strconv.Itoa(l.IdleProcs))
	b.WriteString(" threads=")
	b.WriteString(strconv.Itoa(l.Threads))
	b.WriteString(" spinningthreads=")
	b.WriteString(strconv.Itoa(l.Spinning))
	b.WriteString(" needspinning=")
	if l.NeedSpinning {
		b.WriteString("1")
	} else {
		b.WriteString("0")
	}
	b.WriteString(" idlethreads=")
	b.WriteString(strconv.Itoa(l.IdleThreads))
	b.WriteString(" runqueue=")
	b.WriteString(strconv.Itoa(l.RunQueue))
	for i, n := range l.Runq {
		b.WriteByte(' ')
		if i == 0 {
			b.WriteString("[ ")
		}
		b.WriteString(strconv.Itoa(n))
		if i == len(l.Runq)-1 {
			b.WriteString(" ]")
		}
	}
	b.WriteString(" schedticks=[ ")
	for _, t := range l.Schedticks {
		b.WriteString(strconv.FormatUint(uint64(t), 10))
		b.WriteByte(' ')
	}
	b.WriteString("]")
	return b.String()
}
