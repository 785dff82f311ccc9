package impl

import (
	"testing"
	"time"

	"github.com/gmplab/gmplab/spec"
)

// Stack growth from 2 KB to 1 MB by copying: a recursion of 1 KB frames,
// each level holding a pointer to its caller's frame, 1000 levels deep, so
// the stack is copied 9 times (2 KB -> 4 KB -> ... -> 1 MB) and every copy
// adjusts one pointer per frame. Baselines, run in the same process:
//
//   - noadjust: the same growth with the copy-no-adjust mutant, which
//     copies and poisons but walks no pointer map (isolates
//     adjustpointers);
//   - memmove: plain copies of the same used bytes between buffers of the
//     same sizes, allocated once (the stack's memory comes from its pools
//     too once they are warm), nothing else.
//
// BenchmarkStackGrowth/ratio interleaves the three in one loop (the
// machines are noisy) and reports each one's ns per growth and the ratios.

const (
	benchFrame = 1024
	benchDepth = 1000 // 1000 KB + guard: the stack ends at 1 MB
)

// growStack runs the recursion on s, a recycled G's stack (init reuses
// its frame records, as gfget reuses a G). The callers free it
// (stackfree, as the G's exit would), so that the pools are warm, as in a
// running program.
func growStack(s *stack, cfg *spec.Config, mut stackMutant) {
	s.init(1, 0, benchFrame, 0, cfg, nil)
	s.mut = mut
	for d := 1; d < benchDepth; d++ {
		if _, err := s.push(1, benchFrame, 0, cfg); err != nil {
			panic(err)
		}
		s.setPtr(d, 0, d-1, 1) // a pointer to a local of the caller
	}
}

// growCopies records the (new size, used) of every copy of one growth.
func growCopies(cfg *spec.Config) (copies [][2]int64) {
	s := newStack(1, 0, benchFrame, 0, cfg, nil)
	for d := 1; d < benchDepth; d++ {
		size, used := s.size(), s.used()
		s.push(1, benchFrame, 0, cfg)
		if s.size() != size {
			copies = append(copies, [2]int64{s.size(), used})
		}
	}
	return copies
}

// memmoveBufs returns the buffers memmoveGrowth copies between: 2 KB
// and each copy's new size.
func memmoveBufs(copies [][2]int64) [][]byte {
	bufs := [][]byte{make([]byte, 2048)}
	for _, c := range copies {
		bufs = append(bufs, make([]byte, c[0]))
	}
	return bufs
}

// memmoveGrowth copies the used bytes as growth does, with nothing else.
func memmoveGrowth(copies [][2]int64, bufs [][]byte) {
	for i, c := range copies {
		old, mem := bufs[i], bufs[i+1]
		copy(mem[c[0]-c[1]:], old[int64(len(old))-c[1]:])
	}
}

func checkBenchStack(b *testing.B, s *stack, cfg *spec.Config, adjusted bool) {
	if s.size() != 1<<20 || s.gen != 9 {
		b.Fatalf("grew to %d bytes in %d copies, want 1 MB in 9", s.size(), s.gen)
	}
	if err := stackInvariants(s, cfg); (err == nil) != adjusted {
		b.Fatalf("adjusted=%v: invariants: %v", adjusted, err)
	}
}

func BenchmarkStackGrowth(b *testing.B) {
	cfg := testCfg()
	copies := growCopies(cfg)
	bufs := memmoveBufs(copies)
	b.Run("copy", func(b *testing.B) {
		b.SetBytes(1 << 20)
		var s stack
		for b.Loop() {
			growStack(&s, cfg, 0)
			s.stackfree()
		}
		growStack(&s, cfg, 0)
		checkBenchStack(b, &s, cfg, true)
	})
	b.Run("noadjust", func(b *testing.B) {
		b.SetBytes(1 << 20)
		var s stack
		for b.Loop() {
			growStack(&s, cfg, stackMutCopyNoAdjust)
			s.stackfree()
		}
		growStack(&s, cfg, stackMutCopyNoAdjust)
		checkBenchStack(b, &s, cfg, false)
	})
	b.Run("memmove", func(b *testing.B) {
		b.SetBytes(1 << 20)
		for b.Loop() {
			memmoveGrowth(copies, bufs)
		}
	})
	b.Run("ratio", func(b *testing.B) {
		var tCopy, tNoAdj, tMove time.Duration
		n := 0
		var s stack
		for b.Loop() {
			t0 := time.Now()
			growStack(&s, cfg, 0)
			s.stackfree()
			t1 := time.Now()
			growStack(&s, cfg, stackMutCopyNoAdjust)
			s.stackfree()
			t2 := time.Now()
			memmoveGrowth(copies, bufs)
			t3 := time.Now()
			tCopy += t1.Sub(t0)
			tNoAdj += t2.Sub(t1)
			tMove += t3.Sub(t2)
			n++
		}
		b.ReportMetric(float64(tCopy.Nanoseconds())/float64(n), "copy-ns/growth")
		b.ReportMetric(float64(tNoAdj.Nanoseconds())/float64(n), "noadjust-ns/growth")
		b.ReportMetric(float64(tMove.Nanoseconds())/float64(n), "memmove-ns/growth")
		b.ReportMetric(float64(tCopy)/float64(tNoAdj), "copy/noadjust")
		b.ReportMetric(float64(tCopy)/float64(tMove), "copy/memmove")
	})
}
