package main

import (
	"os/exec"
	"strings"
	"testing"
)

// gmplab conform: bad flags are usage errors (exit 2); a small run
// prints the table and agrees (exit 0).
func TestConform(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"conform", "-runs", "0"}, "-runs: must be at least 1, not 0"},
		{[]string{"conform", "-case", "["}, "-case: error parsing regexp"},
		{[]string{"conform", "-case", "nosuch"}, `-case "nosuch" matches no case`},
		{[]string{"conform", "extra"}, `unexpected argument "extra"`},
	} {
		code, _, stderr := gmplab(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("gmplab %s: exit %d, stderr %q; want exit 2 and %q", strings.Join(c.args, " "), code, stderr, c.want)
		}
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skipf("skipping the run: no go command on PATH (%v)", err)
	}
	code, stdout, stderr := gmplab(t, "conform", "-runs", "2", "-case", "^(spawn-10|chan-wake)$")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"case ", "verdict", "spawn-10 ", "chan-wake ", "agree"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the table lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "gosched") {
		t.Errorf("-case did not filter:\n%s", stdout)
	}
}
