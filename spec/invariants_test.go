package spec

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// invFrame describes one frame for invStack: its function, its size and
// its pointer slots (slot -> target).
type invFrame struct {
	fn   string
	size int64
	ptrs map[int]Ref
}

// invStack builds generation gen of g's stack, of the given size, holding
// frames (outermost first) whose pointer slots point at their targets.
func invStack(g GID, gen uint32, size int64, frames ...invFrame) Stack {
	lo, hi := StackRegion(g, gen, size)
	st := Stack{Lo: lo, Hi: hi, SP: hi}
	for i, f := range frames {
		fr := Frame{Func: f.fn, Size: f.size, Slots: make([]Word, f.size/8)}
		for k := range fr.Slots {
			fr.Slots[k].Val = uint64(100*i + k) // plain values
		}
		st.Frames = append(st.Frames, fr)
		st.SP -= uint64(f.size)
	}
	for i, f := range frames {
		for k, t := range f.ptrs {
			st.Frames[i].Slots[k] = Word{Ptr: true, Val: st.SlotAddr(t.Frame, t.Slot), Target: t}
		}
	}
	return st
}

// invValidSnapshot is a small realistic state with GOMAXPROCS=2:
//
//   - m0 holds p0 and runs g1 (two frames; frame 1 holds a pointer into
//     frame 0 and one into itself);
//   - p0's runnext is g2, its ring is [g3 g4], the global queue is [g6];
//   - g5 is in a syscall on m1, whose P (p1, its OldP) sysmon retook and
//     idled; p1 is on the idle list;
//   - g7 is parked on key "done"; g8 is dead; m2 is an idle M.
func invValidSnapshot() *Snapshot {
	one := func(g GID, fn string) Stack { return invStack(g, 0, 2048, invFrame{fn: fn, size: 16}) }
	return &Snapshot{
		Procs:  2,
		Global: []GID{6},
		IdleP:  []PID{1},
		IdleM:  []MID{2},
		Ps: []PState{
			{ID: 0, Status: PRunning, M: 0, Runnext: 2, Runq: []GID{3, 4}, Schedtick: 5, Syscalltick: 1},
			{ID: 1, Status: PIdle, M: NoM, Runnext: NoG, Schedtick: 2, Syscalltick: 3},
		},
		Ms: []MState{
			{ID: 0, P: 0, Curg: 1, OldP: NoP},
			{ID: 1, P: NoP, Curg: 5, OldP: 1},
			{ID: 2, P: NoP, Curg: NoG, OldP: NoP},
		},
		Gs: []GState{
			{ID: 1, Status: GRunning, M: 0, Func: "main", Stack: invStack(1, 0, 2048,
				invFrame{fn: "main", size: 64},
				invFrame{fn: "f", size: 32, ptrs: map[int]Ref{0: {0, 2}, 1: {1, 3}}})},
			{ID: 2, Status: GRunnable, M: NoM, Func: "worker", Stack: one(2, "worker")},
			{ID: 3, Status: GRunnable, M: NoM, Func: "worker", Stack: one(3, "worker")},
			{ID: 4, Status: GRunnable, M: NoM, Func: "worker", Preempt: true, Stack: one(4, "worker")},
			{ID: 5, Status: GSyscall, M: 1, Func: "sys", Stack: invStack(5, 0, 2048,
				invFrame{fn: "sys", size: 24, ptrs: map[int]Ref{2: {0, 0}}})},
			{ID: 6, Status: GRunnable, M: NoM, Func: "worker", Stack: one(6, "worker")},
			{ID: 7, Status: GWaiting, M: NoM, Func: "waiter", WaitKey: "done", Stack: one(7, "waiter")},
			{ID: 8, Status: GDead, M: NoM, Func: "worker"},
		},
		Keys:     []KeyState{{Key: "done", Permits: 0, Waiters: []GID{7}}},
		StackMin: 2048,
		StackMax: 1_000_000_000,
		RunqSize: 256,
	}
}

// invSpinning turns the valid snapshot into another valid one: m2 leaves the
// idle list and spins holding p1.
func invSpinning(s *Snapshot) {
	s.IdleP, s.IdleM = nil, nil
	s.Ps[1].Status, s.Ps[1].M = PRunning, 2
	s.Ms[2].P, s.Ms[2].Spinning = 1, true
	s.NMSpinning = 1
}

