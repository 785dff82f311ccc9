package properties

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gmplab/gmplab/impl"
	"github.com/gmplab/gmplab/model"
	"github.com/gmplab/gmplab/spec"
)

// lockstep holds the model and the implementation's drive mode at the
// same point of the same run.
type lockstep struct {
	cfg   spec.Config
	ms    model.State
	d     *impl.Drive
	trail []model.Action
	// modelRefused: step's failure is the model refusing an action its
	// own Enabled listed (the model disagreeing with itself), not a
	// difference between the forms.
	modelRefused bool
}

// newLockstep starts both forms and compares their initial states.
func newLockstep(cfg spec.Config, code *spec.Code, boot model.Boot) (*lockstep, string) {
	return newLockstepMutants(cfg, code, boot, 0, 0)
}

// newLockstepMutants is newLockstep with deliberate bugs switched on in
// the model (mm) and in the implementation (im), for the mutation report.
func newLockstepMutants(cfg spec.Config, code *spec.Code, boot model.Boot, mm model.Mutants, im impl.Mutants) (*lockstep, string) {
	ls, msg, err := newLockstepCase(cfg, code, boot, mm, im)
	if err != nil {
		return nil, err.Error()
	}
	return ls, msg
}

// newLockstepCase is newLockstepMutants with a setup error (a form that
// does not start) apart from a difference between the forms (msg).
func newLockstepCase(cfg spec.Config, code *spec.Code, boot model.Boot, mm model.Mutants, im impl.Mutants) (ls *lockstep, msg string, err error) {
	ms, err := model.Init(&model.Env{Cfg: cfg, Code: code, Mutants: mm}, boot)
	if err != nil {
		return nil, "", err
	}
	d, err := impl.NewDrive(cfg, code, impl.Boot{Schedtick: boot.Schedtick, Ring: boot.Ring, Runnext: boot.Runnext}, true, im)
	if err != nil {
		return nil, "", err
	}
	ls = &lockstep{cfg: cfg, ms: ms, d: d}
	if msnap, isnap := ms.Snapshot(), d.Snapshot(); !sameSnapshot(msnap, isnap) {
		return nil, ls.report("initial snapshots differ (-model +impl):\n%s", cmp.Diff(msnap, isnap, cmpopts.EquateEmpty())), nil
	}
	d.Events()
	return ls, "", nil
}

// step applies a to both forms and compares: the implementation accepts
// what the model enables, keeps every invariant, and has the same
// snapshot and the same trace events. It returns "" or what went wrong,
// with the config and the actions so far.
func (ls *lockstep) step(a model.Action) string {
	ls.trail = append(ls.trail, a)
	next, mevs, err := model.StepTrace(ls.ms, a)
	if err != nil {
		ls.modelRefused = true
		return ls.report("model refused %v: %v", a, err)
	}
	if err := ApplyToDrive(ls.d, a); err != nil {
		return ls.report("impl refused %v: %v", a, err)
	}
	ls.ms = next
	msnap, isnap := ls.ms.Snapshot(), ls.d.Snapshot()
	if err := spec.All(&isnap); err != nil {
		return ls.report("impl broke an invariant: %v", err)
	}
	if !sameSnapshot(msnap, isnap) {
		return ls.report("snapshots differ after %v (-model +impl):\n%s", a, cmp.Diff(msnap, isnap, cmpopts.EquateEmpty()))
	}
	if ievs := ls.d.Events(); !reflect.DeepEqual(nilIfEmpty(mevs), nilIfEmpty(ievs)) {
		return ls.report("events differ after %v (-model +impl):\n%s", a, cmp.Diff(mevs, ievs, cmpopts.EquateEmpty()))
	}
	return ""
}

func (ls *lockstep) report(format string, args ...any) string {
	acts := make([]string, len(ls.trail))
	for i, a := range ls.trail {
		acts[i] = a.String()
	}
	return fmt.Sprintf("config %s\nactions:\n  %s\n%s", ls.cfg, strings.Join(acts, "\n  "), fmt.Sprintf(format, args...))
}

// sameSnapshot is cmp.Equal with cmpopts.EquateEmpty, fast: snapshots of
// deep stacks hold tens of thousands of words, and cmp's reflection is
// slow on them. It normalizes empty slices to nil and uses
// reflect.DeepEqual; cmp.Diff is only for showing a difference.
func sameSnapshot(a, b spec.Snapshot) bool {
	normalizeSnapshot(&a)
	normalizeSnapshot(&b)
	return reflect.DeepEqual(a, b)
}

func normalizeSnapshot(s *spec.Snapshot) {
	s.Global = nilIfEmpty(s.Global)
	s.IdleP = nilIfEmpty(s.IdleP)
	s.IdleM = nilIfEmpty(s.IdleM)
	s.Keys = nilIfEmpty(s.Keys)
	for i := range s.Ps {
		s.Ps[i].Runq = nilIfEmpty(s.Ps[i].Runq)
	}
	for i := range s.Keys {
		s.Keys[i].Waiters = nilIfEmpty(s.Keys[i].Waiters)
	}
	for i := range s.Gs {
		st := &s.Gs[i].Stack
		st.Frames = nilIfEmpty(st.Frames)
		for j := range st.Frames {
			st.Frames[j].Slots = nilIfEmpty(st.Frames[j].Slots)
		}
	}
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}
