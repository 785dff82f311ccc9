-------------------------------- MODULE GMP --------------------------------
(***************************************************************************)
(* gmplab's untimed reference model of Go's GMP scheduler (package model), *)
(* for the whole workload language (compute, call, descend, return, spawn, *)
(* gosched, syscall, park, ready, gc, exit, gomaxprocs, set, ref, store,   *)
(* check, repeat).  The variables below are isomorphic to model.State in   *)
(* untimed mode, so TLC's distinct-state count and depth equal those of    *)
(* the Go explorer (model.Explore) on the same workload, and the reachable *)
(* sets are equal (model.TLCStateText renders a model.State as the TLA+    *)
(* state; tla/manifest.json records the digests of both).                  *)
(*                                                                         *)
(* Every action is one atomic step of model.Step, named as in              *)
(* spec.ActionKinds; every invariant is named as in spec.Invariants.       *)
(*                                                                         *)
(*   Schedule      findRunnable's local part (proc.go:3389-3798)           *)
(*   Steal         stealWork/runqsteal/runqgrab (proc.go:3828-3895,        *)
(*                 7662-7747)                                              *)
(*   Compute       the G finishes a compute statement (untimed: at once)   *)
(*   Call          a call's prologue: newstack grows the stack by doubling *)
(*                 and copying (stack.go:1055-1222, copystack 929-1032)    *)
(*   Spawn         newproc + runqput(next) + wakep (proc.go:5295, 7478)    *)
(*   Gosched       goschedImpl (proc.go:4307-4346)                         *)
(*   Preempt       gopreempt_m at a call's prologue or (async) a compute   *)
(*   Park, Ready   gopark / ready (proc.go:1120-1140)                      *)
(*   EnterSyscall  reentersyscall: the P stays wired [go1.26]              *)
(*   ExitSyscall   exitsyscall, exitsyscallTryGetP, exitsyscallNoP         *)
(*   GC            stop the world, shrinkstack on every G (stack.go:1286-  *)
(*                 1335), procresize at the same count, start the world   *)
(*   Goexit        goexit0                                                 *)
(*   Gomaxprocs    stopTheWorld + procresize + startTheWorld               *)
(*                 (proc.go:6030-6251)                                     *)
(*   SysmonPreempt retake's long-slice preemption, time abstracted         *)
(*   SysmonRetake  retake of a P from a syscall, time abstracted           *)
(*                                                                         *)
(* Left out (see tla/README.md): SysmonTick and Advance, which exist only  *)
(* in timed mode (this is the untimed model).                              *)
(***************************************************************************)
EXTENDS Integers, Sequences, FiniteSets

CONSTANTS
    Procs,             \* the initial GOMAXPROCS (Config.Procs)
    RunqSize,          \* capacity of a P's ring (Config.RunqSize)
    SpillBatch,        \* oldest ring Gs runqputslow moves (Config.SpillBatch)
    GlobalBatchCap,    \* cap of a global batch (Config.GlobalBatchCap)
    GlobalCheckPeriod, \* the schedtick % 61 check; 0 disables it
    StealRounds,       \* passes of stealWork (Config.StealRounds)
    StealRunnextLastRoundOnly, \* runnext only stolen in the last round
    StackMin,          \* a new G's stack size (Config.StackMin)
    StackMax,          \* the largest stack; growing past it is fatal
    StackGuard,        \* room a prologue needs below SP (Config.StackGuard)
    StackShrinkReserve, \* added to the used part before the shrink test
    AsyncPreempt,      \* a preemption request stops a G at a compute
    Funcs,             \* the workload (spec.Code): a sequence of functions
                       \* [frame |-> bytes, body |-> instructions], each
                       \* instruction a record with all the fields of
                       \* Instr0 (see Ins); model.TLAFuncs writes it
    MainFn,            \* the index in Funcs of main
    NKeys,             \* number of park/ready keys (indices 0..NKeys-1)
    MutSpillDropsKicked,     \* mutant: runqputslow loses the G that did not fit
    MutStealRunnextNonEmpty, \* mutant: a runnext round takes runnext from a
                             \* victim whose ring is not empty
    MutCopyNoAdjust          \* mutant: copystack does not adjust pointers

(***************************************************************************)
(* An instruction of spec.Code: op is the statement's keyword ("end"       *)
(* closes a repeat block); f the 1-based index in Funcs of the called or   *)
(* spawned function; k the 0-based key; n the count, argument, value or    *)
(* GOMAXPROCS; d a duration in ns; slot, up, to, deref as in spec.Instr;   *)
(* jump the 1-based index of the instruction past a repeat's end (for      *)
(* "repeat") or of its repeat (for "end").  Ins(r) fills in the fields r   *)
(* does not give.                                                          *)
(***************************************************************************)
Instr0 == [op |-> "return", f |-> 0, k |-> 0, n |-> 0, d |-> 0, slot |-> 0,
           up |-> 0, to |-> 0, deref |-> FALSE, jump |-> 0]
Ins(r) == [x \in DOMAIN Instr0 |-> IF x \in DOMAIN r THEN r[x] ELSE Instr0[x]]

Ops == {"compute", "call", "descend", "return", "spawn", "gosched", "syscall",
        "park", "ready", "gc", "exit", "gomaxprocs", "set", "ref", "store",
        "check", "repeat", "end"}

IsPow2(x) == \E i \in 0..31 : 2^i = x

ASSUME ConstantsOK ==
    /\ Procs \in Nat \ {0}
    /\ RunqSize \in Nat \ {0, 1}
    /\ SpillBatch \in 1..RunqSize
    /\ GlobalBatchCap \in 1..(RunqSize + 1)
    /\ GlobalCheckPeriod \in Nat
    /\ StealRounds \in 1..64
    /\ StealRunnextLastRoundOnly \in BOOLEAN
    /\ IsPow2(StackMin) /\ StackMin >= 64
    /\ StackMax \in StackMin..(2^30)
    /\ StackGuard \in 0..(StackMin - 1)
    /\ StackShrinkReserve \in 0..(StackMin - 1)
    /\ AsyncPreempt \in BOOLEAN
    /\ MainFn \in 1..Len(Funcs)
    /\ NKeys \in Nat
    /\ MutSpillDropsKicked \in BOOLEAN
    /\ MutStealRunnextNonEmpty \in BOOLEAN
    /\ MutCopyNoAdjust \in BOOLEAN
    /\ \A f \in 1..Len(Funcs) :
          /\ Funcs[f].frame \in Nat /\ Funcs[f].frame % 8 = 0
          /\ Len(Funcs[f].body) > 0
          /\ Funcs[f].body[Len(Funcs[f].body)].op = "return"
          /\ \A i \in 1..Len(Funcs[f].body) :
                DOMAIN Funcs[f].body[i] = DOMAIN Instr0 /\ Funcs[f].body[i].op \in Ops

NoG == 0        \* spec.NoG; GIDs are 1, 2, ... (g1 runs main)
NoM == -1       \* spec.NoM; MIDs are 0, 1, ...
NoP == -1       \* spec.NoP; PIDs are 0, 1, ...
NoKey == -1     \* G.WaitKey of a G that is not waiting
KeyIDs == 0..(NKeys - 1)
NoFatal == [reason |-> "", g |-> NoG]
FatalReasons == {"stack-overflow", "check-failed", "bad-pointer", "bad-ref"}

VARIABLES
    Ps,           \* allp: P -> [st, m, next (runnext), runq, stick (schedtick),
                  \*             ytick (syscalltick)]; every P ever made,
                  \*             those a GOMAXPROCS decrease removed "dead"
    Ms,           \* the Ms, M m at index m+1 (never freed):
                  \*   [p, curg, spin (spinning), oldp]
    Gs,           \* the Gs, G g at index g (dead Gs stay):
                  \*   [st, m, fn, preempt, fresh, wkey, wn, left, and the
                  \*    stack: gen, size, frames (outermost first)]
    Global,       \* the global run queue, head first
    IdleP,        \* sched.pidle as a stack: the last element is the top
    IdleM,        \* sched.midle as a stack: the last element is the top
    NMSpinning,   \* sched.nmspinning
    NeedSpinning, \* sched.needspinning
    Keys,         \* key -> [permits, waiters (in the order they parked)]
    Exited,       \* main returned: the run is over
    NProcs,       \* GOMAXPROCS now (model.State.Procs): Ps 0..NProcs-1 live
    Fatal         \* [reason, g]: the fatal error that ended the run, if any

vars == <<Ps, Ms, Gs, Global, IdleP, IdleM, NMSpinning, NeedSpinning, Keys, Exited,
          NProcs, Fatal>>

(***************************************************************************)
(* A G's stack.  Its address range is implied: generation gen of G g's     *)
(* stack of size bytes is [hi - size, hi) with hi the top of window        *)
(* gen % 256 of g (spec.StackRegion), so the state carries gen and size    *)
(* only.  Frames grow down from hi, the outermost first; a frame is        *)
(* [fn, pc, n (its argument), loops (repeat counters, innermost last),     *)
(* slots (its words, slot s at index s+1)].  A word is [ptr, val, win, tf, *)
(* ts]: a plain value has ptr FALSE and val its value (win, tf, ts 0); a   *)
(* pointer has ptr TRUE, win the address window it points into (the       *)
(* gen % 256 of the stack it was made in or adjusted to), val the address *)
(* as an offset below that window's top (hi - address; TLC's integers     *)
(* cannot hold the addresses themselves), and the ghost target: frame tf   *)
(* (0 = outermost) and slot ts it was made to point at (spec.Word.Target).*)
(***************************************************************************)
ZeroWord == [ptr |-> FALSE, val |-> 0, win |-> 0, tf |-> 0, ts |-> 0]
ValWord(v) == [ZeroWord EXCEPT !.val = v]
FrameSize(fn) == Funcs[fn].frame
NSlots(fn) == Funcs[fn].frame \div 8
NewFrame(fn, n) == [fn |-> fn, pc |-> 1, n |-> n, loops |-> <<>>,
                    slots |-> [i \in 1..NSlots(fn) |-> ZeroWord]]

RECURSIVE UsedTo(_, _)
\* The bytes of frames 1..i (the outermost i frames).
UsedTo(frames, i) == IF i = 0 THEN 0 ELSE FrameSize(frames[i].fn) + UsedTo(frames, i - 1)
Used(gg) == UsedTo(gg.frames, Len(gg.frames))
Win(gen) == gen % 256

RECURSIVE GrowTo(_, _, _)
\* size, doubled until size - used >= need.
GrowTo(size, used, need) == IF size - used < need THEN GrowTo(2 * size, used, need) ELSE size

\* A new G's stack size: StackMin doubled until the frame and the guard fit.
InitialStack(frame) == GrowTo(StackMin, 0, frame + StackGuard)

(***************************************************************************)
(* NOTE.  An action of the model is a composition of proc.go's helpers     *)
(* (execute calls wakep, which calls startm, which calls acquirep ...).    *)
(* To write that composition as it is written in model/*.go, the helpers   *)
(* below are functions from a state record to a state record, and each     *)
(* action ends with Commit, which sets every variable from the record.     *)
(* Variables an action cannot change are still listed in UNCHANGED where  *)
(* the action does not go through Commit.                                 *)
(***************************************************************************)
St == [ps |-> Ps, ms |-> Ms, gs |-> Gs, global |-> Global, idleP |-> IdleP,
       idleM |-> IdleM, nms |-> NMSpinning, need |-> NeedSpinning,
       keys |-> Keys, exited |-> Exited, nprocs |-> NProcs, fatal |-> Fatal]

Commit(t) ==
    /\ Ps' = t.ps
    /\ Ms' = t.ms
    /\ Gs' = t.gs
    /\ Global' = t.global
    /\ IdleP' = t.idleP
    /\ IdleM' = t.idleM
    /\ NMSpinning' = t.nms
    /\ NeedSpinning' = t.need
    /\ Keys' = t.keys
    /\ Exited' = t.exited
    /\ NProcs' = t.nprocs
    /\ Fatal' = t.fatal

MIDs == 0..(Len(Ms) - 1)
GIDs == 1..Len(Gs)
PIDs == 0..(NProcs - 1)  \* the live Ps
AllPIDs == DOMAIN Ps     \* every P ever made, dead ones included

Min(a, b) == IF a < b THEN a ELSE b
Max(a, b) == IF a > b THEN a ELSE b
Top(q) == q[Len(q)]
Pop(q) == SubSeq(q, 1, Len(q) - 1)
Count(q, x) == Len(SelectSeq(q, LAMBDA y : y = x))
Remove(q, x) == SelectSeq(q, LAMBDA y : y /= x)
SeqSet(q) == {q[i] : i \in 1..Len(q)}

RECURSIVE SortedSeq(_)
\* The integers of S in increasing order.
SortedSeq(S) ==
    IF S = {} THEN <<>>
    ELSE LET x == CHOOSE y \in S : \A z \in S : y <= z IN <<x>> \o SortedSeq(S \ {x})

\* newproc1 (proc.go:5313-5427): a G running fn with argument n on a new stack.
NewG(fn, n) == [st |-> "runnable", m |-> NoM, fn |-> fn, preempt |-> FALSE,
                fresh |-> FALSE, wkey |-> NoKey, wn |-> 0, left |-> 0,
                gen |-> 0, size |-> InitialStack(FrameSize(fn)),
                frames |-> <<NewFrame(fn, n)>>]
NewM == [p |-> NoP, curg |-> NoG, spin |-> FALSE, oldp |-> NoP]
NewP == [st |-> "idle", m |-> NoM, next |-> NoG, runq |-> <<>>, stick |-> 0, ytick |-> 0]

Depth(s, g) == Len(s.gs[g].frames)
TopF(s, g) == s.gs[g].frames[Depth(s, g)]
Instr(s, g) == Funcs[TopF(s, g).fn].body[TopF(s, g).pc]

\* The run ends with fatal error reason on g (model's stepper.fatal).
SetFatal(s, g, reason) == [s EXCEPT !.fatal = [reason |-> reason, g |-> g]]

\* The top frame of g moves to its next instruction (not normalized).
IncPC(s, g) == LET d == Depth(s, g) IN [s EXCEPT !.gs[g].frames[d].pc = @ + 1]

(***************************************************************************)
(* Resolve(gg, w): the frame (0-based, outermost 0) and slot at the        *)
(* address a pointer word holds, by address alone (model's resolve): it    *)
(* must lie in gg's stack, 8-aligned, inside a live frame.                 *)
(***************************************************************************)
Resolve(gg, w) ==
    LET fs == {i \in 1..Len(gg.frames) :
                 /\ w.val <= UsedTo(gg.frames, i)
                 /\ w.val > UsedTo(gg.frames, i) - FrameSize(gg.frames[i].fn)}
    IN IF ~w.ptr \/ w.win /= Win(gg.gen) \/ w.val < 1 \/ w.val > gg.size
          \/ w.val % 8 /= 0 \/ fs = {}
       THEN [ok |-> FALSE, f |-> 0, s |-> 0]
       ELSE LET i == CHOOSE i \in fs : TRUE
            IN [ok |-> TRUE, f |-> i - 1, s |-> (UsedTo(gg.frames, i) - w.val) \div 8]

(***************************************************************************)
(* Normalize(s, g): run g's local instructions (set, ref, store, check,    *)
(* repeat, end, return from a callee, descend with n = 0) until g rests on *)
(* one another thread could observe (model's normalize).  A failed check, *)
(* a bad pointer or a bad ref ends the run.  At a compute it loads left.  *)
(***************************************************************************)
RECURSIVE Normalize(_, _)
Normalize(s, g) ==
    IF s.fatal /= NoFatal THEN s
    ELSE
    LET gg == s.gs[g]
        d == Len(gg.frames)
        f == gg.frames[d]
        in == Funcs[f.fn].body[f.pc]
    IN
    CASE in.op = "set" ->
            Normalize([s EXCEPT !.gs[g].frames[d].slots[in.slot + 1] = ValWord(in.n),
                                !.gs[g].frames[d].pc = @ + 1], g)
      [] in.op = "ref" ->
            LET t == d - 1 - in.up   \* the target frame, 0-based
            IN IF t < 0 \/ in.to >= NSlots(gg.frames[t + 1].fn)
               THEN SetFatal(s, g, "bad-ref")
               ELSE Normalize([s EXCEPT !.gs[g].frames[d].slots[in.slot + 1] =
                                          [ptr |-> TRUE, win |-> Win(gg.gen),
                                           val |-> UsedTo(gg.frames, t + 1) - 8 * in.to,
                                           tf |-> t, ts |-> in.to],
                                        !.gs[g].frames[d].pc = @ + 1], g)
      [] in.op = "store" ->
            LET r == Resolve(gg, f.slots[in.slot + 1])
            IN IF ~r.ok THEN SetFatal(s, g, "bad-pointer")
               ELSE Normalize([s EXCEPT !.gs[g].frames[r.f + 1].slots[r.s + 1] = ValWord(in.n),
                                        !.gs[g].frames[d].pc = @ + 1], g)
      [] in.op = "check" ->
            LET w0 == f.slots[in.slot + 1]
                r == Resolve(gg, w0)
            IN IF in.deref /\ ~r.ok THEN SetFatal(s, g, "bad-pointer")
               ELSE LET w == IF in.deref THEN gg.frames[r.f + 1].slots[r.s + 1] ELSE w0
                    IN IF w.ptr \/ w.val /= in.n THEN SetFatal(s, g, "check-failed")
                       ELSE Normalize(IncPC(s, g), g)
      [] in.op = "repeat" ->
            IF in.n = 0 THEN Normalize([s EXCEPT !.gs[g].frames[d].pc = in.jump], g)
            ELSE Normalize([s EXCEPT !.gs[g].frames[d].loops = Append(@, in.n),
                                     !.gs[g].frames[d].pc = @ + 1], g)
      [] in.op = "end" ->
            LET n == Len(f.loops)
            IN IF f.loops[n] > 1
               THEN Normalize([s EXCEPT !.gs[g].frames[d].loops[n] = @ - 1,
                                        !.gs[g].frames[d].pc = in.jump + 1], g)
               ELSE Normalize([s EXCEPT !.gs[g].frames[d].loops = SubSeq(@, 1, n - 1),
                                        !.gs[g].frames[d].pc = @ + 1], g)
      [] in.op = "return" ->
            IF d = 1 THEN s   \* Goexit
            ELSE Normalize([s EXCEPT !.gs[g].frames = SubSeq(@, 1, d - 1)], g)
      [] in.op = "descend" ->
            IF f.n > 0 THEN s ELSE Normalize(IncPC(s, g), g)
      [] in.op = "compute" ->
            IF gg.left = 0 THEN [s EXCEPT !.gs[g].left = in.d] ELSE s
      [] OTHER -> s

\* The G completes its statement (model's advancePC).
AdvancePC(s, g) == Normalize([IncPC(s, g) EXCEPT !.gs[g].fresh = FALSE], g)

(***************************************************************************)
(* copystack (stack.go:929-1032): generation gen+1, newsize bytes, the     *)
(* used part top-aligned, every pointer into the old stack moved by delta  *)
(* = new hi - old hi: it keeps its offset below hi and moves to the new    *)
(* window.  The mutant adjusts nothing.                                    *)
(***************************************************************************)
CopyStack(gg, newsize) ==
    LET ng == gg.gen + 1
        Adj(w) == IF /\ ~MutCopyNoAdjust /\ w.ptr /\ w.win = Win(gg.gen)
                     /\ w.val >= 1 /\ w.val <= gg.size
                  THEN [w EXCEPT !.win = Win(ng)] ELSE w
    IN [gg EXCEPT !.gen = ng, !.size = newsize,
                  !.frames = [i \in DOMAIN @ |->
                                [@[i] EXCEPT !.slots = [j \in DOMAIN @ |-> Adj(@[j])]]]]

\* shrinkstack (stack.go:1286-1335): halve if used + reserve < size/4 and
\* the half is at least StackMin.
ShrinkStack(gg) ==
    IF gg.size \div 2 < StackMin \/ Used(gg) + StackShrinkReserve >= gg.size \div 4
    THEN gg ELSE CopyStack(gg, gg.size \div 2)

\* runqempty: no runnext and an empty ring.
LocalEmpty(s, p) == s.ps[p].next = NoG /\ s.ps[p].runq = <<>>

\* A spinning thief on p could take something from another running P.
Stealable(s, p) ==
    \E v \in 0..(s.nprocs - 1) :
        /\ v /= p
        /\ s.ps[v].st = "running"
        /\ (s.ps[v].runq /= <<>> \/ s.ps[v].next /= NoG)

\* acquirep: wire p to m.
AcquireP(s, m, p) ==
    [s EXCEPT !.ps[p].st = "running", !.ps[p].m = m, !.ms[m + 1].p = p]

\* startm (proc.go:3035-3125): an idle M (the top of the stack) or a new one.
StartM(s, p, spin) ==
    IF s.idleM /= <<>>
    THEN LET m == Top(s.idleM)
         IN [AcquireP([s EXCEPT !.idleM = Pop(@)], m, p) EXCEPT !.ms[m + 1].spin = spin]
    ELSE LET m == Len(s.ms)
         IN [AcquireP([s EXCEPT !.ms = Append(@, NewM)], m, p) EXCEPT !.ms[m + 1].spin = spin]

\* wakep (proc.go:3212-3246): start a spinning M on the most recently idled
\* P if no M spins; with no idle P, set needspinning.
WakeP(s) ==
    IF s.nms /= 0 THEN s
    ELSE IF s.idleP = <<>> THEN [s EXCEPT !.need = TRUE]
    ELSE StartM([s EXCEPT !.nms = @ + 1, !.idleP = Pop(@)], Top(s.idleP), TRUE)

\* pidleput (proc.go:7373-7393): p's local queue is empty.
PidlePut(s, p) ==
    [s EXCEPT !.ps[p].st = "idle", !.ps[p].m = NoM, !.idleP = Append(@, p)]

\* stopm (proc.go:2992-3011).
StopM(s, m) ==
    [s EXCEPT !.ms[m + 1].p = NoP, !.ms[m + 1].curg = NoG,
              !.ms[m + 1].spin = FALSE, !.idleM = Append(@, m)]

\* handoffp (proc.go:3131-3197); netpoll is not modelled.
HandoffP(s, p) ==
    IF ~LocalEmpty(s, p) \/ s.global /= <<>> THEN StartM(s, p, FALSE)
    ELSE IF s.nms + Len(s.idleP) = 0
         THEN StartM([s EXCEPT !.nms = @ + 1, !.need = FALSE], p, TRUE)
    ELSE IF Len(s.idleP) = s.nprocs - 1 THEN StartM(s, p, FALSE)
    ELSE PidlePut(s, p)

\* execute (proc.go:3331-3386) and resetspinning (4021-4035); then g's
\* local instructions run (normalize).
Execute(s, m, g, inherit) ==
    LET p == s.ms[m + 1].p
        s1 == [s EXCEPT !.gs[g].st = "running", !.gs[g].m = m,
                        !.gs[g].preempt = FALSE, !.gs[g].fresh = TRUE,
                        !.ms[m + 1].curg = g,
                        !.ps[p].stick = IF inherit THEN @ ELSE @ + 1]
        s2 == IF s1.ms[m + 1].spin
              THEN WakeP([s1 EXCEPT !.ms[m + 1].spin = FALSE, !.nms = @ - 1])
              ELSE s1
    IN Normalize(s2, g)

\* runqputslow (proc.go:7524-7560): the SpillBatch oldest ring Gs, then g,
\* go to the global tail.  The mutant loses g.
RunqPutSlow(s, p, g) ==
    LET ring == s.ps[p].runq
        batch == SubSeq(ring, 1, SpillBatch) \o
                 (IF MutSpillDropsKicked THEN <<>> ELSE <<g>>)
    IN [s EXCEPT !.ps[p].runq = SubSeq(ring, SpillBatch + 1, Len(ring)),
                 !.global = @ \o batch]

\* runqput(p, g, next=true) (proc.go:7478-7520): g to runnext, the old
\* runnext kicked to the ring tail; a full ring spills.
RunqPut(s, p, g) ==
    LET old == s.ps[p].next
        s1 == [s EXCEPT !.ps[p].next = g]
    IN IF old = NoG THEN s1
       ELSE IF Len(s1.ps[p].runq) < RunqSize
            THEN [s1 EXCEPT !.ps[p].runq = Append(@, old)]
            ELSE RunqPutSlow(s1, p, old)

\* model.State.Deadlocked: every live G is parked.
Deadlocked ==
    /\ ~Exited
    /\ Fatal = NoFatal
    /\ Global = <<>>
    /\ \A m \in MIDs : Ms[m + 1].curg = NoG
    /\ \A p \in AllPIDs : LocalEmpty(St, p)
    /\ \A g \in GIDs : Gs[g].st \notin {"runnable", "running", "syscall"}

\* model.Enabled lists nothing in an ended or deadlocked run.
Live == ~Exited /\ Fatal = NoFatal /\ ~Deadlocked

\* m runs a G in _Grunning (model's stepper.running).
RunsG(m) ==
    /\ Ms[m + 1].curg /= NoG
    /\ Ms[m + 1].p /= NoP
    /\ Gs[Ms[m + 1].curg].st = "running"

CurOp(m) == Instr(St, Ms[m + 1].curg).op

\* The waiters on key k that one more permit satisfies.
ReadyCandidates(s, k) ==
    {w \in SeqSet(s.keys[k].waiters) : s.gs[w].wn <= s.keys[k].permits + 1}

(***************************************************************************)
(* Helpers of Gomaxprocs (below).  StopOne: stopTheWorld's effect on M om  *)
(* (not the caller m); StopFrom: on Ms om.. in M order; DestroyFrom:       *)
(* p.destroy of Ps i..old-1 in increasing order; StartMs: startm (not      *)
(* spinning) on each P of q in order.                                      *)
(***************************************************************************)
StopOne(s, m, om) ==
    IF om = m \/ s.ms[om + 1].p = NoP THEN s
    ELSE LET p == s.ms[om + 1].p
             og == s.ms[om + 1].curg
         IN IF og /= NoG /\ s.gs[og].st = "syscall"
            THEN [s EXCEPT !.ms[om + 1].p = NoP, !.ps[p].ytick = @ + 1, !.ps[p].m = NoM]
            ELSE LET s1 == IF og = NoG THEN s
                           ELSE RunqPut([s EXCEPT !.gs[og].st = "runnable", !.gs[og].m = NoM,
                                                  !.gs[og].preempt = FALSE,
                                                  !.ms[om + 1].curg = NoG], p, og)
                     s2 == IF s1.ms[om + 1].spin
                           THEN [s1 EXCEPT !.ms[om + 1].spin = FALSE, !.nms = @ - 1]
                           ELSE s1
                 IN StopM([s2 EXCEPT !.ps[p].m = NoM], om)

RECURSIVE StopFrom(_, _, _)
StopFrom(s, m, om) == IF om >= Len(s.ms) THEN s ELSE StopFrom(StopOne(s, m, om), m, om + 1)

RECURSIVE DestroyFrom(_, _, _)
\* p.destroy for Ps i..old-1 in increasing order.
DestroyFrom(s, i, old) ==
    IF i >= old THEN s
    ELSE LET pp == s.ps[i]
             front == (IF pp.next /= NoG THEN <<pp.next>> ELSE <<>>) \o pp.runq
         IN DestroyFrom([s EXCEPT !.global = front \o @,
                                  !.ps[i].runq = <<>>, !.ps[i].next = NoG,
                                  !.ps[i].st = "dead", !.ps[i].m = NoM], i + 1, old)

RECURSIVE StartMs(_, _)
StartMs(s, q) == IF q = <<>> THEN s ELSE StartMs(StartM(s, Head(q), FALSE), Tail(q))

\* BEGIN ACTIONS (each name is one of spec.ActionKinds)

(***************************************************************************)
(* Schedule: M m holds a P and runs no G, and runs findRunnable's local    *)
(* part: one global G when schedtick % GlobalCheckPeriod = 0, else         *)
(* runnext (inheriting the slice), the ring head, a global batch.  With    *)
(* nothing found m becomes spinning if it may, and stays with its P if     *)
(* there is something to steal; otherwise it drops its P (pidleput) and    *)
(* parks (stopm).  A spinning M with something to steal and no local work  *)
(* must Steal instead.                                                     *)
(***************************************************************************)
DoSchedule(s, m) ==
    LET p == s.ms[m + 1].p
        pp == s.ps[p]
    IN
    IF GlobalCheckPeriod > 0 /\ pp.stick % GlobalCheckPeriod = 0 /\ s.global /= <<>>
    THEN Execute([s EXCEPT !.global = Tail(@)], m, Head(s.global), FALSE)
    ELSE IF pp.next /= NoG
    THEN Execute([s EXCEPT !.ps[p].next = NoG], m, pp.next, TRUE)
    ELSE IF pp.runq /= <<>>
    THEN Execute([s EXCEPT !.ps[p].runq = Tail(@)], m, Head(pp.runq), FALSE)
    ELSE IF s.global /= <<>>
    THEN \* globrunqgetbatch (proc.go:7293-7310)
         LET n == Min(Min(GlobalBatchCap, Len(s.global)), Len(s.global) \div s.nprocs + 1)
             batch == SubSeq(s.global, 1, n)
         IN Execute([s EXCEPT !.global = SubSeq(@, n + 1, Len(@)),
                              !.ps[p].runq = @ \o Tail(batch)], m, batch[1], FALSE)
    ELSE LET stealable == Stealable(s, p)
             spin == s.ms[m + 1].spin
             canSpin == spin \/ 2 * s.nms < s.nprocs - Len(s.idleP)
             becomes == ~spin /\ (canSpin \/ s.need)
             s1 == IF becomes
                   THEN [s EXCEPT !.ms[m + 1].spin = TRUE, !.nms = @ + 1, !.need = FALSE]
                   ELSE s
             s2 == PidlePut([s1 EXCEPT !.ms[m + 1].p = NoP], p)
             s3 == IF s2.ms[m + 1].spin
                   THEN [s2 EXCEPT !.ms[m + 1].spin = FALSE, !.nms = @ - 1]
                   ELSE s2
         IN IF becomes /\ stealable THEN s1 ELSE StopM(s3, m)

Schedule(m) ==
    /\ Live
    /\ Ms[m + 1].p /= NoP
    /\ Ms[m + 1].curg = NoG
    /\ LET p == Ms[m + 1].p
       IN ~(Ms[m + 1].spin /\ Stealable(St, p) /\ LocalEmpty(St, p) /\ Global = <<>>)
    /\ Commit(DoSchedule(St, m))

(***************************************************************************)
(* Steal: spinning M m takes from victim v in round r of stealWork:        *)
(* ceil(half) of v's ring (the youngest stolen G runs, the others go to    *)
(* m's ring), or, with an empty ring in a round that may take it, v's      *)
(* runnext.  The model lists round 0 and the last round (the others are    *)
(* round 0's twins).  The thief runs the G with a new slice.              *)
(***************************************************************************)
DoSteal(s, m, v, r) ==
    LET vp == s.ps[v]
        tp == s.ms[m + 1].p
        runnextRound == r = StealRounds - 1 \/ ~StealRunnextLastRoundOnly
    IN IF vp.runq /= <<>> /\ ~(MutStealRunnextNonEmpty /\ runnextRound /\ vp.next /= NoG)
       THEN LET n == Len(vp.runq) - Len(vp.runq) \div 2
                stolen == SubSeq(vp.runq, 1, n)
            IN Execute([s EXCEPT !.ps[v].runq = SubSeq(@, n + 1, Len(@)),
                                 !.ps[tp].runq = @ \o SubSeq(stolen, 1, n - 1)],
                       m, stolen[n], FALSE)
       ELSE Execute([s EXCEPT !.ps[v].next = NoG], m, vp.next, FALSE)

Steal(m, v, r) ==
    /\ Live
    /\ Ms[m + 1].spin
    /\ Ms[m + 1].p /= NoP
    /\ Ms[m + 1].curg = NoG
    /\ v /= Ms[m + 1].p
    /\ Ps[v].st = "running"
    /\ \/ r = 0 /\ (Ps[v].runq /= <<>> \/ (Ps[v].next /= NoG /\ ~StealRunnextLastRoundOnly))
       \/ r = StealRounds - 1 /\ r > 0 /\ Ps[v].next /= NoG
    /\ Commit(DoSteal(St, m, v, r))

(***************************************************************************)
(* Compute: the G on m finishes its compute statement (untimed: at once;   *)
(* left, loaded when it reached the compute, is cleared).  With a pending  *)
(* preemption request and async preemption, Preempt is enabled instead.   *)
(***************************************************************************)
Compute(m) ==
    /\ Live
    /\ RunsG(m)
    /\ CurOp(m) = "compute"
    /\ ~(Gs[Ms[m + 1].curg].preempt /\ AsyncPreempt)
    /\ LET g == Ms[m + 1].curg
       IN Commit(AdvancePC([St EXCEPT !.gs[g].left = 0], g))

(***************************************************************************)
(* Call: the G on m calls a function (call F N, or descend F with its      *)
(* frame's n > 0, calling F with n-1).  The prologue comes first: with a   *)
(* pending preemption request Preempt is enabled instead; a frame that     *)
(* does not leave StackGuard bytes above lo grows the stack by doubling    *)
(* (until the frame and the guard fit) and copying; past StackMax that is *)
(* a fatal stack overflow.  Then the frame is pushed and the callee's      *)
(* local instructions run.                                                 *)
(***************************************************************************)
DoCall(s, g) ==
    LET gg == s.gs[g]
        f == TopF(s, g)
        in == Instr(s, g)
        n == IF in.op = "call" THEN in.n ELSE f.n - 1
        frame == FrameSize(in.f)
        used == Used(gg)
        grow == gg.size - used - frame < StackGuard
        newsize == GrowTo(2 * gg.size, used, frame + StackGuard)
        d == Len(gg.frames)
        Push(t) == Normalize([t EXCEPT !.gs[g].fresh = FALSE,
                                       !.gs[g].frames[d].pc = @ + 1,
                                       !.gs[g].frames = Append(@, NewFrame(in.f, n))], g)
    IN IF ~grow THEN Push(s)
       ELSE IF newsize > StackMax THEN SetFatal(s, g, "stack-overflow")
       ELSE Push([s EXCEPT !.gs[g] = CopyStack(@, newsize)])

Call(m) ==
    /\ Live
    /\ RunsG(m)
    /\ CurOp(m) \in {"call", "descend"}
    /\ ~Gs[Ms[m + 1].curg].preempt
    /\ Commit(DoCall(St, Ms[m + 1].curg))

(***************************************************************************)
(* Spawn: the G on m starts a new G (the next GID), which goes to m's P's  *)
(* runnext (kicking the old runnext, spilling a full ring); then wakep.    *)
(* A first frame that cannot fit StackMax is a fatal stack overflow.      *)
(***************************************************************************)
Spawn(m) ==
    /\ Live
    /\ RunsG(m)
    /\ CurOp(m) = "spawn"
    /\ LET s == St
           g == s.ms[m + 1].curg
           in == Instr(s, g)
           ng == Len(s.gs) + 1
           s1 == [s EXCEPT !.gs = Append(@, NewG(in.f, in.n))]
       IN Commit(IF InitialStack(FrameSize(in.f)) > StackMax
                 THEN SetFatal(s, g, "stack-overflow")
                 ELSE AdvancePC(WakeP(RunqPut(s1, s.ms[m + 1].p, ng)), g))

(***************************************************************************)
(* Gosched: the G on m goes to the global tail (its preemption request is  *)
(* dropped), m runs no G; then wakep.  Preempt: the same at a safe point  *)
(* when a preemption request is pending (a call's prologue, or with async *)
(* preemption a compute); the G stays at the statement.                    *)
(***************************************************************************)
DoGosched(s, m, g) ==
    WakeP([s EXCEPT !.gs[g].st = "runnable", !.gs[g].m = NoM,
                    !.gs[g].preempt = FALSE, !.ms[m + 1].curg = NoG,
                    !.global = Append(@, g)])

Gosched(m) ==
    /\ Live
    /\ RunsG(m)
    /\ CurOp(m) = "gosched"
    /\ LET g == Ms[m + 1].curg
       IN Commit(DoGosched(IncPC(St, g), m, g))

Preempt(m) ==
    /\ Live
    /\ RunsG(m)
    /\ Gs[Ms[m + 1].curg].preempt
    /\ \/ CurOp(m) \in {"call", "descend"}
       \/ CurOp(m) = "compute" /\ AsyncPreempt
    /\ Commit(DoGosched(St, m, Ms[m + 1].curg))

(***************************************************************************)
(* Park: the G on m takes N permits of key K if they are there and goes    *)
(* on; otherwise it waits on K, and m runs no G.                           *)
(***************************************************************************)
Park(m) ==
    /\ Live
    /\ RunsG(m)
    /\ CurOp(m) = "park"
    /\ LET s == St
           g == s.ms[m + 1].curg
           in == Instr(s, g)
       IN Commit(IF s.keys[in.k].permits >= in.n
                 THEN AdvancePC([s EXCEPT !.keys[in.k].permits = @ - in.n], g)
                 ELSE [IncPC(s, g) EXCEPT !.gs[g].st = "waiting", !.gs[g].m = NoM,
                                          !.gs[g].wkey = in.k, !.gs[g].wn = in.n,
                                          !.ms[m + 1].curg = NoG,
                                          !.keys[in.k].waiters = Append(@, g)])

(***************************************************************************)
(* Ready: the G on m adds a permit to key K.  If waiter w (a waiter that   *)
(* the permits now satisfy; NoG when there is none) is named, it takes its *)
(* permits and goes to m's P's runnext; then wakep.                        *)
(***************************************************************************)
Ready(m, w) ==
    /\ Live
    /\ RunsG(m)
    /\ CurOp(m) = "ready"
    /\ LET s == St
           g == s.ms[m + 1].curg
           k == Instr(s, g).k
           cands == ReadyCandidates(s, k)
       IN /\ IF cands = {} THEN w = NoG ELSE w \in cands
          /\ Commit(IF w = NoG
                    THEN AdvancePC([s EXCEPT !.keys[k].permits = @ + 1], g)
                    ELSE LET s1 == [s EXCEPT !.keys[k].permits = @ + 1 - s.gs[w].wn,
                                             !.keys[k].waiters = Remove(@, w),
                                             !.gs[w].st = "runnable",
                                             !.gs[w].wkey = NoKey, !.gs[w].wn = 0]
                         IN AdvancePC(WakeP(RunqPut(s1, s.ms[m + 1].p, w)), g))

(***************************************************************************)
(* EnterSyscall: the G on m enters a syscall (left is its duration); m    *)
(* keeps its P (go1.26) and remembers it as oldp.                          *)
(***************************************************************************)
EnterSyscall(m) ==
    /\ Live
    /\ RunsG(m)
    /\ CurOp(m) = "syscall"
    /\ LET g == Ms[m + 1].curg
       IN Gs' = [Gs EXCEPT ![g].st = "syscall", ![g].left = Instr(St, g).d]
    /\ Ms' = [Ms EXCEPT ![m + 1].oldp = Ms[m + 1].p]
    /\ UNCHANGED <<Ps, Global, IdleP, IdleM, NMSpinning, NeedSpinning, Keys, Exited,
                   NProcs, Fatal>>

(***************************************************************************)
(* ExitSyscall: the syscall of the G on m returns.  Fast path: m still     *)
(* holds its P.  Else m takes back its old P if another M blocked in a     *)
(* syscall holds it, else the top idle P; with a P the G runs on in the    *)
(* same slice (syscalltick++).  With none the G goes to the global tail    *)
(* and m stops.                                                            *)
(***************************************************************************)
AcqRun(s, m, p, g) ==
    AdvancePC([AcquireP(s, m, p) EXCEPT !.ps[p].ytick = @ + 1, !.gs[g].st = "running"], g)

DoExitSyscall(s, m) ==
    LET g == s.ms[m + 1].curg
        oldp == s.ms[m + 1].oldp
        p0 == s.ms[m + 1].p
        s0 == [s EXCEPT !.ms[m + 1].oldp = NoP, !.gs[g].left = 0]
        holder == IF oldp /= NoP /\ oldp < s.nprocs /\ s.ps[oldp].st = "running"
                  THEN s.ps[oldp].m ELSE NoM
        oldOK == /\ holder /= NoM
                 /\ holder /= m
                 /\ s.ms[holder + 1].curg /= NoG
                 /\ s.gs[s.ms[holder + 1].curg].st = "syscall"
    IN IF p0 /= NoP
       THEN AdvancePC([s0 EXCEPT !.ps[p0].ytick = @ + 1, !.gs[g].st = "running"], g)
       ELSE IF oldOK
       THEN AcqRun([s0 EXCEPT !.ms[holder + 1].p = NoP, !.ps[oldp].ytick = @ + 1], m, oldp, g)
       ELSE IF s.idleP /= <<>>
       THEN AcqRun([s0 EXCEPT !.idleP = Pop(@)], m, Top(s.idleP), g)
       ELSE StopM([IncPC(s0, g) EXCEPT !.gs[g].st = "runnable", !.gs[g].m = NoM,
                                       !.global = Append(@, g),
                                       !.ms[m + 1].curg = NoG], m)

ExitSyscall(m) ==
    /\ Live
    /\ Ms[m + 1].curg /= NoG
    /\ Gs[Ms[m + 1].curg].st = "syscall"
    /\ Commit(DoExitSyscall(St, m))

(***************************************************************************)
(* Goexit: the G on m ends (exit, or its outermost function's return); the *)
(* stack is freed.  When it is g1 (main) the run ends.                     *)
(***************************************************************************)
Goexit(m) ==
    /\ Live
    /\ RunsG(m)
    /\ \/ CurOp(m) = "exit"
       \/ CurOp(m) = "return" /\ Len(Gs[Ms[m + 1].curg].frames) = 1
    /\ LET g == Ms[m + 1].curg
       IN /\ Gs' = [Gs EXCEPT ![g].st = "dead", ![g].m = NoM, ![g].left = 0,
                              ![g].gen = 0, ![g].size = 0, ![g].frames = <<>>]
          /\ Ms' = [Ms EXCEPT ![m + 1].curg = NoG]
          /\ Exited' = (Exited \/ g = 1)
    /\ UNCHANGED <<Ps, Global, IdleP, IdleM, NMSpinning, NeedSpinning, Keys, NProcs, Fatal>>

(***************************************************************************)
(* Gomaxprocs: the G on m sets GOMAXPROCS to its statement's n, in one     *)
(* step: stop the world, procresize, start the world (model/procresize.go) *)
(*                                                                         *)
(* Stop (StopOne, for each other M holding a P, in M order): its running   *)
(* G is preempted into its own P's runnext (goschedImpl with gcwaiting);   *)
(* a P whose M is in a syscall is taken (syscalltick++); every other M     *)
(* with a P stops.  The idle-P list is emptied.                            *)
(* procresize: Ps n..old-1 are destroyed in increasing order, each         *)
(* pushing its ring and then its runnext onto the global head; the caller  *)
(* keeps its P if it survives, else takes p0; Ps with local work get the   *)
(* M that held them before the stop if it is idle, else (in increasing P   *)
(* order) startm; the rest go idle in increasing order.  Start: wakep.     *)
(***************************************************************************)
DoGomaxprocs(s, m, n) ==
    LET old == s.nprocs
        \* the M that held each P before the stop (not m)
        oldm == [p \in 0..(Max(n, old) - 1) |->
                   IF \E om \in 0..(Len(s.ms) - 1) : om /= m /\ s.ms[om + 1].p = p
                   THEN CHOOSE om \in 0..(Len(s.ms) - 1) : om /= m /\ s.ms[om + 1].p = p
                   ELSE NoM]
        s1 == [StopFrom(s, m, 0) EXCEPT !.idleP = <<>>, !.need = FALSE]
        np == Max(n, Cardinality(DOMAIN s1.ps))
        s2 == [s1 EXCEPT !.ps = [p \in 0..(np - 1) |->
                                   IF p \notin DOMAIN @ THEN NewP
                                   ELSE IF p >= old /\ p < n THEN [@[p] EXCEPT !.st = "idle"]
                                   ELSE @[p]]]
        s3 == DestroyFrom(s2, n, old)
        myp0 == s3.ms[m + 1].p
        s4 == IF myp0 >= n
              THEN AcquireP([s3 EXCEPT !.ps[myp0].m = NoM], m, 0)
              ELSE s3
        myp == s4.ms[m + 1].p
        others == {p \in 0..(n - 1) : p /= myp}
        work == {p \in others : ~LocalEmpty(s4, p)}
        reclaim == {p \in work : oldm[p] /= NoM /\ oldm[p] \in SeqSet(s4.idleM)}
        s5 == [s4 EXCEPT !.nprocs = n,
                         !.idleM = SelectSeq(@, LAMBDA x : \A p \in reclaim : x /= oldm[p]),
                         !.ps = [p \in DOMAIN @ |->
                                   IF p \in reclaim THEN [@[p] EXCEPT !.st = "running", !.m = oldm[p]]
                                   ELSE IF p \in others THEN [@[p] EXCEPT !.st = "idle"]
                                   ELSE @[p]],
                         !.ms = [i \in DOMAIN @ |->
                                   IF \E p \in reclaim : oldm[p] = i - 1
                                   THEN [@[i] EXCEPT !.p = CHOOSE p \in reclaim : oldm[p] = i - 1]
                                   ELSE @[i]]]
        s6 == StartMs(s5, SortedSeq(work \ reclaim))
        idle == {p \in others : s6.ps[p].st = "idle" /\ s6.ps[p].m = NoM}
        s7 == [s6 EXCEPT !.idleP = SortedSeq(idle),
                         !.ps = [p \in DOMAIN @ |-> IF p \in idle THEN [@[p] EXCEPT !.m = NoM] ELSE @[p]]]
    IN WakeP(s7)

Gomaxprocs(m) ==
    /\ Live
    /\ RunsG(m)
    /\ CurOp(m) = "gomaxprocs"
    /\ LET g == Ms[m + 1].curg
       IN Commit(AdvancePC(DoGomaxprocs(St, m, Instr(St, g).n), g))

(***************************************************************************)
(* GC: the G on m runs a garbage collection under a stop-the-world: the   *)
(* world stops as for a GOMAXPROCS change, the stack of every G that is   *)
(* neither dead nor in a syscall (isShrinkStackSafe) is halved if less    *)
(* than a quarter of it is used (ShrinkStack), and the world starts again *)
(* with procresize at the same count and wakep (model/goroutine.go gc).   *)
(* Shrinking only reads the Gs' statuses, which the stop leaves dead or   *)
(* in a syscall as they were, and touches nothing the stop or procresize  *)
(* reads, so it is done first here.                                        *)
(***************************************************************************)
GC(m) ==
    /\ Live
    /\ RunsG(m)
    /\ CurOp(m) = "gc"
    /\ LET g == Ms[m + 1].curg
           s1 == [St EXCEPT !.gs = [i \in DOMAIN @ |->
                                     IF @[i].st \in {"dead", "syscall"} THEN @[i]
                                     ELSE ShrinkStack(@[i])]]
       IN Commit(AdvancePC(DoGomaxprocs(s1, m, NProcs), g))

(***************************************************************************)
(* SysmonPreempt: sysmon finds P p's slice old (a choice, untimed) and     *)
(* requests preemption of its running G, which must have completed a      *)
(* statement in this slice.  The G honours it at its next safe point      *)
(* (Preempt), or drops it when it is rescheduled.                          *)
(***************************************************************************)
SysmonPreempt(p) ==
    /\ Live
    /\ Ps[p].st = "running"
    /\ Ps[p].m /= NoM
    /\ LET g == Ms[Ps[p].m + 1].curg
       IN /\ g /= NoG
          /\ Gs[g].st = "running"
          /\ ~Gs[g].preempt
          /\ ~Gs[g].fresh
          /\ Gs' = [Gs EXCEPT ![g].preempt = TRUE]
    /\ UNCHANGED <<Ps, Ms, Global, IdleP, IdleM, NMSpinning, NeedSpinning, Keys, Exited,
                   NProcs, Fatal>>

(***************************************************************************)
(* SysmonRetake: sysmon retakes P p from the syscall of its M's G (the     *)
(* syscall's age is a choice, untimed): syscalltick++, handoffp.           *)
(***************************************************************************)
SysmonRetake(p) ==
    /\ Live
    /\ Ps[p].st = "running"
    /\ Ps[p].m /= NoM
    /\ Ms[Ps[p].m + 1].curg /= NoG
    /\ Gs[Ms[Ps[p].m + 1].curg].st = "syscall"
    /\ LET s == St
           m == Ps[p].m
       IN Commit(HandoffP([s EXCEPT !.ms[m + 1].p = NoP, !.ps[p].m = NoM,
                                    !.ps[p].ytick = @ + 1], p))

\* END ACTIONS

(***************************************************************************)
(* The initial state: g1 runs main on m0 and p0, its local instructions    *)
(* run; Ps Procs-1..1 are idle, the highest on top (procresize at          *)
(* start-up).  schedtick starts at 0.                                      *)
(***************************************************************************)
InitSt ==
    Normalize([ps |-> [p \in 0..(Procs - 1) |->
                         [NewP EXCEPT !.st = IF p = 0 THEN "running" ELSE "idle",
                                      !.m = IF p = 0 THEN 0 ELSE NoM]],
               ms |-> <<[p |-> 0, curg |-> 1, spin |-> FALSE, oldp |-> NoP]>>,
               gs |-> <<[NewG(MainFn, 0) EXCEPT !.st = "running", !.m = 0]>>,
               global |-> <<>>,
               idleP |-> [i \in 1..(Procs - 1) |-> i],
               idleM |-> <<>>,
               nms |-> 0,
               need |-> FALSE,
               keys |-> [k \in KeyIDs |-> [permits |-> 0, waiters |-> <<>>]],
               exited |-> FALSE,
               nprocs |-> Procs,
               fatal |-> NoFatal], 1)

Init ==
    LET t == InitSt
    IN /\ Ps = t.ps
       /\ Ms = t.ms
       /\ Gs = t.gs
       /\ Global = t.global
       /\ IdleP = t.idleP
       /\ IdleM = t.idleM
       /\ NMSpinning = t.nms
       /\ NeedSpinning = t.need
       /\ Keys = t.keys
       /\ Exited = t.exited
       /\ NProcs = t.nprocs
       /\ Fatal = t.fatal

Next ==
    \/ \E m \in MIDs :
          \/ Schedule(m)
          \/ \E v \in PIDs, r \in {0, StealRounds - 1} : Steal(m, v, r)
          \/ Compute(m)
          \/ Call(m)
          \/ Spawn(m)
          \/ Gosched(m)
          \/ Preempt(m)
          \/ Park(m)
          \/ \E w \in {NoG} \cup GIDs : Ready(m, w)
          \/ EnterSyscall(m)
          \/ ExitSyscall(m)
          \/ GC(m)
          \/ Goexit(m)
          \/ Gomaxprocs(m)
    \/ \E p \in PIDs : SysmonPreempt(p) \/ SysmonRetake(p)

Spec == Init /\ [][Next]_vars

(***************************************************************************)
(* StealTakesRunnextOnlyFromEmptyRing (an action property, checked as      *)
(* [][StealTakesRunnextOnly]_vars; the Go explorer checks the same         *)
(* transition, model.CheckStealRunnext): a P's runnext G that starts      *)
(* running on another P in one step (a thief took it) was taken from a P   *)
(* whose ring was empty (runqgrab takes runnext only when it finds the     *)
(* ring empty).  It breaks no state invariant when it fails: it changes    *)
(* which G runs, not where Gs are.                                         *)
(***************************************************************************)
StealTakesRunnextOnly ==
    \A v \in AllPIDs :
        LET g == Ps[v].next
        IN (/\ g /= NoG
            /\ Gs'[g].st = "running"
            /\ Ms'[Gs'[g].m + 1].p /= v) => Ps[v].runq = <<>>

StealTakesRunnextOnlyFromEmptyRing == [][StealTakesRunnextOnly]_vars

\* BEGIN INVARIANTS (each name is one of spec.Invariants, or TypeOK)

GStatus == {"runnable", "running", "syscall", "waiting", "dead"}

TypeOK ==
    /\ NProcs \in Nat \ {0}
    /\ AllPIDs = 0..(Cardinality(AllPIDs) - 1)
    /\ PIDs \subseteq AllPIDs
    /\ \A p \in AllPIDs :
          Ps[p] \in [st : {"idle", "running", "dead"}, m : {NoM} \cup MIDs,
                     next : {NoG} \cup GIDs, runq : Seq(GIDs),
                     stick : Nat, ytick : Nat]
    /\ \A i \in 1..Len(Ms) :
          Ms[i] \in [p : {NoP} \cup PIDs, curg : {NoG} \cup GIDs,
                     spin : BOOLEAN, oldp : {NoP} \cup AllPIDs]
    /\ \A g \in GIDs :
          /\ DOMAIN Gs[g] = {"st", "m", "fn", "preempt", "fresh", "wkey", "wn", "left",
                             "gen", "size", "frames"}
          /\ Gs[g].st \in GStatus /\ Gs[g].m \in {NoM} \cup MIDs
          /\ Gs[g].fn \in 1..Len(Funcs)
          /\ Gs[g].preempt \in BOOLEAN /\ Gs[g].fresh \in BOOLEAN
          /\ Gs[g].wkey \in {NoKey} \cup KeyIDs /\ Gs[g].wn \in Nat
          /\ Gs[g].left \in Nat /\ Gs[g].gen \in Nat /\ Gs[g].size \in Nat
          /\ \A i \in 1..Len(Gs[g].frames) :
                LET f == Gs[g].frames[i]
                IN /\ DOMAIN f = {"fn", "pc", "n", "loops", "slots"}
                   /\ f.fn \in 1..Len(Funcs) /\ f.pc \in 1..Len(Funcs[f.fn].body)
                   /\ f.n \in Int /\ \A j \in 1..Len(f.loops) : f.loops[j] \in Nat
                   /\ \A j \in 1..Len(f.slots) :
                         /\ DOMAIN f.slots[j] = {"ptr", "val", "win", "tf", "ts"}
                         /\ f.slots[j].ptr \in BOOLEAN /\ f.slots[j].val \in Int
                         /\ f.slots[j].win \in 0..255
                         /\ f.slots[j].tf \in Nat /\ f.slots[j].ts \in Nat
    /\ Global \in Seq(GIDs)
    /\ IdleP \in Seq(PIDs)
    /\ IdleM \in Seq(MIDs)
    /\ NMSpinning \in Nat
    /\ NeedSpinning \in BOOLEAN
    /\ Keys \in [KeyIDs -> [permits : Nat, waiters : Seq(GIDs)]]
    /\ Exited \in BOOLEAN
    /\ Fatal \in [reason : {""} \cup FatalReasons, g : {NoG} \cup GIDs]
    /\ (Fatal.reason = "") <=> (Fatal.g = NoG)

RECURSIVE SumOver(_, _)
\* The sum of f[x] over x in S (f a function on a superset of S).
SumOver(S, f) ==
    IF S = {} THEN 0 ELSE LET x == CHOOSE y \in S : TRUE IN f[x] + SumOver(S \ {x}, f)

\* How often g is on a run queue, an M's curg, or a key's waiters.
InQueues(g) ==
    Count(Global, g)
    + SumOver(AllPIDs, [p \in AllPIDs |-> Count(Ps[p].runq, g) + (IF Ps[p].next = g THEN 1 ELSE 0)])
AsCurg(g) == Cardinality({m \in MIDs : Ms[m + 1].curg = g})
InWaiters(g) == SumOver(KeyIDs, [k \in KeyIDs |-> Count(Keys[k].waiters, g)])

GInOnePlace ==
    \A g \in GIDs :
        /\ Gs[g].st = "runnable" =>
              InQueues(g) = 1 /\ AsCurg(g) = 0 /\ InWaiters(g) = 0
        /\ Gs[g].st \in {"running", "syscall"} =>
              /\ InQueues(g) = 0 /\ InWaiters(g) = 0 /\ AsCurg(g) = 1
              /\ Gs[g].m \in MIDs /\ Ms[Gs[g].m + 1].curg = g
        /\ Gs[g].st = "waiting" =>
              /\ InQueues(g) = 0 /\ AsCurg(g) = 0 /\ InWaiters(g) = 1
              /\ Gs[g].wkey \in KeyIDs /\ Count(Keys[Gs[g].wkey].waiters, g) = 1
        /\ Gs[g].st = "dead" =>
              InQueues(g) = 0 /\ AsCurg(g) = 0 /\ InWaiters(g) = 0
        /\ Gs[g].st \notin {"running", "syscall"} => Gs[g].m = NoM
        /\ Gs[g].st /= "waiting" => Gs[g].wkey = NoKey

RunqBounds == \A p \in AllPIDs : Len(Ps[p].runq) <= RunqSize

RunnextNotInRunq ==
    \A p \in AllPIDs :
        Ps[p].next /= NoG =>
            /\ \A q \in AllPIDs : Count(Ps[q].runq, Ps[p].next) = 0
            /\ Count(Global, Ps[p].next) = 0

RunningHasMAndP ==
    /\ \A g \in GIDs :
          /\ Gs[g].st = "running" =>
                LET m == Gs[g].m
                IN /\ m \in MIDs /\ Ms[m + 1].curg = g
                   /\ Ms[m + 1].p \in PIDs
                   /\ Ps[Ms[m + 1].p].st = "running" /\ Ps[Ms[m + 1].p].m = m
          /\ Gs[g].st = "syscall" =>
                Gs[g].m \in MIDs /\ Ms[Gs[g].m + 1].curg = g
    /\ \A m \in MIDs :
          /\ Ms[m + 1].p /= NoP => Ps[Ms[m + 1].p].m = m
          /\ Ms[m + 1].curg /= NoG =>
                /\ Gs[Ms[m + 1].curg].st \in {"running", "syscall"}
                /\ Gs[Ms[m + 1].curg].m = m
          /\ Ms[m + 1].oldp /= NoP =>
                Ms[m + 1].curg /= NoG /\ Gs[Ms[m + 1].curg].st = "syscall"
    /\ \A p \in AllPIDs :
          /\ Ps[p].m /= NoM => Ps[p].m \in MIDs /\ Ms[Ps[p].m + 1].p = p
          /\ (Ps[p].m /= NoM) <=> (Ps[p].st = "running")

IdlePEmpty ==
    /\ \A i \in 1..Len(IdleP) :
          LET p == IdleP[i]
          IN Ps[p].st = "idle" /\ LocalEmpty(St, p) /\ Ps[p].m = NoM
    /\ \A p \in AllPIDs : Ps[p].st = "idle" => Count(IdleP, p) = 1

IdleMHasNothing ==
    \A i \in 1..Len(IdleM) :
        LET m == IdleM[i]
        IN /\ Ms[m + 1].p = NoP /\ Ms[m + 1].curg = NoG /\ ~Ms[m + 1].spin
           /\ Count(IdleM, m) = 1

WaitingOffQueues ==
    \A g \in GIDs : Gs[g].st \in {"waiting", "dead"} => InQueues(g) = 0

SpinningHasNoWork ==
    /\ \A m \in MIDs :
          Ms[m + 1].spin =>
              /\ Ms[m + 1].p /= NoP
              /\ LocalEmpty(St, Ms[m + 1].p)
              /\ Ms[m + 1].curg = NoG
    /\ NMSpinning = Cardinality({m \in MIDs : Ms[m + 1].spin})

\* spec.StackBounds: every live G's stack has a power-of-two size in
\* [StackMin, StackMax], each frame has its function's frame/8 slots, and
\* the frames fit (used <= size, i.e. lo <= SP <= hi; SP and lo are
\* derived from size and the frames here).
StackBounds ==
    \A g \in GIDs :
        Gs[g].st /= "dead" =>
            /\ IsPow2(Gs[g].size)
            /\ Gs[g].size >= StackMin /\ Gs[g].size <= StackMax
            /\ \A i \in 1..Len(Gs[g].frames) :
                  Len(Gs[g].frames[i].slots) = NSlots(Gs[g].frames[i].fn)
            /\ Used(Gs[g]) <= Gs[g].size

\* spec.StackPointersValid: every pointer on a G's stack points into that
\* stack, its target names an existing frame and slot, and it is that
\* slot's address (its offset below hi is the target frame's top offset
\* minus 8 * slot): it still points at what it pointed at when it was made.
StackPointersValid ==
    \A g \in GIDs :
        \A i \in 1..Len(Gs[g].frames) :
            \A j \in 1..Len(Gs[g].frames[i].slots) :
                LET w == Gs[g].frames[i].slots[j]
                IN w.ptr =>
                    /\ w.win = Win(Gs[g].gen) /\ w.val >= 1 /\ w.val <= Gs[g].size
                    /\ w.tf < Len(Gs[g].frames)
                    /\ w.ts < Len(Gs[g].frames[w.tf + 1].slots)
                    /\ w.val = UsedTo(Gs[g].frames, w.tf + 1) - 8 * w.ts

\* END INVARIANTS
=============================================================================
