package impl

import (
	"testing"
	"time"

	"github.com/gmplab/gmplab/spec"
)

// TestCheckdeadRetakeWindow is a regression test (found in review): on one
// P, sysmon retakes the P of a G in a syscall, and between takeP and
// handoffp the P belongs to nobody. The G's syscall returns in that window:
// its M finds no P, puts the G on the global queue and parks, and every M
// is idle. checkdead used to call that a stuck run ("a G is runnable but
// every M is idle"); handoffp's startm is about to run the G, so it must
// wait for the retake to finish (the runtime's incidlelocked(-1) around
// retake's handoffp, proc.go:6707-6714). The hook holds the window open
// well past the syscall's end.
func TestCheckdeadRetakeWindow(t *testing.T) {
	code := compileSrc(t, "retake-window", `
func main {
    spawn blocker
    park done 1
}

func blocker {
    syscall 5ms
    ready done
}
`)
	held := 0
	testRetakeWindow = func() {
		held++
		time.Sleep(50 * time.Millisecond) // the syscall (5 ms at time-scale 1) ends meanwhile
	}
	defer func() { testRetakeWindow = nil }()
	res, err := Run(spec.Default(1), code, Boot{}, RunOptions{TimeScale: 1, Seed: 1, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if held == 0 {
		t.Fatalf("sysmon never retook the P, so the window was not tested: %s", res.Summary())
	}
	if res.Outcome != OutcomeExited {
		t.Fatalf("%s (want exited: the retake's handoffp runs the G that left its syscall)", res.Summary())
	}
}
