package impl

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Benchmarks of the local run queue, each against baselines timed in the
// same run (the machines are noisy, so absolute figures mean little).
// Each benchmark's ns/op is the run queue's; for every baseline it reports
// "<base>-ns/op" and the ratio "x-<base>" (run queue time / baseline time).
// Run them with
//
//	go test ./impl -run '^$' -bench 'Runq' -count 5

// refRing is the minimal reference: a single-producer single-consumer ring
// of 256 *g, a plain array and two counters (the producer stores tail with
// a release, the consumer stores head with a release). It has no runnext,
// no steal, no CAS: what is left is the cost of the FIFO itself.
type refRing struct {
	head atomic.Uint32
	tail atomic.Uint32
	buf  [256]*g
}

func (r *refRing) putInline(gp *g) bool {
	h := r.head.Load() // acquire: the consumer freed the slot
	t := r.tail.Load() // own
	if t-h == uint32(len(r.buf)) {
		return false
	}
	r.buf[t%uint32(len(r.buf))] = gp
	r.tail.Store(t + 1) // release: publish the slot
	return true
}

func (r *refRing) getInline() *g {
	t := r.tail.Load() // acquire: the producer filled the slot
	h := r.head.Load() // own
	if t == h {
		return nil
	}
	gp := r.buf[h%uint32(len(r.buf))]
	r.head.Store(h + 1) // release: free the slot
	return gp
}

// put and get are the same, not inlined, to compare with runqput and
// runqget, which are too big to inline.
//
//go:noinline
func (r *refRing) put(gp *g) bool { return r.putInline(gp) }

//go:noinline
func (r *refRing) get() *g { return r.getInline() }

// mutexRing is a ring under a sync.Mutex.
type mutexRing struct {
	mu         sync.Mutex
	head, tail uint32
	buf        [256]*g
}

//go:noinline
func (r *mutexRing) put(gp *g) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tail-r.head == uint32(len(r.buf)) {
		return false
	}
	r.buf[r.tail%uint32(len(r.buf))] = gp
	r.tail++
	return true
}

//go:noinline
func (r *mutexRing) get() *g {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tail == r.head {
		return nil
	}
	gp := r.buf[r.head%uint32(len(r.buf))]
	r.head++
	return gp
}

// baseline is a named loop of n iterations.
type baseline struct {
	name string
	run  func(n int)
}

// ratioBench times ours (the benchmark's own ns/op) and each baseline for
// b.N iterations, interleaved in rounds to spread noise over all of them,
// and reports each baseline's ns/op and ours/baseline.
func ratioBench(b *testing.B, ours func(n int), bases ...baseline) {
	const rounds = 4
	baseTime := make([]time.Duration, len(bases))
	b.ResetTimer()
	b.StopTimer()
	done := 0
	for r := 0; r < rounds; r++ {
		n := b.N / rounds
		if r == rounds-1 {
			n = b.N - done
		}
		done += n
		for i, base := range bases {
			start := time.Now()
			base.run(n)
			baseTime[i] += time.Since(start)
		}
		b.StartTimer()
		ours(n)
		b.StopTimer()
	}
	oursPerOp := float64(b.Elapsed()) / float64(b.N)
	for i, base := range bases {
		basePerOp := float64(baseTime[i]) / float64(b.N)
		b.ReportMetric(basePerOp, base.name+"-ns/op")
		if basePerOp > 0 {
			b.ReportMetric(oursPerOp/basePerOp, "x-"+base.name)
		}
	}
}

var sinkG *g

// BenchmarkRunqPutGet: one runqput (ring, not runnext) and one runqget on
// an otherwise empty queue, uncontended, against the reference ring (both
// as calls, and inlined), a ring under a mutex, and a buffered channel.
func BenchmarkRunqPutGet(b *testing.B) {
	q, global := newRunq(runqCfg(256)), newGlobrunq(runqCfg(256))
	var ref refRing
	var mr mutexRing
	ch := make(chan *g, 256)
	gp := &g{id: 1}
	ratioBench(b,
		func(n int) {
			for range n {
				q.runqput(gp, false, global)
				sinkG, _ = q.runqget()
			}
		},
		baseline{"refring", func(n int) {
			for range n {
				ref.put(gp)
				sinkG = ref.get()
			}
		}},
		baseline{"refring-inlined", func(n int) {
			for range n {
				ref.putInline(gp)
				sinkG = ref.getInline()
			}
		}},
		baseline{"mutex", func(n int) {
			for range n {
				mr.put(gp)
				sinkG = mr.get()
			}
		}},
		baseline{"chan", func(n int) {
			for range n {
				ch <- gp
				sinkG = <-ch
			}
		}},
	)
}