// Other valid variants of invValidSnapshot.
var invValidVariants = []struct {
	name   string
	mutate func(s *Snapshot)
}{
	{"base", func(s *Snapshot) {}},
	{"spinning M", invSpinning},
	{"syscall keeps its P (go1.26: wired until retake)", func(s *Snapshot) {
		s.IdleP = nil
		s.Ps[1].Status, s.Ps[1].M = PRunning, 1
		s.Ms[1].P = 1
	}},
	{"entersyscallblock: no OldP", func(s *Snapshot) { s.Ms[1].OldP = NoP }},
	{"dead P after GOMAXPROCS decrease", func(s *Snapshot) {
		s.Ps = append(s.Ps, PState{ID: 2, Status: PDead, M: NoM, Runnext: NoG})
	}},
	{"grown stack, pointers adjusted", func(s *Snapshot) {
		s.Gs[0].Stack = invStack(1, 1, 4096,
			invFrame{fn: "main", size: 64},
			invFrame{fn: "f", size: 32, ptrs: map[int]Ref{0: {0, 2}, 1: {1, 3}}})
	}},
	{"dead G's stack is not checked", func(s *Snapshot) {
		s.Gs[7].Stack = Stack{Lo: 5, Hi: 3, SP: 99, Frames: []Frame{{Func: "x", Size: 3}}}
	}},
	{"zero-size frame", func(s *Snapshot) {
		s.Gs[1].Stack = invStack(2, 0, 2048, invFrame{fn: "worker", size: 0})
	}},
	{"keys unsorted", func(s *Snapshot) {
		s.Keys = []KeyState{{Key: "x"}, s.Keys[0], {Key: "a"}}
	}},
	{"empty state", func(s *Snapshot) {
		*s = Snapshot{StackMin: 2048, StackMax: 4096, RunqSize: 4}
	}},
}

func TestInvariantsValid(t *testing.T) {
	for _, v := range invValidVariants {
		t.Run(v.name, func(t *testing.T) {
			s := invValidSnapshot()
			v.mutate(s)
			if err := All(s); err != nil {
				t.Fatalf("All: %v", err)
			}
			for _, inv := range Invariants() {
				if err := inv.Check(s); err != nil {
					t.Errorf("%s: %v", inv.Name, err)
				}
			}
		})
	}
}

