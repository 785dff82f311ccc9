package spec

import (
	"strings"
	"testing"
	"testing/quick"
)

func TestDefaultIsValid(t *testing.T) {
	for _, procs := range []int{1, 2, 64, MaxProcs} {
		if err := Default(procs).Validate(); err != nil {
			t.Errorf("Default(%d): %v", procs, err)
		}
	}
}

// Each bad value is reported with the knob's name and the allowed range.
func TestValidateNamesKnob(t *testing.T) {
	cases := []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.Procs = 0 }, "config: procs = 0: must be in [1, 1024]"},
		{func(c *Config) { c.RunqSize = 100 }, "config: runq-size = 100: must be a power of two in [2, 65536]"},
		{func(c *Config) { c.RunqSize = 1 }, "config: runq-size = 1: must be a power of two"},
		{func(c *Config) { c.SpillBatch = 300 }, "config: spill-batch = 300: must be in [1, runq-size=256]"},
		{func(c *Config) { c.GlobalCheckPeriod = -1 }, "config: global-check-period = -1"},
		{func(c *Config) { c.StealRounds = 0 }, "config: steal-rounds = 0: must be in [1, 64]"},
		{func(c *Config) { c.StackMin = 3000 }, "config: stack-min = 3000: must be a power of two"},
		{func(c *Config) { c.StackMax = 1024 }, "config: stack-max = 1024: must be in [stack-min=2048, 2^31]"},
		{func(c *Config) { c.StackGuard = 4096 }, "config: stack-guard = 4096: must be in [0, stack-min=2048)"},
		{func(c *Config) { c.SysmonMaxDelay = 1 }, "config: sysmon-max-delay = 1ns: must be >= sysmon-min-delay=20µs"},
		{func(c *Config) { c.ForcePreempt = 0 }, "config: force-preempt = 0s: must be > 0"},
	}
	for _, c := range cases {
		cfg := Default(1)
		c.mod(&cfg)
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want it to contain %q", err, c.want)
		}
	}
}

// Every knob round-trips through Set and Get, and Config.String parses
// back to the same Config.
func TestKnobsRoundTrip(t *testing.T) {
	c := Default(3).WithRunqSize(16)
	c.Runnext = false
	c.StealAmount = StealOne
	c.RetakePolicy = RetakeAfter
	c.StackMax = 1 << 20
	got, err := ParseConfig(c.String())
	if err != nil {
		t.Fatal(err)
	}
	if got != c {
		t.Fatalf("ParseConfig(%q) = %+v, want %+v", c.String(), got, c)
	}
	for _, k := range Knobs() {
		d := Default(2)
		if err := d.Set(k.Name, k.Get(c)); err != nil {
			t.Errorf("%s: %v", k.Name, err)
		}
		if k.Get(d) != k.Get(c) {
			t.Errorf("%s: set %q, got %q", k.Name, k.Get(c), k.Get(d))
		}
	}
	if err := c.Set("no-such-knob", "1"); err == nil || !strings.Contains(err.Error(), "unknown knob") {
		t.Errorf("unknown knob: %v", err)
	}
	if err := c.Set("procs", "many"); err == nil || !strings.Contains(err.Error(), `procs = "many": want an integer`) {
		t.Errorf("bad value: %v", err)
	}
}

// The global batch is min(128, size, size/GOMAXPROCS+1) (proc.go:7300),
// with the brief's worked examples.
func TestGlobalBatch(t *testing.T) {
	for _, c := range []struct{ procs, size, want int }{
		{1, 1, 1}, {1, 100, 100}, {1, 500, 128}, {4, 100, 26}, {4, 1, 1}, {2, 5, 3}, {8, 1000, 126},
	} {
		if got := Default(c.procs).GlobalBatch(c.size); got != c.want {
			t.Errorf("procs=%d size=%d: %d, want %d", c.procs, c.size, got, c.want)
		}
	}
	// Against a naive restatement, for all small inputs.
	f := func(procs8, size16 uint16) bool {
		procs, size := int(procs8%64)+1, int(size16%2000)
		want := 128
		if size < want {
			want = size
		}
		if size/procs+1 < want {
			want = size/procs + 1
		}
		return Default(procs).GlobalBatch(size) == want
	}
	if err := quick.Check(f, nil); err != nil {
		t.Error(err)
	}
}

// A steal takes ceil(n/2): 1 of 1, 1 of 2, 2 of 3, 128 of 256 (runqgrab).
func TestStealCount(t *testing.T) {
	c := Default(2)
	for n, want := range map[int]int{0: 0, 1: 1, 2: 1, 3: 2, 255: 128, 256: 128} {
		if got := c.StealCount(n); got != want {
			t.Errorf("StealCount(%d) = %d, want %d", n, got, want)
		}
	}
	c.StealAmount = StealOne
	if got := c.StealCount(10); got != 1 {
		t.Errorf("StealOne: %d", got)
	}
}
