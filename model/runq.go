package model

import (
	"strconv"

	"github.com/gmplab/gmplab/spec"
)

// runqput puts g on p's local queue: into runnext when next (kicking the
// old runnext to the ring tail), else at the ring tail; a full ring spills.
// m is the M on whose behalf it runs, for the trace.
//
// Reference: proc.go:7478-7520 runqput.
func (x *stepper) runqput(p spec.PID, g spec.GID, next bool, m spec.MID) {
	if next && x.cfg.Runnext {
		old := x.p(p).Runnext
		x.pw(p).Runnext = g
		if old == spec.NoG {
			return
		}
		x.emit("Kick", old, p, m, "by", g.String())
		g = old
	}
	if len(x.p(p).Runq) < x.cfg.RunqSize {
		x.pw(p).Runq = push(x.p(p).Runq, g)
		return
	}
	x.runqputslow(p, g, m)
}

// runqputslow moves the SpillBatch oldest ring Gs and then g, in that
// order, to the global tail. Only called on a full ring.
//
// Reference: proc.go:7524-7560 runqputslow ("runqputslow: queue is not
// full" otherwise); the batch keeps FIFO order and g comes last.
func (x *stepper) runqputslow(p spec.PID, g spec.GID, m spec.MID) {
	ring := x.p(p).Runq
	if len(ring) != x.cfg.RunqSize {
		panic("runqputslow: queue is not full")
	}
	n := x.cfg.SpillBatch
	batch := make([]spec.GID, 0, n+1)
	batch = append(batch, ring[:n]...)
	if !x.mut.Has(MutSpillDropsKicked) {
		batch = append(batch, g)
	} else {
		// The mutant loses g: it stays runnable but is on no queue.
	}
	x.pw(p).Runq = ring[n:]
	x.s.Global = push(x.s.Global, batch...)
	x.emit("Spill", g, p, m, "n", strconv.Itoa(len(batch)))
}

// globrunqgetbatch takes min(GlobalBatchCap, size, size/Procs+1) Gs from
// the global head: the first is returned, the rest go to p's ring, which
// must be empty.
//
// Reference: proc.go:7293-7310 globrunqgetbatch, 7565-7592 runqputbatch.
func (x *stepper) globrunqgetbatch(p spec.PID, m spec.MID) spec.GID {
	// The batch rule divides by the current GOMAXPROCS, which a
	// Gomaxprocs step may have changed from the Config's.
	cfg := *x.cfg
	cfg.Procs = x.s.Procs
	n := cfg.GlobalBatch(len(x.s.Global))
	batch := x.s.Global[:n]
	x.s.Global = x.s.Global[n:]
	if n > 1 {
		if len(x.p(p).Runq)+n-1 > x.cfg.RunqSize {
			panic("globrunqgetbatch: batch does not fit the ring")
		}
		x.pw(p).Runq = push(x.p(p).Runq, batch[1:]...)
	}
	x.emit("GlobalBatch", batch[0], p, m, "n", strconv.Itoa(n))
	return batch[0]
}

// localEmpty is runqempty: no runnext and an empty ring.
func (pp *P) localEmpty() bool { return pp.Runnext == spec.NoG && len(pp.Runq) == 0 }
