package spec

import (
	"errors"
	"fmt"
	"time"
)

// StealAmount is how much of a victim's ring a thief takes.
type StealAmount uint8

const (
	// StealHalf takes ceil(len/2), as runqgrab does (proc.go:7664-7667).
	StealHalf StealAmount = iota
	// StealOne takes a single G (a research variant, not the runtime's rule).
	StealOne
)

func (a StealAmount) String() string {
	switch a {
	case StealHalf:
		return "half"
	case StealOne:
		return "one"
	}
	return fmt.Sprintf("StealAmount(%d)", uint8(a))
}

// RetakePolicy is the rule sysmon uses to take a P from a G in a syscall.
type RetakePolicy uint8

const (
	// RetakeGo126 is retake's rule in go1.26 (proc.go:6693-6716): retake on
	// the second look at the same syscall when the P has local work or no P
	// is idle and no M spins, and otherwise once the syscall is RetakeGrace
	// old.
	RetakeGo126 RetakePolicy = iota
	// RetakeAfter retakes a P whose syscall is at least RetakeGrace old, and
	// never earlier (the simplified "20 ms" description; a variant).
	RetakeAfter
)

func (r RetakePolicy) String() string {
	switch r {
	case RetakeGo126:
		return "go1.26"
	case RetakeAfter:
		return "after"
	}
	return fmt.Sprintf("RetakePolicy(%d)", uint8(r))
}

// Config holds every scheduler policy as a knob. [Default] gives go1.26.8's
// values on linux/amd64; the reference for each is in its comment. The knob
// names (see [Knobs]) are the CLI flag names.
type Config struct {
	// Procs is GOMAXPROCS: the number of Ps.
	Procs int
	// RunqSize is the capacity of a P's local ring (runtime2.go:805: 256).
	RunqSize int
	// Runnext enables the one-slot runnext (runtime2.go:818). When off,
	// spawned and readied Gs go to the ring tail.
	Runnext bool
	// SpillBatch is how many of the oldest ring Gs runqputslow moves to the
	// global tail when the ring is full, before the G that did not fit
	// (proc.go:7528: half of a full ring, 128).
	SpillBatch int
	// GlobalCheckPeriod: findRunnable takes one G from the global queue when
	// schedtick % GlobalCheckPeriod == 0 (proc.go:3443: 61). 0 disables it.
	GlobalCheckPeriod int
	// GlobalBatchCap caps a global batch: min(cap, size, size/Procs+1)
	// (proc.go:7300; callers pass len(runq)/2 = 128).
	GlobalBatchCap int
	// StealRounds is the number of passes stealWork makes over all Ps
	// (proc.go:3833: stealTries = 4).
	StealRounds int
	// StealRunnextLastRoundOnly lets a thief take a victim's runnext only in
	// the last round (proc.go:3852, stealTimersOrRunNextG).
	StealRunnextLastRoundOnly bool
	// StealAmount is how much a steal takes (runqgrab: half).
	StealAmount StealAmount
	// ForcePreempt is how old a time slice must be before sysmon asks for
	// its preemption (proc.go:6628: forcePreemptNS = 10 ms).
	ForcePreempt time.Duration
	// SysmonMinDelay and SysmonMaxDelay bound sysmon's sleep; it starts at
	// the minimum and doubles after SysmonIdleRounds idle rounds
	// (proc.go:6498-6506: 20 µs, 10 ms, 50).
	SysmonMinDelay   time.Duration
	SysmonMaxDelay   time.Duration
	SysmonIdleRounds int
	// RetakePolicy and RetakeGrace decide when sysmon retakes a P from a G
	// in a syscall (proc.go:6693-6716: go1.26, 10 ms).
	RetakePolicy RetakePolicy
	RetakeGrace  time.Duration
	// StackMin is the size of a new G's stack (stack.go:78: 2048).
	StackMin int64
	// StackMax is the largest stack allowed; growing past it is a fatal
	// "stack overflow" (proc.go:160: maxstacksize = 1,000,000,000).
	StackMax int64
	// StackGuard is the room a function prologue requires below SP
	// (stack.go:94-102: 928 on linux/amd64).
	StackGuard int64
	// StackShrinkReserve is added to the used part of a stack before the
	// shrink test used < size/4 (stack.go:1317: stackNosplit = 800).
	StackShrinkReserve int64
	// AsyncPreempt lets a preemption request stop a G inside a compute
	// (signal-based preemption, preempt.go); when off, only at a call.
	AsyncPreempt bool
}

// Default returns go1.26.8's scheduler policy with the given GOMAXPROCS.
func Default(procs int) Config {
	return Config{
		Procs:                     procs,
		RunqSize:                  256,
		Runnext:                   true,
		SpillBatch:                128,
		GlobalCheckPeriod:         61,
		GlobalBatchCap:            128,
		StealRounds:               4,
		StealRunnextLastRoundOnly: true,
		StealAmount:               StealHalf,
		ForcePreempt:              10 * time.Millisecond,
		SysmonMinDelay:            20 * time.Microsecond,
		SysmonMaxDelay:            10 * time.Millisecond,
		SysmonIdleRounds:          50,
		RetakePolicy:              RetakeGo126,
		RetakeGrace:               10 * time.Millisecond,
		StackMin:                  2048,
		StackMax:                  1_000_000_000,
		StackGuard:                928,
		StackShrinkReserve:        800,
		AsyncPreempt:              true,
	}
}

// WithRunqSize returns c with a ring of n slots and the runtime's derived
// batch sizes: a spill and a global batch of n/2 (the runtime computes both
// from len(runq)).
func (c Config) WithRunqSize(n int) Config {
	c.RunqSize = n
	c.SpillBatch = n / 2
	c.GlobalBatchCap = n / 2
	if c.SpillBatch < 1 {
		c.SpillBatch = 1
	}
	if c.GlobalBatchCap < 1 {
		c.GlobalBatchCap = 1
	}
	return c
}

