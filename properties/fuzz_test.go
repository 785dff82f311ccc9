package properties

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gmplab/gmplab/examples"
	"github.com/gmplab/gmplab/impl"
	"github.com/gmplab/gmplab/model"
	"github.com/gmplab/gmplab/spec"
)

// Fuzz targets. Without -fuzz, go test runs each on its seed corpus (the
// f.Add calls and testdata/fuzz/<Target>/) as ordinary tests. To fuzz:
//
//	go test ./properties -run '^$' -fuzz FuzzLockstep -fuzztime 60s -fuzzminimizetime 5s
//	go test ./properties -run '^$' -fuzz FuzzRunQueue -fuzztime 60s -fuzzminimizetime 5s
//
// (-fuzzminimizetime: by default the fuzzer spends up to a minute
// minimizing every new interesting input, with 0 execs/s meanwhile.)
//
// A failing input is saved under testdata/fuzz/<Target>/ and replayed by
// every later go test. Turn a FuzzLockstep failure into a regression
// trace (testdata/regress/, printed in the failure) as well: the trace
// names the actions, so it survives changes to the byte decoding.

// lockstepWorkloads are the example workloads FuzzLockstep draws from
// (overflow's 131,072 calls are too long for a fuzz case).
var lockstepWorkloads = func() []string {
	ents, err := examples.FS.ReadDir(".")
	if err != nil {
		panic(err)
	}
	var names []string
	for _, e := range ents {
		if n, ok := strings.CutSuffix(e.Name(), ".gmp"); ok && n != "overflow" {
			names = append(names, n)
		}
	}
	return names
}()

// lockstepFromBytes decodes a fuzz input: the first four bytes choose
// the config and the workload, every further byte the next action, as an
// index into model.Enabled (modulo its length).
func lockstepFromBytes(data []byte) (cfg spec.Config, workload string, steps []byte) {
	var hdr [4]byte
	copy(hdr[:], data)
	cfg = spec.Default(1 + int(hdr[0])%3)
	cfg = cfg.WithRunqSize([]int{2, 4, 256}[int(hdr[1])%3])
	cfg.Runnext = hdr[2]&3 != 0
	cfg.AsyncPreempt = hdr[2]&4 != 0
	cfg.StealRunnextLastRoundOnly = hdr[2]&8 == 0
	if hdr[2]&16 != 0 {
		cfg.StackMin, cfg.StackGuard, cfg.StackShrinkReserve = 256, 64, 32
	}
	workload = lockstepWorkloads[int(hdr[3])%len(lockstepWorkloads)]
	if len(data) > 4 {
		steps = data[4:]
	}
	return cfg, workload, steps
}

