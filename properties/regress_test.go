package properties

import (
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gmplab/gmplab/examples"
	"github.com/gmplab/gmplab/model"
	"github.com/gmplab/gmplab/spec"
)

var lockstepTrace = flag.String("lockstep.trace", "", "replay this trace file in lockstep (TestLockstepTrace)")

// TestLockstepRegressions replays every case of the regression corpus,
// testdata/regress/*.trace, on the model and the implementation in
// lockstep. Each file is a failure found once: a header saying what broke
// and how it was fixed, the workload and config, and the actions (the
// trace format of model.WriteTrace).
//
// To add one: save the failing action list with its config as
// testdata/regress/<yyyymmdd>-<slug>.trace (the lockstep tests print both,
// and TestLockstepRapid prints the whole file), put the seed and the bug in
// "#" lines at the top, and check that it fails before the fix and passes
// after it.
func TestLockstepRegressions(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "regress", "*.trace"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no regression cases in testdata/regress: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".trace"), func(t *testing.T) {
			if msg := replayLockstep(t, f); msg != "" {
				t.Fatalf("%s\nreproduce: go test ./properties -run TestLockstepTrace -lockstep.trace=%s", msg, f)
			}
		})
	}
}

// TestLockstepTrace replays the trace file given by -lockstep.trace.
func TestLockstepTrace(t *testing.T) {
	if *lockstepTrace == "" {
		t.Skip("no -lockstep.trace file given: nothing to replay")
	}
	if msg := replayLockstep(t, *lockstepTrace); msg != "" {
		t.Fatal(msg)
	}
}

// replayLockstep replays a trace file on both forms; "" if they agree on
// every step.
func replayLockstep(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, actions, err := model.ReadTrace(path, f)
	if err != nil {
		t.Fatal(err)
	}
	code := loadWorkload(t, h.Workload)
	ls, msg := newLockstep(h.Config, code, h.Boot)
	if msg != "" {
		return msg
	}
	for _, a := range actions {
		if msg := ls.step(a); msg != "" {
			return msg
		}
	}
	return ""
}

// loadWorkload compiles a workload file or an example by name.
func loadWorkload(t *testing.T, name string) *spec.Code {
	t.Helper()
	src, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		src, err = examples.FS.ReadFile(strings.TrimSuffix(name, ".gmp") + ".gmp")
	}
	if err != nil {
		t.Fatalf("workload %q: %v", name, err)
	}
	code, err := spec.ParseCode(name, src)
	if err != nil {
		t.Fatal(err)
	}
	return code
}
