package spec

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Knob is one Config field under its one name: the CLI flag, the compare
// sweep parameter and the TLA+ constant all use Name.
type Knob struct {
	Name string
	Doc  string
	get  func(*Config) string
	set  func(*Config, string) error
}

// Get returns the knob's value in c, in the text form Set accepts.
func (k Knob) Get(c Config) string { return k.get(&c) }

func intKnob(name, doc string, f func(*Config) *int) Knob {
	return Knob{name, doc,
		func(c *Config) string { return strconv.Itoa(*f(c)) },
		func(c *Config, s string) error {
			v, err := strconv.Atoi(s)
			if err != nil {
				return fmt.Errorf("want an integer")
			}
			*f(c) = v
			return nil
		}}
}

func int64Knob(name, doc string, f func(*Config) *int64) Knob {
	return Knob{name, doc,
		func(c *Config) string { return strconv.FormatInt(*f(c), 10) },
		func(c *Config, s string) error {
			v, err := strconv.ParseFloat(s, 64) // accepts 1e9
			if err != nil || v != float64(int64(v)) {
				return fmt.Errorf("want an integer number of bytes")
			}
			*f(c) = int64(v)
			return nil
		}}
}

func boolKnob(name, doc string, f func(*Config) *bool) Knob {
	return Knob{name, doc,
		func(c *Config) string { return strconv.FormatBool(*f(c)) },
		func(c *Config, s string) error {
			v, err := strconv.ParseBool(s)
			if err != nil {
				return fmt.Errorf("want true or false")
			}
			*f(c) = v
			return nil
		}}
}

func durKnob(name, doc string, f func(*Config) *time.Duration) Knob {
	return Knob{name, doc,
		func(c *Config) string { return f(c).String() },
		func(c *Config, s string) error {
			v, err := time.ParseDuration(s)
			if err != nil {
				return fmt.Errorf("want a duration such as 20us or 10ms")
			}
			*f(c) = v
			return nil
		}}
}

var knobs = []Knob{
	intKnob("procs", "GOMAXPROCS: the number of Ps", func(c *Config) *int { return &c.Procs }),
	{"runq-size", "local ring capacity, a power of two; also sets spill-batch and global-batch-cap to half unless they are set explicitly after it",
		func(c *Config) string { return strconv.Itoa(c.RunqSize) },
		func(c *Config, s string) error {
			v, err := strconv.Atoi(s)
			if err != nil {
				return fmt.Errorf("want an integer")
			}
			*c = c.WithRunqSize(v)
			return nil
		}},
	boolKnob("runnext", "use the one-slot runnext for spawned and readied Gs", func(c *Config) *bool { return &c.Runnext }),
	intKnob("spill-batch", "oldest ring Gs moved to the global tail when the ring is full (plus the G that did not fit)", func(c *Config) *int { return &c.SpillBatch }),
	intKnob("global-check-period", "take one global G when schedtick % period == 0 (0 = never)", func(c *Config) *int { return &c.GlobalCheckPeriod }),
	intKnob("global-batch-cap", "cap of a global batch: min(cap, size, size/procs+1)", func(c *Config) *int { return &c.GlobalBatchCap }),
	intKnob("steal-rounds", "passes of stealWork over all Ps", func(c *Config) *int { return &c.StealRounds }),
	boolKnob("steal-runnext-last-round-only", "a thief may take runnext only in the last round", func(c *Config) *bool { return &c.StealRunnextLastRoundOnly }),
	{"steal-amount", "how much a steal takes: half (ceil) or one",
		func(c *Config) string { return c.StealAmount.String() },
		func(c *Config, s string) error {
			switch s {
			case "half":
				c.StealAmount = StealHalf
			case "one":
				c.StealAmount = StealOne
			default:
				return fmt.Errorf("want half or one")
			}
			return nil
		}},
	durKnob("force-preempt", "age of a time slice at which sysmon requests preemption", func(c *Config) *time.Duration { return &c.ForcePreempt }),
	durKnob("sysmon-min-delay", "sysmon's shortest sleep", func(c *Config) *time.Duration { return &c.SysmonMinDelay }),
	durKnob("sysmon-max-delay", "sysmon's longest sleep", func(c *Config) *time.Duration { return &c.SysmonMaxDelay }),
	intKnob("sysmon-idle-rounds", "idle sysmon rounds before its sleep starts doubling", func(c *Config) *int { return &c.SysmonIdleRounds }),
	{"retake-policy", "when sysmon retakes a P from a syscall: go1.26 or after (retake-grace old, never sooner)",
		func(c *Config) string { return c.RetakePolicy.String() },
		func(c *Config, s string) error {
			switch s {
			case "go1.26":
				c.RetakePolicy = RetakeGo126
			case "after":
				c.RetakePolicy = RetakeAfter
			default:
				return fmt.Errorf("want go1.26 or after")
			}
			return nil
		}},
	durKnob("retake-grace", "syscall age after which its P is retaken even with nothing to gain", func(c *Config) *time.Duration { return &c.RetakeGrace }),
	int64Knob("stack-min", "bytes of a new G's stack, a power of two", func(c *Config) *int64 { return &c.StackMin }),
	int64Knob("stack-max", "largest stack in bytes; growing past it is a fatal stack overflow", func(c *Config) *int64 { return &c.StackMax }),
	int64Knob("stack-guard", "bytes a prologue requires below SP", func(c *Config) *int64 { return &c.StackGuard }),
	int64Knob("stack-shrink-reserve", "bytes added to the used stack in the shrink test used < size/4", func(c *Config) *int64 { return &c.StackShrinkReserve }),
	boolKnob("async-preempt", "honour preemption requests inside computes, not only at calls", func(c *Config) *bool { return &c.AsyncPreempt }),
}

// Knobs lists every knob in a fixed order.
func Knobs() []Knob { return append([]Knob(nil), knobs...) }

// LookupKnob finds a knob by name.
func LookupKnob(name string) (Knob, bool) {
	for _, k := range knobs {
		if k.Name == name {
			return k, true
		}
	}
	return Knob{}, false
}

// Set sets the knob called name from its text form. It does not validate
// the whole Config; call Validate when all knobs are set.
func (c *Config) Set(name, value string) error {
	k, ok := LookupKnob(name)
	if !ok {
		names := make([]string, len(knobs))
		for i, k := range knobs {
			names[i] = k.Name
		}
		sort.Strings(names)
		return fmt.Errorf("config: unknown knob %q (known: %s)", name, strings.Join(names, ", "))
	}
	if err := k.set(c, value); err != nil {
		return &ConfigError{Knob: name, Value: strconv.Quote(value), Allowed: err.Error()}
	}
	return nil
}

// String lists the knobs that differ from Default(c.Procs), as
// "procs=N knob=value ...", in knob order.
func (c Config) String() string {
	d := Default(c.Procs)
	parts := []string{"procs=" + strconv.Itoa(c.Procs)}
	for _, k := range knobs[1:] {
		if v := k.Get(c); v != k.Get(d) {
			parts = append(parts, k.Name+"="+v)
		}
	}
	return strings.Join(parts, " ")
}

// ParseConfig reads "knob=value" words (as Config.String prints them) over
// Default(1).
func ParseConfig(s string) (Config, error) {
	c := Default(1)
	for _, w := range strings.Fields(s) {
		name, val, ok := strings.Cut(w, "=")
		if !ok {
			return c, fmt.Errorf("config: %q: expected knob=value", w)
		}
		if err := c.Set(name, val); err != nil {
			return c, err
		}
	}
	return c, c.Validate()
}
