package research

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gmplab/gmplab/spec"
)

func TestParseConfig(t *testing.T) {
	def := spec.Default(2)
	for _, c := range []struct {
		label string
		edit  func(*spec.Config)
	}{
		{"go1.26", func(*spec.Config) {}},
		{"no-runnext", func(c *spec.Config) { c.Runnext = false }},
		{"steal-one", func(c *spec.Config) { c.StealAmount = spec.StealOne }},
		{"no-global-check", func(c *spec.Config) { c.GlobalCheckPeriod = 0 }},
		{"article", func(c *spec.Config) {
			c.GlobalCheckPeriod, c.RetakePolicy, c.RetakeGrace = 60, spec.RetakeAfter, 20*time.Millisecond
		}},
		{"ring-16", func(c *spec.Config) { *c = c.WithRunqSize(16) }},
		{"runq-size=16,runnext=false", func(c *spec.Config) { *c = c.WithRunqSize(16); c.Runnext = false }},
		{"article procs=4", func(c *spec.Config) {
			c.GlobalCheckPeriod, c.RetakePolicy, c.RetakeGrace, c.Procs = 60, spec.RetakeAfter, 20*time.Millisecond, 4
		}},
	} {
		want := def
		c.edit(&want)
		got, err := ParseConfig(c.label, 2)
		if err != nil {
			t.Errorf("ParseConfig(%q): %v", c.label, err)
			continue
		}
		if got.Label != c.label || !reflect.DeepEqual(got.Cfg, want) {
			t.Errorf("ParseConfig(%q) = %q %v, want %v", c.label, got.Label, got.Cfg, want)
		}
	}
}

func TestParseConfigErrors(t *testing.T) {
	for label, want := range map[string]string{
		"":                       "empty",
		"go1.27":                 `unknown preset "go1.27"`,
		"ring-x":                 `unknown preset "ring-x"`,
		"ring-3":                 "runq-size = 3: must be a power of two",
		"no-such-knob=1":         `unknown knob "no-such-knob"`,
		"runnext=maybe":          "want true or false",
		"procs=2,no-runnext":     "must come first",
		"global-check-period=-1": "global-check-period = -1",
	} {
		_, err := ParseConfig(label, 1)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseConfig(%q) = %v, want an error containing %q", label, err, want)
		}
	}
}

func TestParseRange(t *testing.T) {
	for s, want := range map[string]string{
		"1:64:x2":      "1 2 4 8 16 32 64",
		"0:120:+20":    "0 20 40 60 80 100 120",
		"0:10:4":       "0 4 8",
		"5:5:+1":       "5",
		"1ms:3ms:+1ms": "1ms 2ms 3ms",
		"10us:40us:x2": "10µs 20µs 40µs",
	} {
		got, err := ParseRange(s)
		if err != nil || strings.Join(got, " ") != want {
			t.Errorf("ParseRange(%q) = %v, %v; want %s", s, got, err, want)
		}
	}
	for s, want := range map[string]string{
		"1:64":        "want LO:HI:STEP",
		"a:b:+1":      "integers or both durations",
		"1:2ms:+1":    "integers or both durations",
		"64:1:x2":     "LO > HI",
		"1:64:x1":     "at least 2",
		"0:64:x2":     "start above 0",
		"1:64:+0":     "must be positive",
		"1:64:-1":     "must be positive",
		"1:64:xq":     "want xN",
		"1ms:2ms:+1":  "same kind",
		"0:100000:+1": "more than 1000 values",
	} {
		_, err := ParseRange(s)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseRange(%q) = %v, want an error containing %q", s, err, want)
		}
	}
}

func TestSweepConfigs(t *testing.T) {
	cs, err := SweepConfigs("no-runnext", "runq-size", []string{"4", "16"}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].Label != "runq-size=4" || cs[1].Cfg.RunqSize != 16 || cs[1].Cfg.Runnext || cs[1].Cfg.Procs != 2 {
		t.Errorf("SweepConfigs = %+v", cs)
	}
	if _, err := SweepConfigs("go1.26", "nope", []string{"1"}, 1); err == nil || !strings.Contains(err.Error(), `unknown knob "nope"`) {
		t.Errorf("unknown knob: %v", err)
	}
	if _, err := SweepConfigs("go1.26", "runq-size", []string{"3"}, 1); err == nil || !strings.Contains(err.Error(), "power of two") {
		t.Errorf("bad value: %v", err)
	}
}
