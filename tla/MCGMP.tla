------------------------------- MODULE MCGMP -------------------------------
(***************************************************************************)
(* Model-checking values for GMP.tla: the workloads of the MCGMP_*.cfg     *)
(* configurations, written as GMP's Funcs.  Each mirrors the workload file *)
(* of the same name (MCGMP_<name>.gmp), which the Go explorer runs; the    *)
(* function order is the file's order, so Fn indices agree.                *)
(***************************************************************************)
EXTENDS GMP

\* One instruction: op, the spawned function f, the key k, the count n.
I(op, f, k, n) == [op |-> op, f |-> f, k |-> k, n |-> n]
Ret == I("return", 0, 0, 0)

(* MCGMP_medium.gmp:
     func main { spawn w; spawn w; park done 2 }
     func w    { gosched; syscall 1ms; ready done }              *)
MediumFuncs ==
    << << I("spawn", 2, 0, 0), I("spawn", 2, 0, 0), I("park", 0, 0, 2), Ret >>,
       << I("gosched", 0, 0, 0), I("syscall", 0, 0, 0), I("ready", 0, 0, 0), Ret >> >>

(* MCGMP_syscall.gmp:
     func main { spawn w; spawn w; park done 2 }
     func w    { syscall 1ms; ready done }                        *)
SyscallFuncs ==
    << << I("spawn", 2, 0, 0), I("spawn", 2, 0, 0), I("park", 0, 0, 2), Ret >>,
       << I("syscall", 0, 0, 0), I("ready", 0, 0, 0), Ret >> >>

(* MCGMP_large.gmp: MCGMP_syscall with three workers (about 1.9 million
   distinct states; a run of minutes under TLC).
     func main { spawn w; spawn w; spawn w; park done 3 }
     func w    { syscall 1ms; ready done }                        *)
LargeFuncs ==
    << << I("spawn", 2, 0, 0), I("spawn", 2, 0, 0), I("spawn", 2, 0, 0),
          I("park", 0, 0, 3), Ret >>,
       << I("syscall", 0, 0, 0), I("ready", 0, 0, 0), Ret >> >>

(* MCGMP_small.gmp (model/testdata/explore/spill.gmp): the fourth spawn
   kicks runnext into a full ring of 2, which spills.
     func main { spawn w; spawn w; spawn w; spawn w; park done 4 }
     func w    { ready done }                                     *)
SmallFuncs ==
    << << I("spawn", 2, 0, 0), I("spawn", 2, 0, 0), I("spawn", 2, 0, 0),
          I("spawn", 2, 0, 0), I("park", 0, 0, 4), Ret >>,
       << I("ready", 0, 0, 0), Ret >> >>
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
       \/ Spawn(m)
       \/ Gosched(m)
       \/ Park(m)
       \/ \E w \in {NoG} \cup GIDs : Ready(m, w)
       \/ EnterSyscall(m)
       \/ ExitSyscall(m)
       \/ Goexit(m)

FairSpec == Spec /\ \A m \in 0..(LivenessMaxMs - 1) : WF_vars(MAction(m))

MsBounded == [](Len(Ms) <= LivenessMaxMs)

\* Every runnable G eventually runs.
EveryRunnableGRuns ==
    \A g \in 1..LivenessMaxGs :
        [](g \in GIDs /\ Gs[g].st = "runnable" => <>(g \in GIDs /\ Gs[g].st = "running"))

\* No P stays idle forever while a runnable G waits.
NoIdlePWhileRunnableWaits ==
    \A p \in PIDs :
        []<>(~(Ps[p].st = "idle" /\ \E g \in GIDs : Gs[g].st = "runnable"))
=============================================================================
