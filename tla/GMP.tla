-------------------------------- MODULE GMP --------------------------------
(***************************************************************************)
(* gmplab's untimed reference model of Go's GMP scheduler (package model), *)
(* for the class of workloads that TLA+ expresses directly: every G runs a *)
(* straight-line program of scheduler-visible statements (spawn F, gosched,*)
(* park K [N], ready K, syscall, exit, return) with no calls, repeats,     *)
(* frame slots or computes.  For such workloads the variables below are    *)
(* isomorphic to model.State, so TLC's distinct-state count and depth      *)
(* equal those of the Go explorer (model.Explore) on the same workload.    *)
(*                                                                         *)
(* Every action is one atomic step of model.Step, named as in              *)
(* spec.ActionKinds; every invariant is named as in spec.Invariants.       *)
(*                                                                         *)
(*   Schedule      findRunnable's local part (proc.go:3389-3798)           *)
(*   Steal         stealWork/runqsteal/runqgrab (proc.go:3828-3895,        *)
(*                 7662-7747)                                              *)
(*   Spawn         newproc + runqput(next) + wakep (proc.go:5295, 7478)    *)
(*   Gosched       goschedImpl (proc.go:4307-4346)                         *)
(*   Park, Ready   gopark / ready (proc.go:1120-1140)                      *)
(*   EnterSyscall  reentersyscall: the P stays wired [go1.26]              *)
(*   ExitSyscall   exitsyscall, exitsyscallTryGetP, exitsyscallNoP         *)
(*   Goexit        goexit0                                                 *)
(*   SysmonPreempt retake's long-slice preemption, time abstracted         *)
(*   SysmonRetake  retake of a P from a syscall, time abstracted           *)
(*                                                                         *)
(* Left out (see tla/README.md): Compute, Call, Preempt, GC, Gomaxprocs,   *)
(* SysmonTick, Advance -- the restricted workloads have no computes, calls *)
(* or gomaxprocs, hence no safe point at which Preempt could fire, and the *)
(* model is untimed.                                                       *)
(***************************************************************************)
EXTENDS Integers, Sequences, FiniteSets

CONSTANTS
    Procs,             \* GOMAXPROCS (Config.Procs)
    RunqSize,          \* capacity of a P's ring (Config.RunqSize)
    SpillBatch,        \* oldest ring Gs runqputslow moves (Config.SpillBatch)
    GlobalBatchCap,    \* cap of a global batch (Config.GlobalBatchCap)
    GlobalCheckPeriod, \* the schedtick % 61 check; 0 disables it
    StealRounds,       \* passes of stealWork (Config.StealRounds)
    StealRunnextLastRoundOnly, \* runnext only stolen in the last round
    Funcs,             \* the workload: a sequence of functions, each a
                       \* sequence of [op, f, k, n] instructions ending in
                       \* "return" (spec.Compile's implicit return)
    MainFn,            \* the index in Funcs of main
    NKeys,             \* number of park/ready keys (indices 0..NKeys-1)
    MutSpillDropsKicked,     \* mutant: runqputslow loses the G that did not fit
    MutStealRunnextNonEmpty  \* mutant: a runnext round takes runnext from a
                             \* victim whose ring is not empty

Ops == {"spawn", "gosched", "park", "ready", "syscall", "exit", "return"}

ASSUME ConstantsOK ==
    /\ Procs \in Nat \ {0}
    /\ RunqSize \in Nat \ {0, 1}
    /\ SpillBatch \in 1..RunqSize
    /\ GlobalBatchCap \in 1..(RunqSize + 1)
    /\ GlobalCheckPeriod \in Nat
    /\ StealRounds \in 1..64
    /\ StealRunnextLastRoundOnly \in BOOLEAN
    /\ MainFn \in 1..Len(Funcs)
    /\ NKeys \in Nat
    /\ MutSpillDropsKicked \in BOOLEAN
    /\ MutStealRunnextNonEmpty \in BOOLEAN
    /\ \A f \in 1..Len(Funcs) :
          /\ Len(Funcs[f]) > 0
          /\ Funcs[f][Len(Funcs[f])].op = "return"
          /\ \A i \in 1..Len(Funcs[f]) : Funcs[f][i].op \in Ops

NoG == 0        \* spec.NoG; GIDs are 1, 2, ... (g1 runs main)
NoM == -1       \* spec.NoM; MIDs are 0, 1, ...
NoP == -1       \* spec.NoP; PIDs are 0..Procs-1
NoKey == -1     \* G.WaitKey of a G that is not waiting
PIDs == 0..(Procs - 1)
KeyIDs == 0..(NKeys - 1)

VARIABLES
    Ps,           \* allp: P -> [st, m, next (runnext), runq, stick (schedtick),
                  \*             ytick (syscalltick)]
    Ms,           \* the Ms, M m at index m+1 (never freed):
                  \*   [p, curg, spin (spinning), oldp]
    Gs,           \* the Gs, G g at index g (dead Gs stay):
                  \*   [st, m, fn, pc, preempt, fresh, wkey, wn]
    Global,       \* the global run queue, head first
    IdleP,        \* sched.pidle as a stack: the last element is the top
    IdleM,        \* sched.midle as a stack: the last element is the top
    NMSpinning,   \* sched.nmspinning
    NeedSpinning, \* sched.needspinning
    Keys,         \* key -> [permits, waiters (in the order they parked)]
    Exited        \* main returned: the run is over

vars == <<Ps, Ms, Gs, Global, IdleP, IdleM, NMSpinning, NeedSpinning, Keys, Exited>>

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
       keys |-> Keys, exited |-> Exited]

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

MIDs == 0..(Len(Ms) - 1)
GIDs == 1..Len(Gs)

Min(a, b) == IF a < b THEN a ELSE b
Top(q) == q[Len(q)]
Pop(q) == SubSeq(q, 1, Len(q) - 1)
Count(q, x) == Len(SelectSeq(q, LAMBDA y : y = x))
Remove(q, x) == SelectSeq(q, LAMBDA y : y /= x)
SeqSet(q) == {q[i] : i \in 1..Len(q)}

NewG(f) == [st |-> "runnable", m |-> NoM, fn |-> f, pc |-> 1, preempt |-> FALSE,
            fresh |-> FALSE, wkey |-> NoKey, wn |-> 0]
NewM == [p |-> NoP, curg |-> NoG, spin |-> FALSE, oldp |-> NoP]

Instr(s, g) == Funcs[s.gs[g].fn][s.gs[g].pc]

\* runqempty: no runnext and an empty ring.
LocalEmpty(s, p) == s.ps[p].next = NoG /\ s.ps[p].runq = <<>>

\* A spinning thief on p could take something from another running P.
Stealable(s, p) ==
    \E v \in PIDs : /\ v /= p
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
    ELSE IF Len(s.idleP) = Procs - 1 THEN StartM(s, p, FALSE)
    ELSE PidlePut(s, p)

\* execute (proc.go:3331-3386) and resetspinning (4021-4035).
Execute(s, m, g, inherit) ==
    LET p == s.ms[m + 1].p
        s1 == [s EXCEPT !.gs[g].st = "running", !.gs[g].m = m,
                        !.gs[g].preempt = FALSE, !.gs[g].fresh = TRUE,
                        !.ms[m + 1].curg = g,
                        !.ps[p].stick = IF inherit THEN @ ELSE @ + 1]
    IN IF s1.ms[m + 1].spin
       THEN WakeP([s1 EXCEPT !.ms[m + 1].spin = FALSE, !.nms = @ - 1])
       ELSE s1

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

\* The G completes its statement (model's advancePC).
AdvancePC(s, g) == [s EXCEPT !.gs[g].fresh = FALSE, !.gs[g].pc = @ + 1]

\* model.State.Deadlocked: every live G is parked.
Deadlocked ==
    /\ ~Exited
    /\ Global = <<>>
    /\ \A m \in MIDs : Ms[m + 1].curg = NoG
    /\ \A p \in PIDs : LocalEmpty(St, p)
    /\ \A g \in GIDs : Gs[g].st \notin {"runnable", "running", "syscall"}

\* model.Enabled lists nothing in an ended or deadlocked run.
Live == ~Exited /\ ~Deadlocked

\* m runs a G in _Grunning (model's stepper.running).
RunsG(m) ==
    /\ Ms[m + 1].curg /= NoG
    /\ Ms[m + 1].p /= NoP
    /\ Gs[Ms[m + 1].curg].st = "running"

CurOp(m) == Instr(St, Ms[m + 1].curg).op

\* The waiters on key k that one more permit satisfies.
ReadyCandidates(s, k) ==
    {w \in SeqSet(s.keys[k].waiters) : s.gs[w].wn <= s.keys[k].permits + 1}

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
         LET n == Min(Min(GlobalBatchCap, Len(s.global)), Len(s.global) \div Procs + 1)
             batch == SubSeq(s.global, 1, n)
         IN Execute([s EXCEPT !.global = SubSeq(@, n + 1, Len(@)),
                              !.ps[p].runq = @ \o Tail(batch)], m, batch[1], FALSE)
    ELSE LET stealable == Stealable(s, p)
             spin == s.ms[m + 1].spin
             canSpin == spin \/ 2 * s.nms < Procs - Len(s.idleP)
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
(* Spawn: the G on m starts a new G (the next GID), which goes to m's P's  *)
(* runnext (kicking the old runnext, spilling a full ring); then wakep.    *)
(***************************************************************************)
Spawn(m) ==
    /\ Live
    /\ RunsG(m)
    /\ CurOp(m) = "spawn"
    /\ LET s == St
           g == s.ms[m + 1].curg
           ng == Len(s.gs) + 1
           s1 == [s EXCEPT !.gs = Append(@, NewG(Instr(s, g).f))]
       IN Commit(AdvancePC(WakeP(RunqPut(s1, s.ms[m + 1].p, ng)), g))

(***************************************************************************)
(* Gosched: the G on m goes to the global tail (its preemption request is  *)
(* dropped), m runs no G; then wakep.                                      *)
(***************************************************************************)
Gosched(m) ==
    /\ Live
    /\ RunsG(m)
    /\ CurOp(m) = "gosched"
    /\ LET s == St
           g == s.ms[m + 1].curg
       IN Commit(WakeP([s EXCEPT !.gs[g].st = "runnable", !.gs[g].m = NoM,
                                 !.gs[g].preempt = FALSE, !.gs[g].pc = @ + 1,
                                 !.ms[m + 1].curg = NoG,
                                 !.global = Append(@, g)]))

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
                 ELSE [s EXCEPT !.gs[g].st = "waiting", !.gs[g].m = NoM,
                                !.gs[g].wkey = in.k, !.gs[g].wn = in.n,
                                !.gs[g].pc = @ + 1, !.ms[m + 1].curg = NoG,
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
(* EnterSyscall: the G on m enters a syscall; m keeps its P (go1.26) and   *)
(* remembers it as oldp.                                                   *)
(***************************************************************************)
EnterSyscall(m) ==
    /\ Live
    /\ RunsG(m)
    /\ CurOp(m) = "syscall"
    /\ Gs' = [Gs EXCEPT ![Ms[m + 1].curg].st = "syscall"]
    /\ Ms' = [Ms EXCEPT ![m + 1].oldp = Ms[m + 1].p]
    /\ UNCHANGED <<Ps, Global, IdleP, IdleM, NMSpinning, NeedSpinning, Keys, Exited>>

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
        s0 == [s EXCEPT !.ms[m + 1].oldp = NoP]
        holder == IF oldp /= NoP /\ s.ps[oldp].st = "running" THEN s.ps[oldp].m ELSE NoM
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
       ELSE StopM([s0 EXCEPT !.gs[g].st = "runnable", !.gs[g].m = NoM,
                             !.gs[g].pc = @ + 1, !.global = Append(@, g),
                             !.ms[m + 1].curg = NoG], m)

ExitSyscall(m) ==
    /\ Live
    /\ Ms[m + 1].curg /= NoG
    /\ Gs[Ms[m + 1].curg].st = "syscall"
    /\ Commit(DoExitSyscall(St, m))

(***************************************************************************)
(* Goexit: the G on m ends (exit, or its function's return); the stack is  *)
(* freed, so its pc is reset.  When it is g1 (main) the run ends.          *)
(***************************************************************************)
Goexit(m) ==
    /\ Live
    /\ RunsG(m)
    /\ CurOp(m) \in {"exit", "return"}
    /\ LET g == Ms[m + 1].curg
       IN /\ Gs' = [Gs EXCEPT ![g].st = "dead", ![g].m = NoM, ![g].pc = 0]
          /\ Ms' = [Ms EXCEPT ![m + 1].curg = NoG]
          /\ Exited' = (Exited \/ g = 1)
    /\ UNCHANGED <<Ps, Global, IdleP, IdleM, NMSpinning, NeedSpinning, Keys>>

(***************************************************************************)
(* SysmonPreempt: sysmon finds P p's slice old (a choice, untimed) and     *)
(* requests preemption of its running G, which must have completed a      *)
(* statement in this slice.  Without calls or computes no safe point is    *)
(* reached, so the request only lasts until the G is next rescheduled.     *)
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
    /\ UNCHANGED <<Ps, Ms, Global, IdleP, IdleM, NMSpinning, NeedSpinning, Keys, Exited>>

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
(* The initial state: g1 runs main on m0 and p0; Ps Procs-1..1 are idle,   *)
(* the highest on top (procresize at start-up).  schedtick starts at 0.    *)
(***************************************************************************)
Init ==
    /\ Ps = [p \in PIDs |-> [st |-> IF p = 0 THEN "running" ELSE "idle",
                             m |-> IF p = 0 THEN 0 ELSE NoM,
                             next |-> NoG, runq |-> <<>>, stick |-> 0, ytick |-> 0]]
    /\ Ms = <<[p |-> 0, curg |-> 1, spin |-> FALSE, oldp |-> NoP]>>
    /\ Gs = <<[NewG(MainFn) EXCEPT !.st = "running", !.m = 0]>>
    /\ Global = <<>>
    /\ IdleP = [i \in 1..(Procs - 1) |-> i]
    /\ IdleM = <<>>
    /\ NMSpinning = 0
    /\ NeedSpinning = FALSE
    /\ Keys = [k \in KeyIDs |-> [permits |-> 0, waiters |-> <<>>]]
    /\ Exited = FALSE

Next ==
    \/ \E m \in MIDs :
          \/ Schedule(m)
          \/ \E v \in PIDs, r \in {0, StealRounds - 1} : Steal(m, v, r)
          \/ Spawn(m)
          \/ Gosched(m)
          \/ Park(m)
          \/ \E w \in {NoG} \cup GIDs : Ready(m, w)
          \/ EnterSyscall(m)
          \/ ExitSyscall(m)
          \/ Goexit(m)
    \/ \E p \in PIDs : SysmonPreempt(p) \/ SysmonRetake(p)

Spec == Init /\ [][Next]_vars

\* BEGIN INVARIANTS (each name is one of spec.Invariants, or TypeOK)

GStatus == {"runnable", "running", "syscall", "waiting", "dead"}

TypeOK ==
    /\ Ps \in [PIDs -> [st : {"idle", "running"}, m : {NoM} \cup MIDs,
                        next : {NoG} \cup GIDs, runq : Seq(GIDs),
                        stick : Nat, ytick : Nat]]
    /\ \A i \in 1..Len(Ms) :
          Ms[i] \in [p : {NoP} \cup PIDs, curg : {NoG} \cup GIDs,
                     spin : BOOLEAN, oldp : {NoP} \cup PIDs]
    /\ \A g \in GIDs :
          Gs[g] \in [st : GStatus, m : {NoM} \cup MIDs, fn : 1..Len(Funcs),
                     pc : Nat, preempt : BOOLEAN, fresh : BOOLEAN,
                     wkey : {NoKey} \cup KeyIDs, wn : Nat]
    /\ Global \in Seq(GIDs)
    /\ IdleP \in Seq(PIDs)
    /\ IdleM \in Seq(MIDs)
    /\ NMSpinning \in Nat
    /\ NeedSpinning \in BOOLEAN
    /\ Keys \in [KeyIDs -> [permits : Nat, waiters : Seq(GIDs)]]
    /\ Exited \in BOOLEAN

RECURSIVE SumOver(_, _)
\* The sum of f[x] over x in S (f a function on a superset of S).
SumOver(S, f) ==
    IF S = {} THEN 0 ELSE LET x == CHOOSE y \in S : TRUE IN f[x] + SumOver(S \ {x}, f)

\* How often g is on a run queue, an M's curg, or a key's waiters.
InQueues(g) ==
    Count(Global, g)
    + SumOver(PIDs, [p \in PIDs |-> Count(Ps[p].runq, g) + (IF Ps[p].next = g THEN 1 ELSE 0)])
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

RunqBounds == \A p \in PIDs : Len(Ps[p].runq) <= RunqSize

RunnextNotInRunq ==
    \A p \in PIDs :
        Ps[p].next /= NoG =>
            /\ \A q \in PIDs : Count(Ps[q].runq, Ps[p].next) = 0
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
    /\ \A p \in PIDs :
          /\ Ps[p].m /= NoM => Ps[p].m \in MIDs /\ Ms[Ps[p].m + 1].p = p
          /\ (Ps[p].m /= NoM) <=> (Ps[p].st = "running")

IdlePEmpty ==
    /\ \A i \in 1..Len(IdleP) :
          LET p == IdleP[i]
          IN Ps[p].st = "idle" /\ LocalEmpty(St, p) /\ Ps[p].m = NoM
    /\ \A p \in PIDs : Ps[p].st = "idle" => Count(IdleP, p) = 1

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

\* END INVARIANTS
=============================================================================