// FuzzLockstep turns bytes into a small config, an example workload and
// an action sequence, and applies it to the model and to the
// implementation's drive mode in lockstep (lockstep.step: both accept
// the action, spec.All holds, snapshots are equal under cmp, trace events
// are equal).
func FuzzLockstep(f *testing.F) {
	f.Add([]byte{0, 0, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{1, 1, 3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{2, 0, 7, 2, 9, 200, 13, 77, 5, 5, 5, 250, 1, 2, 3})
	f.Add([]byte{2, 2, 1, 3, 255, 254, 253, 252, 251, 250, 249, 248})
	f.Add([]byte{1, 0, 20, 4, 3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9})
	f.Add([]byte{2, 1, 2, 5, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1})
	f.Add([]byte{0, 2, 5, 6, 17, 34, 51, 68, 85, 102, 119, 136, 153})
	f.Add([]byte{2, 0, 1, 7, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88})
	f.Add([]byte{1, 0, 1, 8, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144})
	codes := map[string]*spec.Code{}
	for _, name := range lockstepWorkloads {
		src, err := examples.FS.ReadFile(name + ".gmp")
		if err != nil {
			f.Fatal(err)
		}
		code, err := spec.ParseCode(name+".gmp", src)
		if err != nil {
			f.Fatal(err)
		}
		codes[name] = code
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, name, steps := lockstepFromBytes(data)
		if len(steps) > 400 {
			steps = steps[:400]
		}
		ls, msg := newLockstep(cfg, codes[name], model.Boot{})
		if msg != "" {
			t.Fatal(msg)
		}
		for _, b := range steps {
			en := model.Enabled(ls.ms)
			if len(en) == 0 {
				return
			}
			if msg := ls.step(en[int(b)%len(en)]); msg != "" {
				var tr strings.Builder
				model.WriteTrace(&tr, model.TraceHeader{Workload: name, Config: cfg}, ls.trail)
				t.Fatalf("%s\n\nas a trace file (save it as testdata/regress/<date>-<slug>.trace, then\ngo test ./properties -run TestLockstepTrace -lockstep.trace=FILE):\n%s", msg, tr.String())
			}
		}
	})
}

// runQueueFromBytes decodes FuzzRunQueue's config from the first three
// bytes.
func runQueueFromBytes(data []byte) (cfg spec.Config, ops []byte) {
	var hdr [3]byte
	copy(hdr[:], data)
	cfg = spec.Default(1 + int(hdr[0])%3).WithRunqSize([]int{2, 4, 8, 256}[int(hdr[1])%4])
	cfg.Runnext = hdr[2]&3 != 0
	if hdr[2]&4 != 0 {
		cfg.StealAmount = spec.StealOne
	}
	if hdr[2]&8 != 0 {
		cfg.SpillBatch = 1 + int(hdr[2]>>4)%cfg.RunqSize
	}
	if len(data) > 3 {
		ops = data[3:]
	}
	return cfg, ops
}

// FuzzRunQueue turns bytes into a config and a sequence of run queue
// operations (Put with and without runnext, Get, Drain, Steal with and
// without runnext, Empty, GlobalPut, GlobalGet), applies each to
// impl.RunQueueLab (impl's own runq and globrunq code) and to the
// sequential specification rqSpec, and requires after every operation
// that the spec accepts the implementation's output and that the queues'
// contents are equal. Each operation is one byte: the low 3 bits its
// kind, the others its P, victim and runnext flag.
func FuzzRunQueue(f *testing.F) {
	f.Add([]byte{0, 0, 1, 0, 8, 16, 24, 0, 0, 1, 2, 3})
	f.Add([]byte{1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 3, 11, 19, 1, 9})
	f.Add([]byte{2, 2, 0, 0, 8, 16, 32, 64, 128, 3, 35, 67, 99, 6, 14, 22})
	f.Add([]byte{2, 0, 4, 0, 1, 0, 1, 0, 1, 0, 1, 3, 3, 3, 3, 2, 2})
	f.Add([]byte{1, 3, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 5, 6, 6, 7, 7})
	f.Add([]byte{2, 1, 25, 128, 136, 144, 0, 0, 0, 0, 11, 19, 27, 35, 1, 2})
	// Two Ps, ring 8: p0 puts 5, p1 steals 3 and gets them; p0 puts with
	// runnext (kicks), p1 steals runnext of an empty ring.
	f.Add([]byte{1, 2, 1, 0, 0, 0, 0, 0, 11, 10, 10, 10, 1, 1, 1, 2, 2, 2, 2, 139, 10, 5, 13})
	// Two Ps, ring 4: p0 fills the ring and spills (also from a kick),
	// p1 takes a global batch, drains, puts on the global queue.
	f.Add([]byte{1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 15, 10, 10, 4, 6, 6, 6, 15, 10, 12, 4, 5})
	// Three Ps, ring 2, StealOne: steals around the ring.
	f.Add([]byte{2, 0, 5, 0, 0, 0, 8, 8, 8, 19, 10, 27, 18, 3, 2, 11, 139, 155, 0, 1, 9, 17, 4, 12, 20})
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, ops := runQueueFromBytes(data)
		if len(ops) > 300 {
			ops = ops[:300]
		}
		if msg := runQueueSequential(cfg, ops); msg != "" {
			t.Fatalf("config %s, ops %v:\n%s", cfg, ops, msg)
		}
	})
}

