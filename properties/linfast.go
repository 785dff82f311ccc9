package properties

import (
	"fmt"
	"slices"

	"github.com/gmplab/gmplab/spec"
)

// checkLinFast is the fast checker for long run queue histories (DESIGN:
// "porcupine, and a faster checker for long histories"). It runs in
// O(n log n) where porcupine's search is exponential in the number of
// overlapping operations, so it takes histories of 10^5-10^6 operations.
// It checks two necessary conditions of linearizability, not sufficient
// ones: a history that passes may still be illegal (a steal of the wrong
// count, a Get that returns the ring head while runnext was set, an Empty
// that lies, ...), which is porcupine's job on shorter histories.
//
//  1. Exactly once. Every G that leaves the queues (returned by Get,
//     Drain, Steal, GlobalGet) was put (Put, GlobalPut), and every G put
//     is returned or still queued in the final snapshot, exactly as often
//     as it was put, and never returned before it was put.
//  2. Per-P FIFO conservation, for every P whose batches the history
//     shows (the linPairs shape: each victim's thieves are never victims
//     and get everything a steal published right after it; nothing comes
//     from the global queue). The Gs the owner put on its ring (directly
//     or by a runnext kick) leave it in batches: a Get, a Drain, a steal
//     (the thief's following gets plus the returned G), a spill (its
//     chunk of the global queue). Each batch must be a contiguous run of
//     the insertion order, the batches must tile it from the start with
//     the final ring as the rest, and a batch whose operation returned
//     before another's was called must lie before it.
func checkLinFast(h rqHistory) error {
	if err := checkExactlyOnce(h); err != nil {
		return err
	}
	return checkFIFO(h)
}

func checkExactlyOnce(h rqHistory) error {
	type life struct {
		puts  []int64 // call times of its puts
		outs  []int64 // return times of the operations that returned it
		final int     // occurrences in the final snapshots
	}
	lives := map[spec.GID]*life{}
	at := func(g spec.GID) *life {
		l := lives[g]
		if l == nil {
			l = &life{}
			lives[g] = l
		}
		return l
	}
	for _, o := range h.Ops {
		in, out := o.In, o.Out
		switch in.Kind {
		case rqPut, rqGlobalPut:
			at(in.G).puts = append(at(in.G).puts, in.Call)
		case rqGet, rqSteal, rqGlobalGet:
			if out.G != spec.NoG {
				at(out.G).outs = append(at(out.G).outs, in.Ret)
			}
		case rqDrain:
			for _, g := range out.Gs {
				at(g).outs = append(at(g).outs, in.Ret)
			}
		case rqCheck:
			if out.Snap == nil {
				return fmt.Errorf("%s: no snapshot", o)
			}
			for _, g := range out.Snap.Runnext {
				if g != spec.NoG {
					at(g).final++
				}
			}
			for _, r := range out.Snap.Rings {
				for _, g := range r {
					at(g).final++
				}
			}
			for _, g := range out.Snap.Global {
				at(g).final++
			}
		}
	}
	ids := make([]spec.GID, 0, len(lives))
	for g := range lives {
		ids = append(ids, g)
	}
	slices.Sort(ids)
	for _, g := range ids {
		l := lives[g]
		if l.final > 1 {
			return fmt.Errorf("exactly once: %v is queued %d times in the final snapshot", g, l.final)
		}
		if len(l.outs)+l.final != len(l.puts) {
			return fmt.Errorf("exactly once: %v was put %d times, returned %d times and is queued %d times at the end", g, len(l.puts), len(l.outs), l.final)
		}
		slices.Sort(l.puts)
		slices.Sort(l.outs)
		for k, r := range l.outs {
			if r < l.puts[k] {
				return fmt.Errorf("exactly once: %v was returned (at %d) before it was put (at %d)", g, r, l.puts[k])
			}
		}
	}
	return nil
}

// fifoBatch is a run of ring Gs taken out by one operation.
type fifoBatch struct {
	gs        []spec.GID
	call, ret int64
	what      string
}

