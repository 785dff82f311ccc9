-------------------------- MODULE AbstractRunQueue --------------------------
(***************************************************************************)
(* The abstract local run queue that RunQueue.tla refines: a FIFO `aq`    *)
(* plus a `anext` slot, the global queue `aglob`, the set `agot` of Gs the *)
(* owner's get took and the set `astolen` of Gs thieves took.  Each action *)
(* is one committed operation of                                           *)
(* the lock-free ring (its linearization point is named in RunQueue.tla). *)
(*                                                                         *)
(* Weakenings, each forced by the concrete protocol:                       *)
(*  - Steal takes any 1 <= n <= ceil(Len(aq)/2) oldest Gs: a thief sizes   *)
(*    its batch from a head/tail pair it read earlier, and the tail only   *)
(*    grows, so its n is at most ceil(half) of the current length.         *)
(*  - StealNext takes anext whatever aq holds: a thief that saw the ring   *)
(*    empty may CAS runnext after the owner kicked a G into the ring.      *)
(*  - aq may hold Size+1 Gs for a moment: the owner's G in flight to the   *)
(*    tail of a full ring, which Spill then moves out.                     *)
(***************************************************************************)
EXTENDS Naturals, Sequences, FiniteSets

CONSTANTS Size,   \* ring capacity (a power of two)
          NG      \* the Gs are 1..NG

VARIABLES aq,      \* the FIFO: the ring [head, tail) and the owner's G in flight
          anext,   \* runnext, or None
          aglob,   \* the global run queue
          agot,    \* the Gs the owner's runqget took
          astolen  \* the Gs thieves took

avars == <<aq, anext, aglob, agot, astolen>>

None == 0
Gs == 1..NG
Range(s) == {s[i] : i \in 1..Len(s)}
Present == Range(aq) \cup Range(aglob) \cup agot \cup astolen \cup (IF anext = None THEN {} ELSE {anext})

Init == aq = <<>> /\ anext = None /\ aglob = <<>> /\ agot = {} /\ astolen = {}

\* runqput(g, next=false): g joins the tail.
Put(g) == /\ g \notin Present /\ Len(aq) <= Size
          /\ aq' = Append(aq, g)
          /\ UNCHANGED <<anext, aglob, agot, astolen>>

\* runqput(g, next=true): g becomes runnext; the old runnext is kicked to the tail.
PutNext(g) == /\ g \notin Present /\ Len(aq) <= Size
              /\ anext' = g
              /\ aq' = IF anext = None THEN aq ELSE Append(aq, anext)
              /\ UNCHANGED <<aglob, agot, astolen>>

\* runqputslow: the Size/2 oldest Gs and the G that did not fit go to the global tail.
Spill == /\ Len(aq) = Size + 1
         /\ aglob' = aglob \o SubSeq(aq, 1, Size \div 2) \o <<aq[Len(aq)]>>
         /\ aq' = SubSeq(aq, Size \div 2 + 1, Size)
         /\ UNCHANGED <<anext, agot, astolen>>

\* runqget: runnext first, else the oldest G of the ring.
Get == \/ /\ anext # None
          /\ agot' = agot \cup {anext} /\ anext' = None
          /\ UNCHANGED <<aq, aglob, astolen>>
       \/ /\ anext = None /\ aq # <<>>
          /\ agot' = agot \cup {Head(aq)} /\ aq' = Tail(aq)
          /\ UNCHANGED <<anext, aglob, astolen>>

\* runqgrab from the ring: the n oldest Gs.
Steal(n) == /\ 1 <= n /\ n <= (Len(aq) + 1) \div 2
            /\ astolen' = astolen \cup Range(SubSeq(aq, 1, n))
            /\ aq' = SubSeq(aq, n + 1, Len(aq))
            /\ UNCHANGED <<anext, aglob, agot>>

\* runqgrab of runnext.
StealNext == /\ anext # None
             /\ astolen' = astolen \cup {anext} /\ anext' = None
             /\ UNCHANGED <<aq, aglob, agot>>

Next == \/ \E g \in Gs : Put(g) \/ PutNext(g)
        \/ Spill \/ Get \/ StealNext
        \/ \E n \in 1..Size : Steal(n)

Spec == Init /\ [][Next]_avars
=============================================================================
