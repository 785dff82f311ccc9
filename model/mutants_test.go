package model

import (
	"fmt"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
)

// TestMutantsCaught switches each of the model's mutants on in every
// mechanism scenario (testdata/mechanisms) and requires that some
// scenario catches it: an output that differs from the one derived from
// the runtime's rules, a broken invariant, or a panic of the model. It
// logs which scenario caught each mutant and how long that took, and fails
// for a mutant that survives them all.
func TestMutantsCaught(t *testing.T) {
	files, err := filepath.Glob("testdata/mechanisms/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	sort.Strings(files)
	defer func() { ddMutantOverride = 0 }()
	for _, name := range MutantNames() {
		mut, _ := ParseMutants(name)
		start := time.Now()
		caught := ""
		for _, f := range files {
			if why := runScenarioWithMutant(t, f, mut); why != "" {
				caught = fmt.Sprintf("%s (%s)", filepath.Base(f), why)
				break
			}
		}
		if caught == "" {
			t.Errorf("mutant %s survived every mechanism scenario", name)
			continue
		}
		t.Logf("%-24s caught by %s in %v", name, caught, time.Since(start).Round(time.Millisecond))
	}
}

// runScenarioWithMutant runs one scenario file with mut switched on and
// says how it failed, or "" if it passed.
func runScenarioWithMutant(t *testing.T, path string, mut Mutants) string {
	ddMutantOverride = mut
	rec := &recordingTB{TB: t}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer func() {
			if r := recover(); r != nil {
				rec.fail(fmt.Sprintf("the model panicked: %v", r))
			}
		}()
		var s State
		datadriven.RunTestAny(rec, path, func(tb testing.TB, d *datadriven.TestData) string {
			return mechanismsCommand(tb, d, &s)
		})
	}()
	wg.Wait()
	ddMutantOverride = 0
	return rec.why
}

// recordingTB is a testing.TB whose failures are recorded instead of
// failing the test: Fatal ends only the goroutine running the scenario.
type recordingTB struct {
	testing.TB
	mu  sync.Mutex
	why string
}

func (r *recordingTB) fail(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.why == "" {
		line, _, _ := strings.Cut(strings.TrimSpace(msg), "\n")
		if strings.Contains(msg, "expected") {
			line = "output differs from the expected one at " + strings.TrimSuffix(line, ":")
		}
		r.why = line
	}
}

func (r *recordingTB) Helper()                           {}
func (r *recordingTB) Log(args ...any)                   {}
func (r *recordingTB) Logf(format string, args ...any)   {}
func (r *recordingTB) Error(args ...any)                 { r.fail(fmt.Sprint(args...)) }
func (r *recordingTB) Errorf(format string, args ...any) { r.fail(fmt.Sprintf(format, args...)) }
func (r *recordingTB) Fail()                             { r.fail("failed") }
func (r *recordingTB) FailNow()                          { r.fail("failed"); runtime.Goexit() }
func (r *recordingTB) Fatal(args ...any)                 { r.fail(fmt.Sprint(args...)); runtime.Goexit() }
func (r *recordingTB) Fatalf(format string, args ...any) {
	r.fail(fmt.Sprintf(format, args...))
	runtime.Goexit()
}
func (r *recordingTB) Failed() bool { r.mu.Lock(); defer r.mu.Unlock(); return r.why != "" }