func checkFIFO(h rqHistory) error {
	procs := h.Cfg.Procs
	byP := make([][]rqOp, procs) // each P's own operations, in call order
	var victims, thieves []bool = make([]bool, procs), make([]bool, procs)
	owner := map[spec.GID]int{}
	var snap []*rqSnap
	for _, o := range h.Ops {
		switch o.In.Kind {
		case rqGlobalGet, rqGlobalPut:
			return nil // not this shape: Gs arrive from the global queue
		case rqCheck:
			snap = append(snap, o.Out.Snap)
			continue
		case rqEmpty:
			continue
		case rqSteal:
			thieves[o.In.P], victims[o.In.Victim] = true, true
		case rqPut:
			owner[o.In.G] = o.In.P
		}
		byP[o.In.P] = append(byP[o.In.P], o)
	}
	for p := range procs {
		if thieves[p] && (victims[p] || slices.ContainsFunc(byP[p], func(o rqOp) bool { return o.In.Kind == rqPut })) {
			return nil // not this shape: a thief's queue is shared or fed by its owner
		}
		slices.SortFunc(byP[p], func(a, b rqOp) int { return int(a.In.Call - b.In.Call) })
	}
	if len(snap) != h.Groups {
		return fmt.Errorf("FIFO: %d final snapshots for %d groups", len(snap), h.Groups)
	}

	// Ring-class Gs: put on the ring directly or kicked there. The others
	// (put with runnext, never kicked) leave only from runnext.
	ringG := map[spec.GID]bool{}
	for p := range procs {
		for _, o := range byP[p] {
			if o.In.Kind != rqPut {
				continue
			}
			if !(o.In.Next && h.Cfg.Runnext) {
				ringG[o.In.G] = true
			}
			if o.Out.G != spec.NoG {
				ringG[o.Out.G] = true
			}
		}
	}

	batches := make([][]fifoBatch, procs)
	ins := make([][]spec.GID, procs)
	type spill struct {
		n     int
		extra spec.GID
		o     rqOp
	}
	spills := make([][]spill, procs)
	add := func(p int, o rqOp, what string, gs ...spec.GID) error {
		for _, g := range gs {
			if !ringG[g] {
				return fmt.Errorf("FIFO: %s: %v left p%d's ring but was never put on it", o, g, p)
			}
		}
		batches[p] = append(batches[p], fifoBatch{gs: gs, call: o.In.Call, ret: o.In.Ret, what: what})
		return nil
	}
	for p := range procs {
		ops := byP[p]
		for i := 0; i < len(ops); i++ {
			o := ops[i]
			in, out := o.In, o.Out
			switch in.Kind {
			case rqPut:
				g := in.G
				if in.Next && h.Cfg.Runnext {
					g = out.G // the kicked G goes to the ring, if any
				}
				if g == spec.NoG {
					if out.N != 0 {
						return fmt.Errorf("FIFO: %s: spilled without a G for the ring", o)
					}
					continue
				}
				if out.N == 0 {
					ins[p] = append(ins[p], g)
				} else {
					spills[p] = append(spills[p], spill{n: out.N - 1, extra: g, o: o})
				}
			case rqGet:
				if out.G != spec.NoG && !out.Inherit {
					if err := add(p, o, "get", out.G); err != nil {
						return err
					}
				}
			case rqDrain:
				gs := out.Gs
				if len(gs) > 0 && !ringG[gs[0]] {
					gs = gs[1:] // runnext
				}
				if len(gs) > 0 {
					if err := add(p, o, "drain", gs...); err != nil {
						return err
					}
				}
			case rqSteal:
				if out.N == 0 {
					continue
				}
				// The thief's next n-1 gets return what the steal
				// published; the one after them finds the queue empty.
				var pub []spec.GID
				for k := 1; k < out.N; k++ {
					if i+k >= len(ops) || ops[i+k].In.Kind != rqGet || ops[i+k].Out.G == spec.NoG {
						return fmt.Errorf("FIFO: %s: the thief did not get the %d Gs its steal published", o, out.N-1)
					}
					pub = append(pub, ops[i+k].Out.G)
				}
				i += out.N - 1
				if i+1 < len(ops) && ops[i+1].In.Kind == rqGet && ops[i+1].Out.G != spec.NoG {
					return fmt.Errorf("FIFO: %s: the thief got more than the %d Gs its steal published (%s)", o, out.N-1, ops[i+1])
				}
				if out.N == 1 && !ringG[out.G] {
					continue // runnext
				}
				if err := add(in.Victim, o, "steal", append(pub, out.G)...); err != nil {
					return err
				}
			}
		}
	}

	global := map[int][]spec.GID{}
	for _, s := range snap {
		for _, g := range s.Global {
			p, ok := owner[g]
			if !ok {
				return fmt.Errorf("FIFO: %v is on the global queue but was never put", g)
			}
			global[p] = append(global[p], g)
		}
	}
	for p := range procs {
		// p's spills, in order, are consecutive chunks of the global queue
		// filtered to p's Gs.
		gl := global[p]
		for _, s := range spills[p] {
			if len(gl) < s.n+1 {
				return fmt.Errorf("FIFO: %s: spilled %d Gs, but only %d of p%d's Gs are left on the global queue", s.o, s.n+1, len(gl), p)
			}
			chunk := gl[:s.n+1]
			gl = gl[s.n+1:]
			if chunk[s.n] != s.extra {
				return fmt.Errorf("FIFO: %s: its spill batch on the global queue %s does not end with %v", s.o, gidsString(chunk), s.extra)
			}
			if err := add(p, s.o, "spill", chunk[:s.n]...); err != nil {
				return err
			}
		}
		if len(gl) != 0 {
			return fmt.Errorf("FIFO: %d of p%d's Gs on the global queue %s came from no spill", len(gl), p, gidsString(gl))
		}

		// The batches tile the insertion order; the rest is the final ring.
		pos := make(map[spec.GID]int, len(ins[p]))
		for i, g := range ins[p] {
			pos[g] = i
		}
		bs := batches[p]
		for _, b := range bs {
			first, ok := pos[b.gs[0]]
			if !ok {
				return fmt.Errorf("FIFO: a %s took %v from p%d's ring, which its owner never put there", b.what, b.gs[0], p)
			}
			for j, g := range b.gs {
				if q, ok := pos[g]; !ok || q != first+j {
					return fmt.Errorf("FIFO: a %s took %s from p%d's ring: not a contiguous run of the order the owner put them in", b.what, gidsString(b.gs), p)
				}
			}
		}
		slices.SortFunc(bs, func(a, b fifoBatch) int { return pos[a.gs[0]] - pos[b.gs[0]] })
		next := 0
		maxCall := int64(-1 << 62)
		for _, b := range bs {
			if pos[b.gs[0]] != next {
				return fmt.Errorf("FIFO: p%d's ring: a %s took %s starting at position %d, but the Gs before position %d left it %s", p, b.what, gidsString(b.gs), pos[b.gs[0]], next, map[bool]string{true: "twice", false: "never"}[pos[b.gs[0]] < next])
			}
			if b.ret < maxCall {
				return fmt.Errorf("FIFO: p%d's ring: a %s took %s (returned at %d) though an operation taking older Gs was called later (at %d)", p, b.what, gidsString(b.gs), b.ret, maxCall)
			}
			maxCall = max(maxCall, b.call)
			next += len(b.gs)
		}
		var final []spec.GID
		for _, s := range snap {
			final = append(final, s.Rings[p]...)
		}
		if thieves[p] {
			if len(final) != 0 {
				return fmt.Errorf("FIFO: thief p%d's ring is not empty at the end: %s", p, gidsString(final))
			}
			continue
		}
		if !slices.Equal(final, ins[p][next:]) {
			return fmt.Errorf("FIFO: p%d's final ring is %s, but the Gs put on it and not taken are %s", p, gidsString(final), gidsString(ins[p][next:]))
		}
	}
	return nil
}

