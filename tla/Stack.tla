------------------------------- MODULE Stack --------------------------------
(***************************************************************************)
(* One goroutine's stack (stack.go; brief section 7): push and pop of     *)
(* words, growth by copying to a stack twice the size (newstack,           *)
(* copystack) with pointer adjustment, shrinking to half (shrinkstack),    *)
(* and overflow (newsize > MaxStack: throw "stack overflow").              *)
(*                                                                         *)
(* Memory is one address space Addr; a stack is [lo, hi), its used part    *)
(* [sp, hi) (stacks grow down).  A word is a record: ptr (the pointer map  *)
(* says it is a pointer), val (its value: an address if ptr), and two     *)
(* ghost fields that the runtime does not have: id, a name of the word     *)
(* that moves with it, and tgt, the id of the word a pointer was made to   *)
(* point to.  Pointers on a Go stack point into the same or older frames,  *)
(* so a pushed pointer targets a word already on the stack (a higher       *)
(* address): popping never leaves one dangling.                            *)
(*                                                                         *)
(* copystack is two steps, as the runtime does it: Copy allocates the new  *)
(* stack and memmoves the used part top-aligned (delta = new.hi - old.hi), *)
(* Adjust rewrites every pointer word p with old.lo <= p < old.hi to       *)
(* p + delta (adjustpointers), switches the G to the new stack and frees   *)
(* the old one (its words become Free).  The G is stopped meanwhile, so    *)
(* there is one process.  Left out: sudogs, defers, panics, ctxt (the      *)
(* other pointers into the stack, adjusted the same way), data words that  *)
(* look like addresses (the pointer maps keep them out, as here).          *)
(***************************************************************************)
EXTENDS Naturals, FiniteSets

CONSTANTS
    StackMin,     \* the initial (and smallest) stack, in words (runtime: 2048 bytes)
    MaxStack,     \* the largest stack; growing past it overflows (runtime: 1 GB)
    AddrSize,     \* the address space is 0..AddrSize-1
    MutNoAdjust   \* mutant: copystack copies without adjusting pointers

ASSUME StackMin >= 1 /\ MaxStack >= StackMin /\ AddrSize >= 2 * MaxStack
ASSUME MutNoAdjust \in BOOLEAN

Addr == 0..AddrSize-1
Free == [ptr |-> FALSE, val |-> 0, id |-> 0, tgt |-> 0]
Word == [ptr : BOOLEAN, val : Addr, id : Nat, tgt : Nat]

VARIABLES
    mem,          \* mem[a]: the word at address a
    lo, hi, sp,   \* the G's stack [lo, hi) and stack pointer: used part [sp, hi)
    pc,           \* "run", "copied" (between memmove and adjust), "overflow"
    nlo, nhi      \* the new stack while copying

vars == <<mem, lo, hi, sp, pc, nlo, nhi>>

Init ==
    /\ mem = [a \in Addr |-> Free]
    /\ lo = 0 /\ hi = StackMin /\ sp = StackMin
    /\ pc = "run" /\ nlo = 0 /\ nhi = 0

\* Ids are bounded by reusing: the id of a word is its depth below hi when
\* pushed (hi - sp + 1), unique among live words and unchanged by a
\* top-aligned copy, but stored in the word so the invariant reads it from
\* the memory the pointer designates.
Depth == hi - sp

\* A frame pushes a data word (there is room: sp > lo).
PushData ==
    /\ pc = "run" /\ sp > lo
    /\ mem' = [mem EXCEPT ![sp - 1] = [ptr |-> FALSE, val |-> 0, id |-> Depth + 1, tgt |-> 0]]
    /\ sp' = sp - 1
    /\ UNCHANGED <<lo, hi, pc, nlo, nhi>>

\* A frame pushes a pointer to a word of an older frame (address a).
PushPtr(a) ==
    /\ pc = "run" /\ sp > lo /\ a \in sp..hi-1
    /\ mem' = [mem EXCEPT ![sp - 1] = [ptr |-> TRUE, val |-> a, id |-> Depth + 1, tgt |-> mem[a].id]]
    /\ sp' = sp - 1
    /\ UNCHANGED <<lo, hi, pc, nlo, nhi>>

\* A frame returns.
Pop ==
    /\ pc = "run" /\ sp < hi
    /\ mem' = [mem EXCEPT ![sp] = Free]
    /\ sp' = sp + 1
    /\ UNCHANGED <<lo, hi, pc, nlo, nhi>>

\* copystack, step 1: allocate [l, l+size) (aligned, disjoint from the
\* old stack) and memmove the used words top-aligned.
CopyTo(size) ==
    \E l \in {k * size : k \in 0..(AddrSize \div size) - 1} :
        /\ l + size <= lo \/ hi <= l
        /\ nlo' = l /\ nhi' = l + size
        /\ mem' = [a \in Addr |->
                     IF a \in (l + size - Depth)..(l + size - 1)
                       THEN mem[a - (l + size) + hi]
                       ELSE mem[a]]
        /\ pc' = "copied"
        /\ UNCHANGED <<lo, hi, sp>>