// runQueueSequential runs the decoded operations on the lab and the spec
// and returns "" or what differed, with the operations so far.
func runQueueSequential(cfg spec.Config, ops []byte) string {
	lab, err := impl.NewRunQueueLab(cfg, len(ops), impl.RunQueueLabOptions{})
	if err != nil {
		return err.Error()
	}
	sp := &rqSpec{cfg: cfg}
	st := sp.init()
	procs := cfg.Procs
	var trail []string
	fail := func(format string, args ...any) string {
		return fmt.Sprintf("after:\n  %s\n%s", strings.Join(trail, "\n  "), fmt.Sprintf(format, args...))
	}
	nextG := spec.GID(1)
	for i, b := range ops {
		p := int(b>>3) % procs
		flag := b&128 != 0
		in := rqInput{P: p, Call: int64(2 * i), Ret: int64(2*i + 1)}
		var out rqOutput
		var err error
		empty := st.Ps[p].Runnext == spec.NoG && len(st.Ps[p].Ring) == 0
		switch b & 7 {
		case 0, 1: // Put, the second with runnext
			in.Kind, in.G, in.Next = rqPut, nextG, b&7 == 1
			nextG++
			out.G, out.N, err = lab.Put(p, in.G, in.Next)
		case 2:
			in.Kind = rqGet
			out.G, out.Inherit, err = lab.Get(p)
		case 3: // Steal, when the thief's queue is empty; else Get
			if procs == 1 || !empty {
				in.Kind = rqGet
				out.G, out.Inherit, err = lab.Get(p)
				break
			}
			in.Kind, in.Victim, in.Next = rqSteal, (p+1+int(b>>5)%(procs-1))%procs, flag
			out.G, out.N, err = lab.Steal(p, in.Victim, in.Next)
		case 4:
			in.Kind = rqDrain
			out.Gs, err = lab.Drain(p)
		case 5:
			in.Kind = rqEmpty
			out.Empty, err = lab.Empty(p)
		case 6:
			in.Kind, in.G = rqGlobalPut, nextG
			nextG++
			err = lab.GlobalPut(in.G)
		case 7: // GlobalGet, when p's queue is empty; else Put
			if !empty {
				in.Kind, in.G = rqPut, nextG
				nextG++
				out.G, out.N, err = lab.Put(p, in.G, false)
				break
			}
			in.Kind = rqGlobalGet
			out.G, out.N, err = lab.GlobalGet(p)
		}
		op := rqOp{In: in, Out: out}
		trail = append(trail, op.String())
		if err != nil {
			return fail("the lab refused it: %v", err)
		}
		next := sp.step(st, in, out)
		if len(next) == 0 {
			return fail("the spec rejects the implementation's output, from %v", st)
		}
		// Sequentially, the next operation sees every completion done:
		// exactly one state of the closure has nothing pending.
		done := slices.DeleteFunc(next, func(s rqState) bool {
			return slices.ContainsFunc(s.Ps, func(p rqP) bool { return p.Pend.Kind != pendNone })
		})
		if len(done) != 1 {
			return fail("the spec has %d completed states after it (from %v), want 1", len(done), st)
		}
		st = done[0]
		got, want := labSnap(lab.Snapshot()), specSnap(st)
		if !rqSnapEqual(want, got) { // cmp.Equal is ten times slower: only for the diff
			return fail("queues differ (-spec +impl):\n%s", cmp.Diff(want, got, cmpopts.EquateEmpty()))
		}
	}
	return ""
}

func labSnap(s impl.RunQueueLabSnapshot) rqSnap {
	var out rqSnap
	for _, p := range s.Ps {
		out.Runnext = append(out.Runnext, p.Runnext)
		out.Rings = append(out.Rings, p.Ring)
	}
	out.Global = s.Global
	return out
}

func specSnap(s rqState) rqSnap {
	var out rqSnap
	for _, p := range s.Ps {
		out.Runnext = append(out.Runnext, p.Runnext)
		out.Rings = append(out.Rings, p.Ring)
	}
	out.Global = s.Global
	return out
}

func rqSnapEqual(a, b rqSnap) bool {
	if !slices.Equal(a.Runnext, b.Runnext) || !slices.Equal(a.Global, b.Global) || len(a.Rings) != len(b.Rings) {
		return false
	}
	for i := range a.Rings {
		if !slices.Equal(a.Rings[i], b.Rings[i]) {
			return false
		}
	}
	return true
}