func TestInvariantsNames(t *testing.T) {
	want := []string{
		"GInOnePlace", "RunqBounds", "RunnextNotInRunq", "RunningHasMAndP",
		"IdlePEmpty", "IdleMHasNothing", "WaitingOffQueues", "SpinningHasNoWork",
		"StackBounds", "StackPointersValid",
	}
	var got []string
	for i, inv := range Invariants() {
		got = append(got, inv.Name)
		if inv.Name != checks[i].name {
			t.Errorf("Invariants()[%d] is %s but All runs %s there", i, inv.Name, checks[i].name)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("Invariants() = %v, want %v", got, want)
	}
}

// invG, invP and invM find a G, a P or an M of a test snapshot by ID.
func invG(s *Snapshot, id GID) *GState {
	for i := range s.Gs {
		if s.Gs[i].ID == id {
			return &s.Gs[i]
		}
	}
	panic(fmt.Sprintf("no %v", id))
}

func invP(s *Snapshot, id PID) *PState {
	for i := range s.Ps {
		if s.Ps[i].ID == id {
			return &s.Ps[i]
		}
	}
	panic(fmt.Sprintf("no %v", id))
}

func invM(s *Snapshot, id MID) *MState {
	for i := range s.Ms {
		if s.Ms[i].ID == id {
			return &s.Ms[i]
		}
	}
	panic(fmt.Sprintf("no %v", id))
}

// Each case breaks the valid snapshot; want maps every invariant that must
// report it to a substring of its message. Every other invariant must
// still hold.
var invBrokenCases = []struct {
	name   string
	mutate func(s *Snapshot)
	want   map[string]string
}{
	// GInOnePlace
	{"runnable G lost", func(s *Snapshot) { s.Global = nil },
		map[string]string{"GInOnePlace": "g6 is runnable but on no run queue"}},
	{"G in a ring and in the global queue", func(s *Snapshot) { s.Global = []GID{6, 3} },
		map[string]string{"GInOnePlace": "g3 is in p0's runq[0] and in the global queue[1]"}},
	{"unknown G on the global queue", func(s *Snapshot) { s.Global = []GID{6, 9} },
		map[string]string{"GInOnePlace": "g9 is in the global queue[1] but not in Gs"}},
	{"NoG in a ring", func(s *Snapshot) { invP(s, 0).Runq = []GID{3, NoG, 4} },
		map[string]string{"GInOnePlace": "p0's runq[1] is NoG"}},
	{"G listed twice in Gs", func(s *Snapshot) { s.Gs = append(s.Gs, GState{ID: 8, M: NoM}) },
		map[string]string{"GInOnePlace": "g8 is listed twice in Gs (Gs[7] and Gs[8])"}},
	{"G with ID NoG in Gs", func(s *Snapshot) { s.Gs = append(s.Gs, GState{ID: NoG, M: NoM}) },
		map[string]string{"GInOnePlace": "Gs[8] has invalid ID 0"}},
	{"running G also on the global queue", func(s *Snapshot) { s.Global = []GID{6, 1} },
		map[string]string{"GInOnePlace": "g1 is in the global queue[1] and in m0's curg"}},
	{"running G is curg of two Ms", func(s *Snapshot) { invM(s, 2).Curg = 1; s.IdleM = nil },
		map[string]string{
			"GInOnePlace":     "g1 is in m0's curg and in m2's curg",
			"RunningHasMAndP": "m2's curg g1 has M m0",
		}},
	{"running G names another M", func(s *Snapshot) { invG(s, 1).M = 2 },
		map[string]string{
			"GInOnePlace":     "g1 is running with M m2 but is m0's curg",
			"RunningHasMAndP": "g1 is running on m2, which runs no G",
		}},
	{"syscall G is no M's curg", func(s *Snapshot) { invM(s, 1).Curg = NoG },
		map[string]string{
			"GInOnePlace":     "g5 is in a syscall but no M's curg",
			"RunningHasMAndP": "g5 is in a syscall on m1, which runs no G",
		}},
	{"waiting G on the wrong key", func(s *Snapshot) { invG(s, 7).WaitKey = "other" },
		map[string]string{"GInOnePlace": `g7 is waiting on key "other" but in key "done"'s waiters[0]`}},
	{"waiting G in no waiters list", func(s *Snapshot) { s.Keys[0].Waiters = nil },
		map[string]string{"GInOnePlace": `g7 is waiting on key "done" but in no key's waiters`}},
	{"waiting G without a key", func(s *Snapshot) { invG(s, 7).WaitKey = "" },
		map[string]string{"GInOnePlace": "g7 is waiting but has no WaitKey"}},
	{"dead G in a waiters list", func(s *Snapshot) { s.Keys[0].Waiters = []GID{7, 8} },
		map[string]string{"GInOnePlace": `g8 is dead but in key "done"'s waiters[1]`}},
	{"runnable G keeps an M", func(s *Snapshot) { invG(s, 3).M = 1 },
		map[string]string{"GInOnePlace": "g3 is runnable but has M m1"}},
	{"runnable G keeps a WaitKey", func(s *Snapshot) { invG(s, 3).WaitKey = "done" },
		map[string]string{"GInOnePlace": `g3 is runnable but has WaitKey "done"`}},
	{"key listed twice", func(s *Snapshot) { s.Keys = append(s.Keys, KeyState{Key: "done"}) },
		map[string]string{"GInOnePlace": `key "done" is listed twice in Keys (Keys[0] and Keys[1])`}},
	{"key listed twice, unsorted", func(s *Snapshot) {
		s.Keys = append(s.Keys, KeyState{Key: "zz"}, KeyState{Key: "done"})
	}, map[string]string{"GInOnePlace": `key "done" is listed twice in Keys (Keys[0] and Keys[2])`}},
	{"unknown G status", func(s *Snapshot) { invG(s, 8).Status = 9 },
		map[string]string{
			"GInOnePlace": "g8 has unknown status GStatus(9)",
			"StackBounds": "g8's stack size 0 is not a power of two",
		}},
	{"runnable G is an M's curg", func(s *Snapshot) { invG(s, 5).Status = GRunnable },
		map[string]string{
			"GInOnePlace":     "g5 is runnable but in m1's curg, not on a run queue",
			"RunningHasMAndP": "m1's curg g5 is runnable",
		}},

	// RunqBounds
	{"ring longer than RunqSize", func(s *Snapshot) { s.RunqSize = 1 },
		map[string]string{"RunqBounds": "p0's runq holds 2 Gs, more than RunqSize 1"}},
	{"dead P with a ring", func(s *Snapshot) {
		invP(s, 0).Runq = []GID{3}
		s.Ps = append(s.Ps, PState{ID: 2, Status: PDead, M: NoM, Runq: []GID{4}})
	}, map[string]string{"RunqBounds": "p2 is dead but its runq holds 1 G (first g4)"}},
	{"dead P with a runnext", func(s *Snapshot) {
		invP(s, 0).Runnext = NoG
		s.Ps = append(s.Ps, PState{ID: 2, Status: PDead, M: NoM, Runnext: 2})
	}, map[string]string{"RunqBounds": "p2 is dead but its runnext is g2"}},

	// RunnextNotInRunq (GInOnePlace also sees the G twice)
	{"runnext also in its own ring", func(s *Snapshot) { invP(s, 0).Runq = []GID{3, 4, 2} },
		map[string]string{
			"GInOnePlace":      "g2 is in p0's runnext and in p0's runq[2]",
			"RunnextNotInRunq": "g2 is p0's runnext and also in p0's runq[2]",
		}},
	{"runnext also in another P's ring", func(s *Snapshot) {
		invSpinning(s)
		invM(s, 2).Spinning, s.NMSpinning = false, 0
		invP(s, 1).Runq = []GID{2}
	}, map[string]string{
		"GInOnePlace":      "g2 is in p0's runnext and in p1's runq[0]",
		"RunnextNotInRunq": "g2 is p0's runnext and also in p1's runq[0]",
	}},
	{"runnext also in the global queue", func(s *Snapshot) { s.Global = []GID{6, 2} },
		map[string]string{
			"GInOnePlace":      "g2 is in p0's runnext and in the global queue[1]",
			"RunnextNotInRunq": "g2 is p0's runnext and also in the global queue[1]",
		}},
	{"unknown runnext also in the global queue", func(s *Snapshot) {
		invP(s, 0).Runnext = 99
		s.Global = []GID{6, 99, 2}
	}, map[string]string{
		"GInOnePlace":      "g99 is in p0's runnext but not in Gs",
		"RunnextNotInRunq": "g99 is p0's runnext and also in the global queue[1]",
	}},

	// RunningHasMAndP
	{"running G's M holds no P", func(s *Snapshot) { invM(s, 0).P = NoP },
		map[string]string{"RunningHasMAndP": "g1 is running on m0, which holds no P"}},
	{"running G's P names another M", func(s *Snapshot) { invP(s, 0).M = 2 },
		map[string]string{"RunningHasMAndP": "g1 is running on m0, which holds p0, but p0's M is m2"}},
	{"running G's P is idle", func(s *Snapshot) {
		invP(s, 0).Status = PIdle
	}, map[string]string{
		"RunningHasMAndP": "g1 is running on m0, which holds p0, which is idle",
		"IdlePEmpty":      "p0 is idle but not in IdleP",
	}},
	{"M holds a P that has no M", func(s *Snapshot) { invM(s, 2).P = 1; s.IdleM = nil },
		map[string]string{
			"RunningHasMAndP": "m2 holds p1, but p1 has no M",
		}},
	{"M holds an unknown P", func(s *Snapshot) { invM(s, 2).P = 7; s.IdleM = nil },
		map[string]string{
			"RunningHasMAndP": "m2 holds p7, which is not in Ps",
		}},
	{"running P without an M", func(s *Snapshot) { invP(s, 1).Status = PRunning; s.IdleP = nil },
		map[string]string{"RunningHasMAndP": "p1 is running but has no M"}},
	{"running P whose M holds another P", func(s *Snapshot) {
		invP(s, 1).Status, invP(s, 1).M = PRunning, 0
		s.IdleP = nil
	}, map[string]string{"RunningHasMAndP": "p1's M is m0, but m0 holds p0"}},
	{"idle P with an M", func(s *Snapshot) { invP(s, 1).M = 2 },
		map[string]string{
			"RunningHasMAndP": "p1 is idle but has M m2",
			"IdlePEmpty":      "idle p1 has M m2",
		}},
	{"unknown P status", func(s *Snapshot) {
		s.Ps = append(s.Ps, PState{ID: 2, Status: 7, M: NoM})
	}, map[string]string{"RunningHasMAndP": "p2 has unknown status PStatus(7)"}},
	{"OldP on an M that runs no G", func(s *Snapshot) { invM(s, 2).OldP = 1 },
		map[string]string{"RunningHasMAndP": "m2 has OldP p1 but runs no G"}},
	{"OldP on an M whose G is running", func(s *Snapshot) { invM(s, 0).OldP = 1 },
		map[string]string{"RunningHasMAndP": "m0 has OldP p1 but its curg g1 is running, not in a syscall"}},
	{"syscall G on an unknown M", func(s *Snapshot) { invG(s, 5).M = 7 },
		map[string]string{
			"GInOnePlace":     "g5 is in a syscall with M m7 but is m1's curg",
			"RunningHasMAndP": "g5 is in a syscall on m7, which is not in Ms",
		}},
	{"M listed twice", func(s *Snapshot) { s.Ms = append(s.Ms, MState{ID: 2, P: NoP, OldP: NoP}) },
		map[string]string{
			"RunningHasMAndP": "m2 is listed twice in Ms (Ms[2] and Ms[3])",
			"IdleMHasNothing": "m2 is listed twice in Ms (Ms[2] and Ms[3])",
		}},
	{"P listed twice", func(s *Snapshot) { s.Ps = append(s.Ps, PState{ID: 1, Status: PDead, M: NoM}) },
		map[string]string{
			"RunningHasMAndP": "p1 is listed twice in Ps (Ps[1] and Ps[2])",
			"IdlePEmpty":      "p1 is listed twice in Ps (Ps[1] and Ps[2])",
		}},

	// IdlePEmpty
	{"idle P not on the idle list", func(s *Snapshot) { s.IdleP = nil },
		map[string]string{"IdlePEmpty": "p1 is idle but not in IdleP"}},
	{"idle P twice on the idle list", func(s *Snapshot) { s.IdleP = []PID{1, 1} },
		map[string]string{"IdlePEmpty": "p1 is in IdleP twice (IdleP[0] and IdleP[1])"}},
	{"running P on the idle list", func(s *Snapshot) { s.IdleP = []PID{1, 0} },
		map[string]string{"IdlePEmpty": "p0 is in IdleP but running"}},
	{"unknown P on the idle list", func(s *Snapshot) { s.IdleP = []PID{1, 5} },
		map[string]string{"IdlePEmpty": "IdleP[1] is p5, which is not in Ps"}},
	{"idle P with a ring", func(s *Snapshot) { invP(s, 0).Runq = []GID{3}; invP(s, 1).Runq = []GID{4} },
		map[string]string{"IdlePEmpty": "idle p1's runq holds 1 G (first g4)"}},
	{"idle P with a runnext", func(s *Snapshot) { invP(s, 0).Runnext = NoG; invP(s, 1).Runnext = 2 },
		map[string]string{"IdlePEmpty": "idle p1's runnext is g2"}},

	// IdleMHasNothing
	{"M twice on the idle list", func(s *Snapshot) { s.IdleM = []MID{2, 2} },
		map[string]string{"IdleMHasNothing": "m2 is in IdleM twice (IdleM[0] and IdleM[1])"}},
	{"M with a P on the idle list", func(s *Snapshot) { s.IdleM = []MID{2, 0} },
		map[string]string{"IdleMHasNothing": "idle m0 holds p0"}},
	{"M in a syscall on the idle list", func(s *Snapshot) { s.IdleM = []MID{1, 2} },
		map[string]string{"IdleMHasNothing": "idle m1 runs g5"}},
	{"unknown M on the idle list", func(s *Snapshot) { s.IdleM = []MID{9} },
		map[string]string{"IdleMHasNothing": "IdleM[0] is m9, which is not in Ms"}},
	{"idle M spinning", func(s *Snapshot) { invM(s, 2).Spinning = true; s.NMSpinning = 1 },
		map[string]string{
			"IdleMHasNothing":   "idle m2 is spinning",
			"SpinningHasNoWork": "spinning m2 holds no P",
		}},

	// WaitingOffQueues (GInOnePlace implies it)
	{"waiting G also in a ring", func(s *Snapshot) { invP(s, 0).Runq = []GID{3, 4, 7} },
		map[string]string{
			"GInOnePlace":      `g7 is in p0's runq[2] and in key "done"'s waiters[0]`,
			"WaitingOffQueues": "g7 is waiting but in p0's runq[2]",
		}},
	{"waiting G moved to the global queue", func(s *Snapshot) {
		s.Keys[0].Waiters = nil
		s.Global = []GID{6, 7}
	}, map[string]string{
		"GInOnePlace":      `g7 is waiting on key "done" but in the global queue[1]`,
		"WaitingOffQueues": "g7 is waiting but in the global queue[1]",
	}},
	{"dead G in a runnext", func(s *Snapshot) {
		invP(s, 0).Runnext = 8
		s.Global = []GID{6, 2}
	}, map[string]string{
		"GInOnePlace":      "g8 is dead but in p0's runnext",
		"WaitingOffQueues": "g8 is dead but p0's runnext",
	}},

	// SpinningHasNoWork
	{"NMSpinning too high", func(s *Snapshot) { s.NMSpinning = 1 },
		map[string]string{"SpinningHasNoWork": "NMSpinning is 1 but 0 M(s) spin"}},
	{"NMSpinning too low", func(s *Snapshot) { invSpinning(s); s.NMSpinning = 0 },
		map[string]string{"SpinningHasNoWork": "NMSpinning is 0 but 1 M(s) spin (m2)"}},
	{"spinning M with a ring", func(s *Snapshot) {
		invSpinning(s)
		invP(s, 0).Runq = []GID{3}
		invP(s, 1).Runq = []GID{4}
	}, map[string]string{"SpinningHasNoWork": "spinning m2 holds p1, whose runq holds 1 G (first g4)"}},
	{"spinning M with a runnext", func(s *Snapshot) {
		invSpinning(s)
		invP(s, 0).Runnext = NoG
		invP(s, 1).Runnext = 2
	}, map[string]string{"SpinningHasNoWork": "spinning m2 holds p1, whose runnext is g2"}},
	{"spinning M runs a G", func(s *Snapshot) { invM(s, 0).Spinning = true; s.NMSpinning = 1 },
		map[string]string{"SpinningHasNoWork": "spinning m0 runs g1"}},

	// StackBounds
	{"stack size not a power of two", func(s *Snapshot) { st := &invG(s, 2).Stack; st.Lo = st.Hi - 3000 },
		map[string]string{"StackBounds": "g2's stack size 3000 is not a power of two"}},
	{"stack below StackMin", func(s *Snapshot) { invG(s, 2).Stack = invStack(2, 0, 1024, invFrame{fn: "worker", size: 16}) },
		map[string]string{"StackBounds": "g2's stack size 1024 is outside [StackMin 2048, StackMax 1000000000]"}},
	{"stack above StackMax", func(s *Snapshot) { s.StackMax = 1024 },
		map[string]string{"StackBounds": "g1's stack size 2048 is outside [StackMin 2048, StackMax 1024]"}},
	{"stack Hi below Lo", func(s *Snapshot) { st := &invG(s, 3).Stack; st.Lo, st.Hi = st.Hi, st.Lo },
		map[string]string{"StackBounds": "g3's stack has Hi"}},
	{"SP off by one word", func(s *Snapshot) { invG(s, 1).Stack.SP -= 8 },
		map[string]string{"StackBounds": "g1's SP is 0x1007fffff98, but Hi - frame sizes (96 bytes) is 0x1007fffffa0"}},
	{"SP outside the stack", func(s *Snapshot) { invG(s, 7).Stack.SP = 1 },
		map[string]string{"StackBounds": "g7's SP 0x1 is outside its stack"}},
	{"frame with a slot missing", func(s *Snapshot) {
		f := &invG(s, 1).Stack.Frames[0]
		f.Slots = f.Slots[:7]
	}, map[string]string{"StackBounds": "g1's frame 0 (main) has 7 slots, want 8 for size 64"}},
	{"frame size not a multiple of 8", func(s *Snapshot) {
		st := &invG(s, 3).Stack
		st.Frames[0].Size = 12
		st.SP = st.Hi - 12
	}, map[string]string{"StackBounds": "g3's frame 0 (worker) has size 12, not a non-negative multiple of 8"}},
	{"frames larger than the stack", func(s *Snapshot) {
		invG(s, 3).Stack = invStack(3, 0, 2048, invFrame{fn: "a", size: 1024}, invFrame{fn: "b", size: 2048})
	}, map[string]string{"StackBounds": "g3's frames 0..1 total 3072 bytes, more than its stack size 2048"}},
	{"runnable G with no stack", func(s *Snapshot) { invG(s, 6).Stack = Stack{} },
		map[string]string{"StackBounds": "g6's stack size 0 is not a power of two"}},

	// StackPointersValid
	{"pointers not adjusted by a stack copy", func(s *Snapshot) {
		old := invG(s, 1).Stack
		st := invStack(1, 1, 4096, invFrame{fn: "main", size: 64}, invFrame{fn: "f", size: 32})
		st.Frames[1].Slots = old.Frames[1].Slots // the words, copied but not adjusted
		invG(s, 1).Stack = st
	}, map[string]string{"StackPointersValid": "g1's frame 1 (f) slot 0 points to 0x1007fffffd0, outside its stack [0x100fffff000, 0x10100000000)"}},
	{"pointer to the wrong slot", func(s *Snapshot) { invG(s, 1).Stack.Frames[1].Slots[0].Val += 8 },
		map[string]string{"StackPointersValid": "g1's frame 1 (f) slot 0 points to 0x1007fffffd8, but its target (frame 0 slot 2) is at 0x1007fffffd0"}},
	{"pointer into another G's stack", func(s *Snapshot) {
		invG(s, 5).Stack.Frames[0].Slots[2].Val = invG(s, 1).Stack.SlotAddr(0, 0)
	}, map[string]string{"StackPointersValid": "g5's frame 0 (sys) slot 2 points to 0x1007fffffc0, outside its stack [0x5007ffff800, 0x50080000000)"}},
	{"pointer target frame missing", func(s *Snapshot) { invG(s, 1).Stack.Frames[1].Slots[0].Target.Frame = 5 },
		map[string]string{"StackPointersValid": "g1's frame 1 (f) slot 0 targets frame 5, but the stack has 2 frames"}},
	{"pointer target slot missing", func(s *Snapshot) { invG(s, 1).Stack.Frames[1].Slots[1].Target.Slot = -1 },
		map[string]string{"StackPointersValid": "g1's frame 1 (f) slot 1 targets slot -1 of frame 1 (f), which has 4 slots"}},
}

func TestInvariantsBroken(t *testing.T) {
	names := map[string]bool{}
	for _, inv := range Invariants() {
		names[inv.Name] = true
	}
	caught := map[string]bool{}
	for _, tc := range invBrokenCases {
		t.Run(tc.name, func(t *testing.T) {
			for name := range tc.want {
				if !names[name] {
					t.Fatalf("case names unknown invariant %s", name)
				}
			}
			s := invValidSnapshot()
			tc.mutate(s)
			first := ""
			for _, inv := range Invariants() {
				err := inv.Check(s)
				want, ok := tc.want[inv.Name]
				switch {
				case !ok && err != nil:
					t.Errorf("%s also fails: %v", inv.Name, err)
				case ok && err == nil:
					t.Errorf("%s holds, want an error containing %q", inv.Name, want)
				case ok && !strings.Contains(err.Error(), want):
					t.Errorf("%s: %v\nwant it to contain %q", inv.Name, err, want)
				}
				if ok {
					caught[inv.Name] = true
				}
				if err != nil && first == "" {
					first = inv.Name
				}
			}
			err := All(s)
			var ie *InvariantError
			if !errors.As(err, &ie) {
				t.Fatalf("All = %v, want an *InvariantError", err)
			}
			if ie.Name != first || !strings.HasPrefix(err.Error(), first+": ") {
				t.Errorf("All = %v, want it to come from %s, the first failing invariant", err, first)
			}
			if want := tc.want[first]; !strings.Contains(err.Error(), want) {
				t.Errorf("All = %v, want it to contain %q", err, want)
			}
		})
	}
	for name := range names {
		if !caught[name] {
			t.Errorf("no case breaks %s", name)
		}
	}
}

func TestInvariantsNil(t *testing.T) {
	if err := All(nil); err == nil {
		t.Error("All(nil) = nil")
	}
	for _, inv := range Invariants() {
		if err := inv.Check(nil); err == nil {
			t.Errorf("%s(nil) = nil", inv.Name)
		}
	}
}

// TestInvariantsSlotAddr checks that the pointer check agrees with
// Stack.SlotAddr on every slot of a many-frame stack.
func TestInvariantsSlotAddr(t *testing.T) {
	s := invValidSnapshot()
	var frames []invFrame
	for i := 0; i < 6; i++ {
		frames = append(frames, invFrame{fn: fmt.Sprint("f", i), size: int64(8 * (i + 1))})
	}
	st := invStack(1, 3, 2048, frames...)
	for f := range st.Frames {
		for k := range st.Frames[f].Slots {
			for tf := 0; tf <= f; tf++ {
				for ts := range st.Frames[tf].Slots {
					st.Frames[f].Slots[k] = Word{Ptr: true, Val: st.SlotAddr(tf, ts), Target: Ref{tf, ts}}
					invG(s, 1).Stack = st
					if err := All(s); err != nil {
						t.Fatalf("slot %d:%d -> %d:%d: %v", f, k, tf, ts, err)
					}
				}
			}
		}
	}
}

// TestInvariantsNoPanic runs every invariant on arbitrary, mostly broken,
// snapshots: none may panic, and All must report the first failing one.
func TestInvariantsNoPanic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		gid := rapid.Custom(func(t *rapid.T) GID { return GID(rapid.IntRange(-2, 9).Draw(t, "g")) })
		pid := rapid.Custom(func(t *rapid.T) PID { return PID(rapid.IntRange(-2, 4).Draw(t, "p")) })
		mid := rapid.Custom(func(t *rapid.T) MID { return MID(rapid.IntRange(-2, 4).Draw(t, "m")) })
		gids := rapid.SliceOfN(gid, 0, 5)
		key := rapid.SampledFrom([]string{"", "a", "b"})
		word := rapid.Custom(func(t *rapid.T) Word {
			return Word{
				Ptr:    rapid.Bool().Draw(t, "ptr"),
				Val:    rapid.Uint64().Draw(t, "val"),
				Target: Ref{rapid.IntRange(-1, 3).Draw(t, "tf"), rapid.IntRange(-1, 9).Draw(t, "ts")},
			}
		})
		frame := rapid.Custom(func(t *rapid.T) Frame {
			return Frame{Func: "f", Size: rapid.Int64Range(-8, 80).Draw(t, "size"), Slots: rapid.SliceOfN(word, 0, 10).Draw(t, "slots")}
		})
		s := &Snapshot{
			Procs:      rapid.IntRange(0, 4).Draw(t, "procs"),
			Global:     gids.Draw(t, "global"),
			IdleP:      rapid.SliceOfN(pid, 0, 3).Draw(t, "idlep"),
			IdleM:      rapid.SliceOfN(mid, 0, 3).Draw(t, "idlem"),
			NMSpinning: rapid.IntRange(0, 3).Draw(t, "nmspinning"),
			StackMin:   rapid.SampledFrom([]int64{0, 64, 2048}).Draw(t, "stackmin"),
			StackMax:   rapid.SampledFrom([]int64{0, 4096, 1 << 30}).Draw(t, "stackmax"),
			RunqSize:   rapid.IntRange(0, 4).Draw(t, "runqsize"),
		}
		for range rapid.IntRange(0, 4).Draw(t, "nps") {
			s.Ps = append(s.Ps, PState{
				ID: pid.Draw(t, "id"), Status: PStatus(rapid.IntRange(0, 3).Draw(t, "pstatus")),
				M: mid.Draw(t, "pm"), Runnext: gid.Draw(t, "runnext"), Runq: gids.Draw(t, "runq"),
			})
		}
		for range rapid.IntRange(0, 4).Draw(t, "nms") {
			s.Ms = append(s.Ms, MState{
				ID: mid.Draw(t, "id"), P: pid.Draw(t, "mp"), Curg: gid.Draw(t, "curg"),
				Spinning: rapid.Bool().Draw(t, "spinning"), OldP: pid.Draw(t, "oldp"),
			})
		}
		for range rapid.IntRange(0, 8).Draw(t, "ngs") {
			g := GState{
				ID: gid.Draw(t, "id"), Status: GStatus(rapid.IntRange(0, 5).Draw(t, "gstatus")),
				M: mid.Draw(t, "gm"), WaitKey: key.Draw(t, "waitkey"),
			}
			if rapid.Bool().Draw(t, "realstack") {
				size := rapid.SampledFrom([]int64{64, 2048, 4096}).Draw(t, "ssize")
				g.Stack.Lo, g.Stack.Hi = StackRegion(g.ID, 0, size)
			} else {
				g.Stack.Lo, g.Stack.Hi = rapid.Uint64().Draw(t, "lo"), rapid.Uint64().Draw(t, "hi")
			}
			g.Stack.Frames = rapid.SliceOfN(frame, 0, 3).Draw(t, "frames")
			g.Stack.SP = g.Stack.Hi - uint64(rapid.Int64Range(0, 200).Draw(t, "used"))
			s.Gs = append(s.Gs, g)
		}
		for range rapid.IntRange(0, 3).Draw(t, "nkeys") {
			s.Keys = append(s.Keys, KeyState{Key: key.Draw(t, "key"), Waiters: gids.Draw(t, "waiters")})
		}

		first := ""
		for _, inv := range Invariants() {
			if err := inv.Check(s); err != nil && first == "" {
				first = inv.Name
			}
		}
		err := All(s)
		var ie *InvariantError
		switch {
		case first == "" && err != nil:
			t.Fatalf("every invariant holds but All = %v", err)
		case first != "" && (!errors.As(err, &ie) || ie.Name != first):
			t.Fatalf("%s is the first to fail but All = %v", first, err)
		}
	})
}

