package conform

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// ErrNoToolchain is returned by FindGo when no go command is installed.
var ErrNoToolchain = errors.New("no go command found (looked for $(go env GOROOT)/bin/go and go on PATH)")

// FindGo returns the installed go command: $(go env GOROOT)/bin/go of the
// go found on PATH, or that go itself.
func FindGo() (string, error) {
	onPath, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNoToolchain, err)
	}
	if out, err := exec.Command(onPath, "env", "GOROOT").Output(); err == nil {
		if root := strings.TrimSpace(string(out)); root != "" {
			cand := filepath.Join(root, "bin", "go")
			if _, err := os.Stat(cand); err == nil {
				return cand, nil
			}
		}
	}
	return onPath, nil
}

// Build writes the programs named (testdata/<prog>/main.go) into a module
// of their own under dir and builds each once with goBin into
// dir/bin/<prog>. It builds without the race detector (which randomises
// runnext and spill batches) whatever the caller runs with, and without
// the network (GOFLAGS=-mod=mod is not needed: the programs use only the
// standard library). It returns the binaries by program name.
func Build(goBin, dir string, progs []string) (map[string]string, error) {
	src := filepath.Join(dir, "src")
	bins := map[string]string{}
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(src, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte("module conformprogs\n\ngo 1.26\n"), 0o644); err != nil {
		return nil, err
	}
	var pkgs []string
	for _, p := range slices.Compact(slices.Sorted(slices.Values(progs))) {
		body, err := fs.ReadFile(testdata, path.Join("testdata", p, "main.go"))
		if err != nil {
			return nil, fmt.Errorf("conform: no program testdata/%s/main.go: %v", p, err)
		}
		if err := os.MkdirAll(filepath.Join(src, p), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(src, p, "main.go"), body, 0o644); err != nil {
			return nil, err
		}
		pkgs = append(pkgs, "./"+p)
		bins[p] = filepath.Join(dir, "bin", p)
	}
	// One go build for every program: the toolchain's start-up and the
	// standard library's cache lookups are paid once.
	args := append([]string{"build", "-o", filepath.Join(dir, "bin") + string(filepath.Separator)}, pkgs...)
	cmd := exec.Command(goBin, args...)
	cmd.Dir = src
	cmd.Env = append(withoutEnv(os.Environ(), "GOFLAGS", "GOTOOLCHAIN", "GOOS", "GOARCH", "CGO_ENABLED", "GOPROXY"),
		"GOFLAGS=", "GOTOOLCHAIN=local", "GOPROXY=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("conform: %s %s (in %s): %v\n%s", goBin, strings.Join(args, " "), src, err, out)
	}
	return bins, nil
}

// withoutEnv returns env without the variables named.
func withoutEnv(env []string, names ...string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(names, k) {
			out = append(out, kv)
		}
	}
	return out
}
