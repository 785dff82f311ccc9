package impl

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gmplab/gmplab/spec"
)

// BenchmarkCreateGoroutines chains spawn→run→exit of empty Gs (each G
// spawns the next, like the runtime's BenchmarkCreateGoroutines) on the
// engine, and the same chain of native go statements in the same run,
// reporting ns per G for both and their ratio. The engine's links also
// add a permit to main's key ("ready done": sched.lock and a counter),
// which empty native Gs do not; native-sem is the native chain doing the
// same (a mutex-guarded count, the last link waking main), for a ratio
// on equal work. The b.N Gs are split into
// rounds that alternate engine and native chains; each side's figure is
// its best round, so that a burst of load on a shared host does not
// decide the ratio.
func BenchmarkCreateGoroutines(b *testing.B) {
	const rounds = 5
	for _, procs := range []int{1, 4} {
		b.Run(fmt.Sprintf("procs=%d", procs), func(b *testing.B) {
			n := max(b.N/rounds, 1)
			code := compileSrc(b, "chain", chainSrc(n))
			implBest, nativeBest, semBest := time.Duration(1<<62), time.Duration(1<<62), time.Duration(1<<62)
			b.ResetTimer()
			for range rounds {
				start := time.Now()
				res, err := Run(spec.Default(procs), code, Boot{}, RunOptions{TimeScale: 0.01})
				implBest = min(implBest, time.Since(start))
				if err != nil || res.Outcome != OutcomeExited {
					b.Fatalf("%v %v", err, res.Summary())
				}
				old := runtime.GOMAXPROCS(procs)
				nativeBest = min(nativeBest, nativeChain(n, false))
				semBest = min(semBest, nativeChain(n, true))
				runtime.GOMAXPROCS(old)
			}
			b.StopTimer()
			b.ReportMetric(float64(implBest.Nanoseconds())/float64(n), "impl-ns/G")
			b.ReportMetric(float64(nativeBest.Nanoseconds())/float64(n), "native-ns/G")
			b.ReportMetric(float64(semBest.Nanoseconds())/float64(n), "native-sem-ns/G")
			b.ReportMetric(float64(implBest)/float64(nativeBest), "impl/native")
			b.ReportMetric(float64(implBest)/float64(semBest), "impl/native-sem")
		})
	}
}

// nativeChain runs a chain of n native go statements and returns its
// wall time; with sem each link also adds a permit to a mutex-guarded
// count, and the n-th wakes the waiter, as the engine's "ready done" does.
func nativeChain(n int, sem bool) time.Duration {
	start := time.Now()
	done := make(chan struct{})
	var mu sync.Mutex
	permits := 0
	var link func(k int)
	link = func(k int) {
		if k > 0 {
			go link(k - 1)
		}
		if !sem {
			if k == 0 {
				close(done)
			}
			return
		}
		mu.Lock()
		permits++
		if permits == n+1 {
			close(done)
		}
		mu.Unlock()
	}
	go link(n)
	<-done
	return time.Since(start)
}

// chainSrc: main starts a chain in which every G spawns the next (into
// its P's runnext), adds a permit to "done" and exits; main wakes after n
// links and ends the run.
func chainSrc(n int) string {
	return fmt.Sprintf(`
func main {
    spawn link
    park done %d
}

func link {
    spawn link
    ready done
}
`, n)
}
