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

(* MCGMP_small.gmp (model/testdata/explore/spill.gmp): the fourth spawn
   kicks runnext into a full ring of 2, which spills.
     func main { spawn w; spawn w; spawn w; spawn w; park done 4 }
     func w    { ready done }                                     *)
SmallFuncs ==
    << << I("spawn", 2, 0, 0), I("spawn", 2, 0, 0), I("spawn", 2, 0, 0),
          I("spawn", 2, 0, 0), I("park", 0, 0, 4), Ret >>,
       << I("ready", 0, 0, 0), Ret >> >>
=============================================================================