// invBenchSnapshot is a busy state with GOMAXPROCS=4 and 20 Gs: four running
// Gs with two-frame stacks and pointers, four runnexts, six ring Gs, two
// global Gs, two waiting Gs, one syscall G and one dead G.
func invBenchSnapshot() *Snapshot {
	s := &Snapshot{
		Procs:    4,
		Global:   []GID{15, 16},
		IdleM:    []MID{5},
		Keys:     []KeyState{{Key: "a", Waiters: []GID{17}}, {Key: "b", Waiters: []GID{18}}},
		StackMin: 2048,
		StackMax: 1_000_000_000,
		RunqSize: 256,
	}
	rings := [][]GID{{9, 10, 11}, {12, 13}, {14}, nil}
	for i := range 4 {
		s.Ps = append(s.Ps, PState{ID: PID(i), Status: PRunning, M: MID(i), Runnext: GID(5 + i), Runq: rings[i]})
		s.Ms = append(s.Ms, MState{ID: MID(i), P: PID(i), Curg: GID(1 + i), OldP: NoP})
	}
	s.Ms = append(s.Ms, MState{ID: 4, P: NoP, Curg: 19, OldP: 3}, MState{ID: 5, P: NoP, OldP: NoP})
	for id := GID(1); id <= 20; id++ {
		g := GState{ID: id, Status: GRunnable, M: NoM, Func: "worker",
			Stack: invStack(id, 0, 2048, invFrame{fn: "worker", size: 32, ptrs: map[int]Ref{1: {0, 0}}})}
		switch {
		case id <= 4:
			g.Status, g.M = GRunning, MID(id-1)
			g.Stack = invStack(id, 2, 8192, invFrame{fn: "main", size: 64, ptrs: map[int]Ref{7: {0, 1}}},
				invFrame{fn: "f", size: 128, ptrs: map[int]Ref{0: {0, 2}, 1: {1, 3}, 5: {0, 0}}})
		case id == 17:
			g.Status, g.WaitKey = GWaiting, "a"
		case id == 18:
			g.Status, g.WaitKey = GWaiting, "b"
		case id == 19:
			g.Status, g.M = GSyscall, 4
		case id == 20:
			g.Status, g.Stack = GDead, Stack{}
		}
		s.Gs = append(s.Gs, g)
	}
	return s
}

func BenchmarkAll(b *testing.B) {
	s := invBenchSnapshot()
	if err := All(s); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := All(s); err != nil {
			b.Fatal(err)
		}
	}
}