// BenchmarkRunqPutGet128: 128 runqputs then 128 runqgets (ns/op per G),
// so the queue is half full and the counters wrap, against the same
// baselines.
func BenchmarkRunqPutGet128(b *testing.B) {
	q, global := newRunq(runqCfg(256)), newGlobrunq(runqCfg(256))
	var ref refRing
	ch := make(chan *g, 256)
	gs := runqGs(128)
	ratioBench(b,
		func(n int) {
			for i := 0; i < n; i += len(gs) {
				for _, gp := range gs {
					q.runqput(gp, false, global)
				}
				for range gs {
					sinkG, _ = q.runqget()
				}
			}
		},
		baseline{"refring", func(n int) {
			for i := 0; i < n; i += len(gs) {
				for _, gp := range gs {
					ref.put(gp)
				}
				for range gs {
					sinkG = ref.get()
				}
			}
		}},
		baseline{"chan", func(n int) {
			for i := 0; i < n; i += len(gs) {
				for _, gp := range gs {
					ch <- gp
				}
				for range gs {
					sinkG = <-ch
				}
			}
		}},
	)
}

// BenchmarkRunqPutGetThief: the owner's runqput+runqget while another
// goroutine keeps stealing from the same queue (into its own ring, which
// it then empties), against the same loop without the thief. The ratio is
// the cost of sharing head, tail and the slots with a thief that takes the
// queued G first (steals/op of the time) and fails its CAS otherwise.
func BenchmarkRunqPutGetThief(b *testing.B) {
	if runtime.GOMAXPROCS(0) < 2 {
		b.Skip("needs GOMAXPROCS >= 2")
	}
	cfg := runqCfg(256)
	q, global := newRunq(cfg), newGlobrunq(cfg)
	alone := newRunq(cfg)
	gs := runqGs(4)
	var stop atomic.Bool
	var steals atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		thief := newRunq(cfg)
		for !stop.Load() {
			gp, n := thief.runqsteal(q, false, nil)
			if gp == nil {
				continue
			}
			steals.Add(int64(n))
			for gp != nil {
				gp, _ = thief.runqget()
			}
		}
	}()
	ratioBench(b,
		func(n int) {
			for i := range n {
				q.runqput(gs[i&3], false, global)
				sinkG, _ = q.runqget() // nil when the thief got there first
			}
		},
		baseline{"alone", func(n int) {
			for i := range n {
				alone.runqput(gs[i&3], false, global)
				sinkG, _ = alone.runqget()
			}
		}},
	)
	stop.Store(true)
	wg.Wait()
	b.ReportMetric(float64(steals.Load())/float64(b.N), "steals/op")
}

// BenchmarkRunqSteal128: a steal of 128 Gs from a full ring of 256
// (runqsteal: runqgrab's 128 speculative slot copies, the head CAS, the
// thief's tail publication), refilled per iteration by one tail store
// (the stolen slots still hold their Gs), against copying 128 pointers.
func BenchmarkRunqSteal128(b *testing.B) {
	cfg := runqCfg(256)
	victim, thief, global := newRunq(cfg), newRunq(cfg), newGlobrunq(cfg)
	for _, gp := range runqGs(256) {
		victim.runqput(gp, false, global)
	}
	var src, dst [256]*g
	for i := range src {
		src[i] = &g{id: 1}
	}
	ratioBench(b,
		func(n int) {
			for range n {
				gp, m := thief.runqsteal(victim, false, nil)
				if m != 128 {
					b.Fatalf("stole %d", m)
				}
				sinkG = gp
				victim.tail.Store(victim.tail.Load() + 128) // refill: the stolen slots are intact
				thief.head.Store(thief.tail.Load())         // empty the thief
			}
		},
		baseline{"copy128", func(n int) {
			for i := range n {
				off := (i & 1) * 128
				copy(dst[off:off+128], src[128-off:256-off])
				sinkG = dst[off+127]
			}
		}},
	)
}
