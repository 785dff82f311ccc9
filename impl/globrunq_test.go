package impl

import (
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gmplab/gmplab/spec"
)

// locked runs f with q's sched.lock held.
func locked(q *globrunq, f func()) {
	q.lock.Lock()
	defer q.lock.Unlock()
	f()
}

func TestGQueue(t *testing.T) {
	gs := runqGs(6)
	var q gQueue
	if !q.empty() || q.pop() != nil {
		t.Fatal("new gQueue not empty")
	}
	q.pushBack(gs[1])
	q.pushBack(gs[2])
	q.push(gs[0])
	var q2 gQueue
	q2.pushBack(gs[3])
	q2.pushBack(gs[4])
	q.pushBackAll(q2)
	q.pushBackAll(gQueue{})
	if got := q.slice(); !slices.Equal(got, gs[:5]) || q.size != 5 {
		t.Fatalf("queue %v size %d", gids(got), q.size)
	}
	for _, want := range gs[:5] {
		if gp := q.pop(); gp != want {
			t.Fatalf("pop %v, want %v", gidOf(gp), gidOf(want))
		}
	}
	if !q.empty() || q.size != 0 || q.tail != nil {
		t.Fatal("not empty after popping everything")
	}
	var q3 gQueue
	q3.pushBackAll(gQueue{head: gs[5], tail: gs[5], size: 1})
	if q3.pop() != gs[5] || !q3.empty() {
		t.Fatal("pushBackAll onto an empty queue")
	}
}

// TestGlobrunqOrder: put and putBatch append at the tail, putHead pushes
// at the head, get pops the head; the lock-free hints follow.
func TestGlobrunqOrder(t *testing.T) {
	q := newGlobrunq(spec.Default(1))
	gs := runqGs(6)
	if !q.emptyHint() || q.sizeHint() != 0 {
		t.Fatal("new queue not empty")
	}
	locked(q, func() {
		q.put(gs[1])
		q.putHead(gs[0])
		var b gQueue
		b.pushBack(gs[2])
		b.pushBack(gs[3])
		q.putBatch(&b)
		if !b.empty() || b.size != 0 {
			t.Fatal("putBatch did not clear the batch")
		}
		q.put(gs[4])
		if q.len() != 5 {
			t.Fatalf("len %d", q.len())
		}
	})
	if q.emptyHint() || q.sizeHint() != 5 {
		t.Fatalf("hints: empty %v size %d", q.emptyHint(), q.sizeHint())
	}
	if got := q.snapshot(); !slices.Equal(got, gs[:5]) {
		t.Fatalf("queue %v", gids(got))
	}
	locked(q, func() {
		for _, want := range gs[:5] {
			if gp := q.get(); gp != want {
				t.Fatalf("get %v, want %v", gidOf(gp), gidOf(want))
			}
		}
		if gp := q.get(); gp != nil {
			t.Fatalf("get from empty = %v", gidOf(gp))
		}
		if gp, rest := q.getBatch(); gp != nil || !rest.empty() {
			t.Fatal("getBatch from empty")
		}
	})
	if !q.emptyHint() {
		t.Fatal("empty hint after draining")
	}
}

// TestGlobrunqGetBatch checks every batch size against
// min(GlobalBatchCap, size, size/Procs+1) (spec.Config.GlobalBatch and the
// formula written out), and that a batch is the queue's head in order.
func TestGlobrunqGetBatch(t *testing.T) {
	gs := runqGs(300)
	for _, procs := range []int{1, 2, 3, 4, 8, 64} {
		for _, bcap := range []int{1, 2, 3, 128, 257} {
			cfg := spec.Default(procs)
			cfg.GlobalBatchCap = bcap
			for size := 0; size <= len(gs); size++ {
				q := newGlobrunq(cfg)
				var gp *g
				var rest gQueue
				locked(q, func() {
					for _, gp := range gs[:size] {
						q.put(gp)
					}
					gp, rest = q.getBatch()
				})
				n := 0
				if gp != nil {
					n = 1 + int(rest.size)
				}
				want := min(bcap, size, size/procs+1)
				if n != want || n != cfg.GlobalBatch(size) {
					t.Fatalf("procs %d cap %d size %d: batch of %d, want %d", procs, bcap, size, n, want)
				}
				if n == 0 {
					continue
				}
				got := append([]*g{gp}, rest.slice()...)
				if !slices.Equal(got, gs[:n]) || int(rest.size) != len(got)-1 {
					t.Fatalf("procs %d cap %d size %d: batch %v", procs, bcap, size, gids(got))
				}
				if left := q.snapshot(); !slices.Equal(left, gs[n:size]) || q.sizeHint() != int32(size-n) {
					t.Fatalf("procs %d cap %d size %d: left %v (hint %d)", procs, bcap, size, gids(left), q.sizeHint())
				}
			}
		}
	}
	// The brief's examples (section 2), with the runtime's cap 128.
	for _, ex := range []struct{ procs, size, want int }{{4, 100, 26}, {4, 1, 1}, {1, 100, 100}, {1, 300, 128}} {
		if got := spec.Default(ex.procs).GlobalBatch(ex.size); got != ex.want {
			t.Errorf("GOMAXPROCS=%d size=%d: %d, want %d", ex.procs, ex.size, got, ex.want)
		}
	}
}

