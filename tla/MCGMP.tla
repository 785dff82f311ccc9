------------------------------- MODULE MCGMP -------------------------------
(***************************************************************************)
(* Model-checking values for GMP.tla: the workloads of the MCGMP_*.cfg     *)
(* configurations, as GMP's Funcs.  Each is the workload file of the same  *)
(* name (MCGMP_<name>.gmp, which the Go explorer runs) compiled by         *)
(* spec.Compile and written by model.TLAFuncs: properties/tla_test.go      *)
(* (TestTLAFuncs) checks that each operator below is exactly that text,    *)
(* so the two forms run the same program.  Do not edit them by hand:      *)
(* regenerate with                                                         *)
(*   go test ./properties -run TestTLAFuncs -v                             *)
(* which prints the expected text of any operator that differs.            *)
(***************************************************************************)
EXTENDS GMP
\* MCGMP_small.gmp
SmallFuncs ==
<<
    \* main
    [frame |-> 0, body |-> <<
        Ins([op |-> "spawn", f |-> 2, n |-> 0]),
        Ins([op |-> "spawn", f |-> 2, n |-> 0]),
        Ins([op |-> "spawn", f |-> 2, n |-> 0]),
        Ins([op |-> "spawn", f |-> 2, n |-> 0]),
        Ins([op |-> "park", k |-> 0, n |-> 4]),
        Ins([op |-> "return"]) >>],
    \* w
    [frame |-> 0, body |-> <<
        Ins([op |-> "ready", k |-> 0]),
        Ins([op |-> "return"]) >>] >>

\* MCGMP_syscall.gmp
SyscallFuncs ==
<<
    \* main
    [frame |-> 0, body |-> <<
        Ins([op |-> "spawn", f |-> 2, n |-> 0]),
        Ins([op |-> "spawn", f |-> 2, n |-> 0]),
        Ins([op |-> "park", k |-> 0, n |-> 2]),
        Ins([op |-> "return"]) >>],
    \* w
    [frame |-> 0, body |-> <<
        Ins([op |-> "syscall", d |-> 1000000]),
        Ins([op |-> "ready", k |-> 0]),
        Ins([op |-> "return"]) >>] >>

\* MCGMP_medium.gmp
MediumFuncs ==
<<
    \* main
    [frame |-> 0, body |-> <<
        Ins([op |-> "spawn", f |-> 2, n |-> 0]),
        Ins([op |-> "spawn", f |-> 2, n |-> 0]),
        Ins([op |-> "park", k |-> 0, n |-> 2]),
        Ins([op |-> "return"]) >>],
    \* w
    [frame |-> 0, body |-> <<
        Ins([op |-> "gosched"]),
        Ins([op |-> "syscall", d |-> 1000000]),
        Ins([op |-> "ready", k |-> 0]),
        Ins([op |-> "return"]) >>] >>

\* MCGMP_large.gmp
LargeFuncs ==
<<
    \* main
    [frame |-> 0, body |-> <<
        Ins([op |-> "spawn", f |-> 2, n |-> 0]),
        Ins([op |-> "spawn", f |-> 2, n |-> 0]),
        Ins([op |-> "spawn", f |-> 2, n |-> 0]),
        Ins([op |-> "park", k |-> 0, n |-> 3]),
        Ins([op |-> "return"]) >>],
    \* w
    [frame |-> 0, body |-> <<
        Ins([op |-> "syscall", d |-> 1000000]),
        Ins([op |-> "ready", k |-> 0]),
        Ins([op |-> "return"]) >>] >>

\* MCGMP_calls.gmp
CallsFuncs ==
<<
    \* main
    [frame |-> 16, body |-> <<
        Ins([op |-> "set", slot |-> 1, n |-> 3]),
        Ins([op |-> "ref", slot |-> 0, up |-> 0, to |-> 1]),
        Ins([op |-> "spawn", f |-> 3, n |-> 0]),
        Ins([op |-> "call", f |-> 2, n |-> 1]),
        Ins([op |-> "check", slot |-> 0, n |-> 5, deref |-> TRUE]),
        Ins([op |-> "repeat", n |-> 2, jump |-> 9]),
        Ins([op |-> "gc"]),
        Ins([op |-> "end", jump |-> 6]),
        Ins([op |-> "check", slot |-> 0, n |-> 5, deref |-> TRUE]),
        Ins([op |-> "park", k |-> 0, n |-> 1]),
        Ins([op |-> "return"]) >>],
    \* f
    [frame |-> 112, body |-> <<
        Ins([op |-> "ref", slot |-> 0, up |-> 1, to |-> 1]),
        Ins([op |-> "store", slot |-> 0, n |-> 5]),
        Ins([op |-> "compute", d |-> 1000000]),
        Ins([op |-> "descend", f |-> 2]),
        Ins([op |-> "check", slot |-> 0, n |-> 5, deref |-> TRUE]),
        Ins([op |-> "return"]) >>],
    \* w
    [frame |-> 0, body |-> <<
        Ins([op |-> "compute", d |-> 1000000]),
        Ins([op |-> "ready", k |-> 0]),
        Ins([op |-> "return"]) >>] >>

\* MCGMP_procs.gmp
ProcsFuncs ==
<<
    \* main
    [frame |-> 0, body |-> <<
        Ins([op |-> "spawn", f |-> 2, n |-> 0]),
        Ins([op |-> "spawn", f |-> 2, n |-> 0]),
        Ins([op |-> "gomaxprocs", n |-> 1]),
        Ins([op |-> "gomaxprocs", n |-> 3]),
        Ins([op |-> "park", k |-> 0, n |-> 2]),
        Ins([op |-> "return"]) >>],
    \* w
    [frame |-> 0, body |-> <<
        Ins([op |-> "compute", d |-> 1000000]),
        Ins([op |-> "gosched"]),
        Ins([op |-> "ready", k |-> 0]),
        Ins([op |-> "return"]) >>] >>

\* MCGMP_overflow.gmp
OverflowFuncs ==
<<
    \* main
    [frame |-> 16, body |-> <<
        Ins([op |-> "spawn", f |-> 3, n |-> 0]),
        Ins([op |-> "call", f |-> 2, n |-> 2]),
        Ins([op |-> "park", k |-> 0, n |-> 1]),
        Ins([op |-> "return"]) >>],
    \* deep
    [frame |-> 96, body |-> <<
        Ins([op |-> "descend", f |-> 2]),
        Ins([op |-> "return"]) >>],
    \* w
    [frame |-> 0, body |-> <<
        Ins([op |-> "syscall", d |-> 1000000]),
        Ins([op |-> "ready", k |-> 0]),
        Ins([op |-> "return"]) >>] >>

(***************************************************************************)
(* Liveness (MCGMP_liveness.cfg, on SmallFuncs).                           *)
(*                                                                         *)
(* Fairness: weak fairness of each M's actions (WF_vars(MAction(m)): an M *)
(* that can continuously take a step -- schedule, steal, run its G's next *)
(* statement, leave a syscall -- eventually takes one).  Both properties  *)
(* need it: without it a behavior may stutter forever with a runnable G in *)
(* a run queue and an M able to schedule it.  Sysmon needs no fairness for *)
(* these workloads: a G behind a syscall M is run once that M leaves the   *)
(* syscall (its own weakly fair ExitSyscall), so SysmonRetake is not       *)
(* required for progress.  Ms are never freed and TLC needs a finite       *)
(* quantifier, so fairness is stated for M ids 0..LivenessMaxMs-1, and the *)
(* property MsBounded checks that no run creates more Ms than that (a run *)
(* with an M outside the bound would otherwise lack its fairness).         *)
(***************************************************************************)
LivenessMaxMs == 4
LivenessMaxGs == 5     \* main and the four workers of SmallFuncs

MAction(m) ==
    /\ m \in MIDs
    /\ \/ Schedule(m)
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

FairSpec == Spec /\ \A m \in 0..(LivenessMaxMs - 1) : WF_vars(MAction(m))

MsBounded == [](Len(Ms) <= LivenessMaxMs)

\* Every runnable G eventually runs.
EveryRunnableGRuns ==
    \A g \in 1..LivenessMaxGs :
        [](g \in GIDs /\ Gs[g].st = "runnable" => <>(g \in GIDs /\ Gs[g].st = "running"))

\* No P stays idle forever while a runnable G waits.  TLC needs a constant
\* quantifier outside a temporal operator: the Ps are the initial ones
\* (the liveness workload makes no gomaxprocs change).
NoIdlePWhileRunnableWaits ==
    \A p \in 0..(Procs - 1) :
        []<>(~(Ps[p].st = "idle" /\ \E g \in GIDs : Gs[g].st = "runnable"))
=============================================================================