// MaxProcs is the largest GOMAXPROCS a Config may ask for.
const MaxProcs = 1024

// ConfigError says which knob is wrong and what it allows.
type ConfigError struct {
	Knob    string // the knob's name, as in [Knobs]
	Value   string
	Allowed string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("config: %s = %s: %s", e.Knob, e.Value, e.Allowed)
}

func isPow2(n int64) bool { return n > 0 && n&(n-1) == 0 }

// Validate reports every knob that is out of its allowed range, each as a
// *ConfigError naming the knob, its value and what is allowed.
func (c Config) Validate() error {
	var errs []error
	bad := func(knob string, v any, allowed string, args ...any) {
		errs = append(errs, &ConfigError{Knob: knob, Value: fmt.Sprint(v), Allowed: fmt.Sprintf(allowed, args...)})
	}
	if c.Procs < 1 || c.Procs > MaxProcs {
		bad("procs", c.Procs, "must be in [1, %d]", MaxProcs)
	}
	if c.RunqSize < 2 || c.RunqSize > 1<<16 || !isPow2(int64(c.RunqSize)) {
		bad("runq-size", c.RunqSize, "must be a power of two in [2, 65536]")
	}
	if c.SpillBatch < 1 || c.SpillBatch > c.RunqSize {
		bad("spill-batch", c.SpillBatch, "must be in [1, runq-size=%d]", c.RunqSize)
	}
	if c.GlobalCheckPeriod < 0 {
		bad("global-check-period", c.GlobalCheckPeriod, "must be >= 0 (0 disables the check)")
	}
	if c.GlobalBatchCap < 1 || c.GlobalBatchCap > c.RunqSize+1 {
		bad("global-batch-cap", c.GlobalBatchCap, "must be in [1, runq-size+1=%d] (the rest of a batch must fit an empty ring)", c.RunqSize+1)
	}
	if c.StealRounds < 1 || c.StealRounds > 64 {
		bad("steal-rounds", c.StealRounds, "must be in [1, 64]")
	}
	if c.StealAmount > StealOne {
		bad("steal-amount", c.StealAmount, "must be half or one")
	}
	if c.ForcePreempt <= 0 {
		bad("force-preempt", c.ForcePreempt, "must be > 0")
	}
	if c.SysmonMinDelay <= 0 {
		bad("sysmon-min-delay", c.SysmonMinDelay, "must be > 0")
	}
	if c.SysmonMaxDelay < c.SysmonMinDelay {
		bad("sysmon-max-delay", c.SysmonMaxDelay, "must be >= sysmon-min-delay=%v", c.SysmonMinDelay)
	}
	if c.SysmonIdleRounds < 0 {
		bad("sysmon-idle-rounds", c.SysmonIdleRounds, "must be >= 0")
	}
	if c.RetakePolicy > RetakeAfter {
		bad("retake-policy", c.RetakePolicy, "must be go1.26 or after")
	}
	if c.RetakeGrace < 0 {
		bad("retake-grace", c.RetakeGrace, "must be >= 0")
	}
	if c.StackMin < 64 || c.StackMin > 1<<30 || !isPow2(c.StackMin) {
		bad("stack-min", c.StackMin, "must be a power of two in [64, 2^30]")
	}
	if c.StackMax < c.StackMin || c.StackMax > 1<<31 {
		bad("stack-max", c.StackMax, "must be in [stack-min=%d, 2^31]", c.StackMin)
	}
	if c.StackGuard < 0 || c.StackGuard >= c.StackMin {
		bad("stack-guard", c.StackGuard, "must be in [0, stack-min=%d)", c.StackMin)
	}
	if c.StackShrinkReserve < 0 || c.StackShrinkReserve >= c.StackMin {
		bad("stack-shrink-reserve", c.StackShrinkReserve, "must be in [0, stack-min=%d)", c.StackMin)
	}
	return errors.Join(errs...)
}

// GlobalBatch is the number of Gs globrunqgetbatch moves from a global
// queue of the given size: min(GlobalBatchCap, size, size/Procs+1)
// (proc.go:7300).
func (c Config) GlobalBatch(size int) int {
	return min(c.GlobalBatchCap, size, size/c.Procs+1)
}

// StealCount is how many of n ring Gs a steal takes: ceil(n/2) under
// StealHalf (proc.go:7667: n - n/2), one under StealOne.
func (c Config) StealCount(n int) int {
	if n == 0 {
		return 0
	}
	if c.StealAmount == StealOne {
		return 1
	}
	return n - n/2
}

// InitialStack is the stack size of a new G whose first function has a
// frame of the given bytes: StackMin, doubled until the frame and the
// guard fit, as the function's first prologue would grow it (newproc1
// allocates stackMin, stack.go:1177-1191 doubles). ok is false when that
// size passes StackMax: the G's first prologue would be a fatal stack
// overflow.
func (c Config) InitialStack(frame int64) (size int64, ok bool) {
	size = c.StackMin
	for size < frame+c.StackGuard {
		size *= 2
	}
	return size, size <= c.StackMax
}

// FirstFrameOverflow is the fatal error of a G whose first frame does not
// fit StackMax (see InitialStack).
func (c Config) FirstFrameOverflow(fn string, frame int64) string {
	size, _ := c.InitialStack(frame)
	return fmt.Sprintf("runtime: goroutine stack exceeds %d-byte limit; fatal error: stack overflow (a new goroutine running %s needs %d bytes for its %d-byte frame)", c.StackMax, fn, size, frame)
}
