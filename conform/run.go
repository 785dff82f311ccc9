package conform

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// RunEnv is the environment the programs run in, on top of the caller's
// (minus the runtime's own variables): one P, no GC during the run, and
// no GODEBUG (a schedtrace would change what sysmon does).
var RunEnv = []string{"GOMAXPROCS=1", "GOGC=off"}

// Run runs bin with args once and returns the tokens it printed.
func Run(bin string, args []string) ([]string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(withoutEnv(os.Environ(), "GOMAXPROCS", "GOGC", "GODEBUG", "GOTRACEBACK", "GOMEMLIMIT"), RunEnv...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("conform: %s %s: %v\n%s", bin, strings.Join(args, " "), err, stderr.Bytes())
	}
	toks := strings.Fields(string(out))
	if len(toks) == 0 {
		return nil, fmt.Errorf("conform: %s %s printed nothing", bin, strings.Join(args, " "))
	}
	return toks, nil
}