// TestGlobrunqSetProcs: the batch rule follows GOMAXPROCS changes.
func TestGlobrunqSetProcs(t *testing.T) {
	q := newGlobrunq(spec.Default(1))
	gs := runqGs(100)
	locked(q, func() {
		for _, gp := range gs {
			q.put(gp)
		}
		q.setProcs(4)
		if _, rest := q.getBatch(); rest.size+1 != 26 {
			t.Fatalf("batch %d with 4 Ps, want 26", rest.size+1)
		}
	})
}

// TestGlobrunqLockContract: every "sched.lock must be held" method
// panics without it.
func TestGlobrunqLockContract(t *testing.T) {
	q := newGlobrunq(spec.Default(1))
	gp := &g{id: 1}
	for name, f := range map[string]func(){
		"put":      func() { q.put(gp) },
		"putHead":  func() { q.putHead(gp) },
		"putBatch": func() { q.putBatch(&gQueue{}) },
		"get":      func() { q.get() },
		"getBatch": func() { q.getBatch() },
		"len":      func() { q.len() },
		"setProcs": func() { q.setProcs(2) },
	} {
		func() {
			defer func() {
				if r := recover(); r != "globrunq: sched.lock must be held" {
					t.Errorf("%s without sched.lock: recover() = %v", name, r)
				}
			}()
			f()
		}()
	}
}

// TestGlobrunqConcurrent: producers and consumers under sched.lock, and
// lock-free hint readers, lose and duplicate nothing. Run it with -race.
func TestGlobrunqConcurrent(t *testing.T) {
	const producers, perProducer, consumers = 3, 5000, 2
	q := newGlobrunq(spec.Default(4))
	gs := runqGs(producers * perProducer)
	seen := make([]atomic.Int32, len(gs)+1)
	var produced atomic.Int32
	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := gs[p*perProducer : (p+1)*perProducer]
			for i := 0; i < len(mine); {
				q.lock.Lock()
				switch i % 3 {
				case 0:
					q.put(mine[i])
					i++
				case 1:
					q.putHead(mine[i])
					i++
				default:
					var b gQueue
					for j := 0; j < 4 && i < len(mine); j++ {
						b.pushBack(mine[i])
						i++
					}
					q.putBatch(&b)
				}
				q.lock.Unlock()
			}
			produced.Add(1)
		}()
	}
	for c := range consumers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				done := produced.Load() == producers
				if q.emptyHint() {
					if done {
						return
					}
					continue
				}
				q.lock.Lock()
				var got []*g
				if c == 0 {
					if gp := q.get(); gp != nil {
						got = append(got, gp)
					}
				} else if gp, rest := q.getBatch(); gp != nil {
					got = append(append(got, gp), rest.slice()...)
				}
				q.lock.Unlock()
				for _, gp := range got {
					seen[gp.id].Add(1)
				}
			}
		}()
	}
	wg.Wait()
	for id := 1; id <= len(gs); id++ {
		if n := seen[id].Load(); n != 1 {
			t.Fatalf("g%d seen %d times", id, n)
		}
	}
	if q.sizeHint() != 0 {
		t.Fatalf("size hint %d at the end", q.sizeHint())
	}
}