\* newstack: the next push does not fit (sp = lo).  newsize = 2 * size;
\* past MaxStack it throws "stack overflow" (fatal: nothing more happens).
Grow ==
    /\ pc = "run" /\ sp = lo
    /\ IF 2 * (hi - lo) > MaxStack
         THEN /\ pc' = "overflow"
              /\ UNCHANGED <<mem, lo, hi, sp, nlo, nhi>>
         ELSE CopyTo(2 * (hi - lo))

\* shrinkstack: half the size, if that is not below StackMin and the used
\* part is under a quarter (stackNosplit taken as 0 words here).
Shrink ==
    /\ pc = "run"
    /\ (hi - lo) \div 2 >= StackMin
    /\ 4 * Depth < hi - lo
    /\ CopyTo((hi - lo) \div 2)

\* copystack, step 2: adjust every pointer word into the old stack by
\* delta (not in the mutant), switch to the new stack, free the old one.
Adjust ==
    LET delta == nhi - hi    \* may be negative: the runtime's uintptr wrap
        nsp == nhi - Depth
    IN /\ pc = "copied"
       /\ mem' = [a \in Addr |->
                    IF a \in nsp..nhi-1
                      THEN IF mem[a].ptr /\ mem[a].val \in lo..hi-1 /\ ~MutNoAdjust
                             THEN [mem[a] EXCEPT !.val = @ + delta]
                             ELSE mem[a]
                    ELSE IF a \in lo..hi-1 THEN Free
                    ELSE mem[a]]
       /\ lo' = nlo /\ hi' = nhi /\ sp' = nsp
       /\ pc' = "run" /\ nlo' = 0 /\ nhi' = 0

Next ==
    \/ PushData \/ (\E a \in Addr : PushPtr(a)) \/ Pop
    \/ Grow \/ Shrink \/ Adjust

Spec == Init /\ [][Next]_vars

(***************************************************************************)
(* Invariants                                                              *)
(***************************************************************************)

TypeOK ==
    /\ mem \in [Addr -> Word]
    /\ lo \in Addr /\ hi \in 0..AddrSize /\ sp \in 0..AddrSize
    /\ pc \in {"run", "copied", "overflow"}

\* The stack is a power-of-two multiple of StackMin within [StackMin,
\* MaxStack], and sp lies in it.
StackBounds ==
    /\ hi - lo \in {StackMin * (2 ^ k) : k \in 0..MaxStack}
    /\ StackMin <= hi - lo /\ hi - lo <= MaxStack
    /\ lo <= sp /\ sp <= hi

\* Every pointer word on the stack (outside the copy window) points into
\* the used part of the stack, at the word it was made to point to.
PointersKeepTargets ==
    pc # "copied" =>
        \A a \in sp..hi-1 :
            mem[a].ptr => /\ mem[a].val \in sp..hi-1
                          /\ mem[mem[a].val].id = mem[a].tgt
=============================================================================
