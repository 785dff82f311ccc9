package properties

import (
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/commands"
	"github.com/leanovate/gopter/gen"

	"github.com/gmplab/gmplab/impl"
	"github.com/gmplab/gmplab/model"
	"github.com/gmplab/gmplab/spec"
)

var gopterSeed = flag.Int64("gopter.seed", 0, "seed of TestLockstepGopter (0: from the clock)")

// TestLockstepGopter is the lockstep property in gopter's commands form,
// the second opinion beside rapid: the model's State is gopter's state
// (NextState = model.Step), the implementation's drive mode is the system
// under test (Run = the action of the same name), and the postcondition
// compares the snapshots. gopter's strength here is that each command is
// a concrete action (Spawn m=m0, Steal m=m1 victim=p0 round=0) whose
// precondition is re-checked while shrinking, so a shrunk failure is a
// list of real actions.
func TestLockstepGopter(t *testing.T) {
	seed := *gopterSeed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	t.Logf("seed %d (reproduce with -gopter.seed=%d)", seed, seed)
	params := gopter.DefaultTestParametersWithSeed(seed)
	params.MinSuccessfulTests = 50
	var initials []any
	for _, name := range []string{"explore", "pingpong", "syscall", "procs", "stackgrow", "gosched"} {
		code := loadWorkload(t, name)
		for procs := 1; procs <= 3; procs++ {
			cfg := spec.Default(procs).WithRunqSize(2)
			s, err := model.Init(&model.Env{Cfg: cfg, Code: code}, model.Boot{})
			if err != nil {
				t.Fatal(err)
			}
			initials = append(initials, s)
		}
	}
	cmds := &commands.ProtoCommands{
		NewSystemUnderTestFunc: func(st commands.State) commands.SystemUnderTest {
			s := st.(model.State)
			d, err := impl.NewDrive(s.Env.Cfg, s.Env.Code, impl.Boot{}, false)
			if err != nil {
				panic(err) // the same config and workload as the model's: a bug
			}
			return d
		},
		InitialStateGen: gen.OneConstOf(initials...),
		GenCommandFunc: func(st commands.State) gopter.Gen {
			en := model.Enabled(st.(model.State))
			if len(en) == 0 {
				return gen.Const(actionCommand{})
			}
			return gen.IntRange(0, len(en)-1).Map(func(i int) commands.Command { return actionCommand{en[i]} })
		},
	}
	props := gopter.NewProperties(params)
	props.Property("model and impl agree step by step", commands.Prop(cmds))
	if !props.Run(gopter.ConsoleReporter(false)) {
		t.Errorf("reproduce: go test ./properties -run TestLockstepGopter -gopter.seed=%d -v", seed)
	}
}

// actionCommand is one model action as a gopter command; a nil action
// does nothing (the run is over).
type actionCommand struct{ a model.Action }

func (c actionCommand) Run(sut commands.SystemUnderTest) commands.Result {
	d := sut.(*impl.Drive)
	if c.a != nil {
		if err := ApplyToDrive(d, c.a); err != nil {
			return err
		}
	}
	return d.Snapshot()
}

func (c actionCommand) NextState(st commands.State) commands.State {
	if c.a == nil {
		return st
	}
	next, err := model.Step(st.(model.State), c.a)
	if err != nil {
		panic(fmt.Sprintf("NextState after a passed precondition: %v", err))
	}
	return next
}

func (c actionCommand) PreCondition(st commands.State) bool {
	if c.a == nil {
		return true
	}
	_, err := model.Step(st.(model.State), c.a)
	return err == nil
}

func (c actionCommand) PostCondition(st commands.State, res commands.Result) *gopter.PropResult {
	if err, ok := res.(error); ok {
		return &gopter.PropResult{Status: gopter.PropError, Error: fmt.Errorf("impl refused %v: %w", c.a, err)}
	}
	isnap := res.(spec.Snapshot)
	if err := spec.All(&isnap); err != nil {
		return &gopter.PropResult{Status: gopter.PropError, Error: fmt.Errorf("impl broke an invariant after %v: %w", c.a, err)}
	}
	if msnap := st.(model.State).Snapshot(); !sameSnapshot(msnap, isnap) {
		return &gopter.PropResult{Status: gopter.PropFalse, Error: fmt.Errorf("snapshots differ after %v", c.a)}
	}
	return &gopter.PropResult{Status: gopter.PropTrue}
}

func (c actionCommand) String() string {
	if c.a == nil {
		return "(nothing enabled)"
	}
	return c.a.String()
}