// linOverlap counts the operations whose interval overlaps that of an
// operation of another client called before it (h.Ops sorted by call).
func linOverlap(h rqHistory) int {
	n := 0
	maxRet := map[int]int64{} // per client, the latest return among the operations called so far
	for _, o := range h.Ops {
		if o.In.Kind == rqCheck {
			continue
		}
		for c, r := range maxRet {
			if c != o.Client && r >= o.In.Call {
				n++
				break
			}
		}
		maxRet[o.Client] = max(maxRet[o.Client], o.In.Ret)
	}
	return n
}

// linStats summarizes what a history exercised: operations that overlap
// another client's, steals that took something (and runnext steals),
// spills, kicks and global batches.
func linStats(h rqHistory) string {
	var overlap, steals, rnSteals, spills, kicks, globals int
	ops := h.Ops
	maxRet := map[int]int64{} // per client, the latest return among the operations called so far
	for _, o := range ops {   // ops are sorted by call
		if o.In.Kind == rqCheck {
			continue
		}
		for c, r := range maxRet {
			if c != o.Client && r > o.In.Call {
				overlap++
				break
			}
		}
		maxRet[o.Client] = max(maxRet[o.Client], o.In.Ret)
		switch o.In.Kind {
		case rqSteal:
			if o.Out.N > 0 {
				steals++
				if o.Out.N == 1 && o.In.Next {
					rnSteals++
				}
			}
		case rqPut:
			if o.Out.N > 0 {
				spills++
			}
			if o.Out.G != 0 {
				kicks++
			}
		case rqGlobalGet:
			if o.Out.N > 0 {
				globals++
			}
		}
	}
	return fmt.Sprintf("%d ops, %d overlapping another client's, %d steals (%d of one G with runnext asked), %d spills, %d kicks, %d global batches",
		len(ops), overlap, steals, rnSteals, spills, kicks, globals)
}
