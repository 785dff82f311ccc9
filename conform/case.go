package conform

import (
	"embed"
	"fmt"
	"strconv"
	"strings"
)

// testdata holds the case programs (testdata/<prog>/main.go) and their
// workloads (testdata/<prog>.gmp); the command line builds them from here,
// wherever it runs.
//
//go:embed testdata
var testdata embed.FS

// Case is one conformance case: a program run with arguments, and its
// workload for the model.
type Case struct {
	Name string   // e.g. "spawn-300"
	Prog string   // the program: testdata/<Prog>/main.go and testdata/<Prog>.gmp
	Args []string // command-line arguments of the program
	// Params are substituted for $KEY in the workload.
	Params map[string]string
	// Why says what the case shows.
	Why string
}

// SpawnNs are the N of the spawn cases: 1, 2 and 10 fit the ring; the
// rest sit on the ring and spill boundaries derived by SpawnBoundaries
// (which a test checks against the model) and past them.
//
// With the two runtime Gs of Boots, spawning w_j kicks w_{j-1} (or, for
// j = 0, runtime.runFinalizers) from runnext into the ring, which then
// holds 2+j Gs. The ring (256) is full after w_254's kick, so the
// spawn of w_255 spills 128+1: N = 255 is the largest run without a spill
// and N = 256 the smallest with one. After a spill the ring holds 128;
// each later spill comes 129 spawns on: N = 385, 514, 643, ...
// 300 and 380 drain a ring of 172 and 252 past the %61 fairness check;
// 600, 1000 and 1100 spill 3, 6 and 7 times.
var SpawnNs = []int{1, 2, 10, 254, 255, 256, 257, 300, 380, 384, 385, 386, 513, 514, 600, 1000, 1100}

// SpawnBoundaries returns the smallest N with k spills for k = 1..count,
// given r runtime Gs ahead of the workers (brief 10.2: with r Gs ahead
// in the ring, the ring overflows when spawning w_j with j = 257 - r,
// and then every 129 spawns), for a ring of ringSize.
func SpawnBoundaries(r, ringSize, count int) []int {
	var out []int
	// w_j's spawn puts w_{j-1} (j >= 1) or the boot runnext G (j = 0)
	// into a ring that holds r-1 + j Gs before the put.
	first := ringSize - (r - 1) + 1 // j such that r-1+j == ringSize; N = j+1
	for k := 0; k < count; k++ {
		out = append(out, first+k*(ringSize/2+1))
	}
	return out
}

// Suite returns every case, in table order.
func Suite() []Case {
	var cs []Case
	for _, n := range SpawnNs {
		cs = append(cs, Case{
			Name:   "spawn-" + strconv.Itoa(n),
			Prog:   "spawn",
			Args:   []string{strconv.Itoa(n)},
			Params: map[string]string{"N": strconv.Itoa(n)},
			Why:    "spawn N from main and block: runnext kick, spills of 128+1, %61 check, global batches",
		})
	}
	cs = append(cs,
		Case{Name: "gosched", Prog: "gosched", Why: "three Gs yield to the global tail and take turns"},
		Case{Name: "gosched-main", Prog: "goschedmain", Why: "main yields behind the whole local queue"},
		Case{Name: "gosched-100", Prog: "goschedmany", Args: []string{"100"}, Params: map[string]string{"N": "100"},
			Why: "100 Gs yield once: the ring drains while the global queue grows; the %61 check takes from it out of turn"},
		Case{Name: "gosched-200", Prog: "goschedmany", Args: []string{"200"}, Params: map[string]string{"N": "200"},
			Why: "as gosched-100, with the check firing more often"},
		Case{Name: "chan-wake", Prog: "chanwake", Why: "a channel send readies the receiver into runnext"},
		Case{Name: "wg-wake", Prog: "wgwake", Why: "the last wg.Done readies the waiter into runnext"},
		Case{Name: "hog", Prog: "hog", Why: "a 50 ms CPU hog is preempted by sysmon; short Gs run behind it"},
		Case{Name: "syscall", Prog: "syscall", Why: "sysmon retakes the P of a G in a 30 ms syscall for the waiting Gs"},
	)
	return cs
}

// Workload returns the case's workload text (testdata/<Prog>.gmp with
// Params substituted) followed by the runtime's boot functions.
func (c Case) Workload() (string, error) {
	src, err := testdata.ReadFile("testdata/" + c.Prog + ".gmp")
	if err != nil {
		return "", fmt.Errorf("conform: case %s: no workload: %v", c.Name, err)
	}
	text := string(src)
	for k, v := range c.Params {
		text = strings.ReplaceAll(text, "$"+k, v)
	}
	if i := strings.IndexByte(text, '$'); i >= 0 {
		return "", fmt.Errorf("conform: case %s: testdata/%s.gmp: parameter %q has no value", c.Name, c.Prog, strings.Fields(text[i:])[0])
	}
	return text + bootFuncs, nil
}

// bootFuncs are the functions of the runtime's two Gs that are runnable
// at main.main's entry (brief 10.1); both park when they run.
const bootFuncs = `
# The runtime's Gs runnable at main.main's entry (brief 10.1), added to
# every conformance workload.
# runtime.updateMaxProcsGoroutine (proc.go:7066-7084): parks when it runs.
func runtime.updateMaxProcsGoroutine {
    park never
}

# runtime.runFinalizers (mfinal.go): parks when it runs (no finalizers).
func runtime.runFinalizers {
    park never
}
`
