------------------------------ MODULE RunQueue ------------------------------
(***************************************************************************)
(* A P's lock-free local run queue (impl/runq.go; proc.go runqput,         *)
(* runqputslow, runqget, runqgrab) at the granularity of its atomic steps: *)
(* one owner process and NThieves thief processes, each with a program     *)
(* counter pc[p]; every load, plain store, store-release and CAS of a      *)
(* shared word is its own action (Transition(p, from, to)).                *)
(*                                                                         *)
(* Shared words: head, tail (counters), ring[0..Size-1] (slots, indexed by *)
(* counter % Size; a consumed slot keeps its stale G, as the runtime's     *)
(* does), runnext, and the global queue (a sequence; its lock makes an     *)
(* append one step).                                                       *)
(*                                                                         *)
(* Counters.  The runtime's head and tail are uint32, mod 2^32; here they  *)
(* are naturals.  The owner puts each of the NG Gs into the ring at most  *)
(* once, so tail <= NG and head <= tail: the model is finite without a     *)
(* state constraint.  The ABA the head CAS guards against is the *ring*   *)
(* wrapping (a thief's speculatively read slot h % Size rewritten by the   *)
(* owner after consumers advanced head past h): that is modelled, since    *)
(* slots are counter % Size with NG > Size, and the CAS compares the full  *)
(* counter, so it fails.  What naturals leave out is the counter itself    *)
(* wrapping: a stale thief's CAS(head, h, h+n) succeeds wrongly only if    *)
(* head advanced by exactly 2^32 between its load and its CAS (brief       *)
(* section 11; impl/runq.go "ABA"), i.e. 2^32 consumptions during one      *)
(* steal; that is the runtime's assumption too, and no bounded model can   *)
(* reach it, so the naturals state it as an axiom rather than hide it.    *)
(*                                                                         *)
(* Ownership (brief 1.2), enforced by which actions write what: only the   *)
(* owner writes tail, ring slots, and a non-None runnext; head moves only  *)
(* by CAS (except in the MutPlainHead mutant); anyone CASes runnext to     *)
(* None.                                                                   *)
(***************************************************************************)
EXTENDS Naturals, Sequences, FiniteSets

CONSTANTS
    Size,          \* ring capacity, a power of two >= 2 (runtime: 256)
    NG,            \* the owner puts the Gs 1..NG, in that order
    NThieves,      \* thief processes 1..NThieves; the owner is process 0
    MutPlainHead   \* mutant: a thief advances head with a plain store, not a CAS

ASSUME Size >= 2 /\ NG \in Nat /\ NThieves \in Nat /\ MutPlainHead \in BOOLEAN

None == 0
Gs == 1..NG
Owner == 0
Thieves == 1..NThieves
Procs == {Owner} \cup Thieves

VARIABLES
    head, tail,    \* the ring's counters (runqhead, runqtail)
    ring,          \* the slots: [0..Size-1 -> Gs \cup {None}]
    runnext,       \* runnext, or None
    global,        \* the global run queue (sequence of Gs)
    taken,         \* taken[g]: how many times a consumer has taken g (0 or 1)
    got,           \* the Gs the owner's runqget took (history, for the refinement)
    nextG,         \* the next G the owner will put (NG+1: all put)
    pc,            \* pc[p]: the process's program counter
    \* The owner's locals:
    og,            \* the G it holds in flight to the tail (new or kicked), or None
    oold,          \* runnext as read before its CAS (put with next)
    oh, ot,        \* head and tail as it read them
    obatch,        \* runqputslow's batch of the oldest Gs
    ov,            \* runqget's read of runnext or of a slot
    \* Each thief's locals (runqgrab):
    th, tt,        \* head, tail as read
    tn,            \* how many ring Gs it takes: ceil((tt - th) / 2)
    tb,            \* its batch: slots read so far; owned once its CAS succeeded
    tsrn,          \* stealRunNextG for this attempt
    trn            \* runnext as read

vars == <<head, tail, ring, runnext, global, taken, got, nextG, pc,
          og, oold, oh, ot, obatch, ov, th, tt, tn, tb, tsrn, trn>>
ownerLocals == <<og, oold, oh, ot, obatch, ov>>
thiefLocals == <<th, tt, tn, tb, tsrn, trn>>

\* The owner's program counters.
OwnerPCs == {"idle", "put_head", "put_write", "put_pub", "pn_read", "pn_cas",
             "spill_read", "spill_cas", "spill_glob",
             "get_rn", "get_rncas", "get_head", "get_slot", "get_cas"}
\* The thieves' program counters.
ThiefPCs == {"idle", "grab_head", "grab_tail", "grab_slot", "grab_cas",
             "grab_rnread", "grab_rncas", "grab_pub"}

Transition(p, from, to) == pc[p] = from /\ pc' = [pc EXCEPT ![p] = to]

Range(s) == {s[i] : i \in 1..Len(s)}
CountSeq(s, g) == Cardinality({i \in 1..Len(s) : s[i] = g})
Max(a, b) == IF a > b THEN a ELSE b

\* The Gs in [head, tail), oldest first.
RingSeq == [i \in 1..Max(tail - head, 0) |-> ring[(head + i - 1) % Size]]

Init ==
    /\ head = 0 /\ tail = 0
    /\ ring = [i \in 0..Size-1 |-> None]
    /\ runnext = None /\ global = <<>>
    /\ taken = [g \in Gs |-> 0] /\ got = {}
    /\ nextG = 1
    /\ pc = [p \in Procs |-> "idle"]
    /\ og = None /\ oold = None /\ oh = 0 /\ ot = 0 /\ obatch = <<>> /\ ov = None
    /\ th = [t \in Thieves |-> 0] /\ tt = [t \in Thieves |-> 0]
    /\ tn = [t \in Thieves |-> 0] /\ tb = [t \in Thieves |-> <<>>]
    /\ tsrn = [t \in Thieves |-> FALSE] /\ trn = [t \in Thieves |-> None]

(***************************************************************************)
(* Owner actions                                                           *)
(***************************************************************************)

\* runqput(g, next=false) begins with the next G in hand.
\* Linearization point of the abstract Put (the G is in flight to the tail).
PutBegin ==
    /\ nextG <= NG
    /\ Transition(Owner, "idle", "put_head")
    /\ og' = nextG /\ nextG' = nextG + 1
    /\ UNCHANGED <<head, tail, ring, runnext, global, taken, got, oold, oh, ot, obatch, ov>>
    /\ UNCHANGED thiefLocals

\* runqput(g, next=true) begins.
PutNextBegin ==
    /\ nextG <= NG
    /\ Transition(Owner, "idle", "pn_read")
    /\ og' = nextG /\ nextG' = nextG + 1
    /\ UNCHANGED <<head, tail, ring, runnext, global, taken, got, oold, oh, ot, obatch, ov>>
    /\ UNCHANGED thiefLocals

\* Load runnext (the CAS loop's old value).
PutNextRead ==
    /\ Transition(Owner, "pn_read", "pn_cas")
    /\ oold' = runnext
    /\ UNCHANGED <<head, tail, ring, runnext, global, taken, got, nextG, og, oh, ot, obatch, ov>>
    /\ UNCHANGED thiefLocals

\* CAS(runnext, oold, og).  Success: done, or the old runnext is kicked to
\* the tail (linearization point of the abstract PutNext).  Failure (a thief
\* zeroed runnext): reload.
PutNextCAS ==
    /\ pc[Owner] = "pn_cas"
    /\ IF runnext = oold
         THEN /\ runnext' = og
              /\ IF oold = None
                   THEN og' = None /\ pc' = [pc EXCEPT ![Owner] = "idle"]
                   ELSE og' = oold /\ pc' = [pc EXCEPT ![Owner] = "put_head"]
         ELSE /\ pc' = [pc EXCEPT ![Owner] = "pn_read"]
              /\ UNCHANGED <<runnext, og>>
    /\ oold' = None
    /\ UNCHANGED <<head, tail, ring, global, taken, got, nextG, oh, ot, obatch, ov>>
    /\ UNCHANGED thiefLocals

\* retry: h = LoadAcq(head), t = tail (the owner's own word).
PutHead ==
    /\ pc[Owner] = "put_head"
    /\ oh' = head /\ ot' = tail
    /\ pc' = [pc EXCEPT ![Owner] = IF tail - head < Size THEN "put_write" ELSE "spill_read"]
    /\ UNCHANGED <<head, tail, ring, runnext, global, taken, got, nextG, og, oold, obatch, ov>>
    /\ UNCHANGED thiefLocals

\* Plain store of the slot t % Size.
PutWrite ==
    /\ Transition(Owner, "put_write", "put_pub")
    /\ ring' = [ring EXCEPT ![ot % Size] = og]
    /\ UNCHANGED <<head, tail, runnext, global, taken, got, nextG, og, oold, oh, ot, obatch, ov>>
    /\ UNCHANGED thiefLocals

\* StoreRel(tail, t+1): publishes the slot.
PutPublish ==
    /\ Transition(Owner, "put_pub", "idle")
    /\ tail' = ot + 1
    /\ og' = None
    /\ UNCHANGED <<head, ring, runnext, global, taken, got, nextG, oold, oh, ot, obatch, ov>>
    /\ UNCHANGED thiefLocals

\* runqputslow: read the Size/2 oldest slots h .. h+Size/2-1 (the owner
\* reads its own ring: no writer can race with it, so one step).
SpillRead ==
    /\ Transition(Owner, "spill_read", "spill_cas")
    /\ obatch' = [i \in 1..((ot - oh) \div 2) |-> ring[(oh + i - 1) % Size]]
    /\ UNCHANGED <<head, tail, ring, runnext, global, taken, got, nextG, og, oold, oh, ot, ov>>
    /\ UNCHANGED thiefLocals

\* CasRel(head, h, h+Size/2).  Success (linearization point of the abstract
\* Spill): the batch is the owner's.  Failure: a consumer made room; retry
\* the fast path.
SpillCAS ==
    /\ pc[Owner] = "spill_cas"
    /\ IF head = oh
         THEN /\ head' = oh + Len(obatch)
              /\ pc' = [pc EXCEPT ![Owner] = "spill_glob"]
              /\ UNCHANGED obatch
         ELSE /\ pc' = [pc EXCEPT ![Owner] = "put_head"]
              /\ obatch' = <<>>
              /\ UNCHANGED head
    /\ UNCHANGED <<tail, ring, runnext, global, taken, got, nextG, og, oold, oh, ot, ov>>
    /\ UNCHANGED thiefLocals

\* globrunqputbatch under sched.lock: batch, then the G that did not fit.
SpillGlobal ==
    /\ Transition(Owner, "spill_glob", "idle")
    /\ global' = global \o obatch \o <<og>>
    /\ obatch' = <<>> /\ og' = None
    /\ UNCHANGED <<head, tail, ring, runnext, taken, got, nextG, oold, oh, ot, ov>>
    /\ UNCHANGED thiefLocals

\* runqget begins: next := runnext (plain load).
GetRunnext ==
    /\ pc[Owner] = "idle"
    /\ ov' = runnext
    /\ pc' = [pc EXCEPT ![Owner] = IF runnext # None THEN "get_rncas" ELSE "get_head"]
    /\ UNCHANGED <<head, tail, ring, runnext, global, taken, got, nextG, og, oold, oh, ot, obatch>>
    /\ UNCHANGED thiefLocals

\* CAS(runnext, next, None): success returns it (linearization point of the
\* abstract Get); failure is not retried (only a thief can have zeroed it).
GetRunnextCAS ==
    /\ pc[Owner] = "get_rncas"
    /\ IF runnext = ov
         THEN /\ runnext' = None
              /\ taken' = [taken EXCEPT ![ov] = @ + 1] /\ got' = got \cup {ov}
              /\ pc' = [pc EXCEPT ![Owner] = "idle"]
         ELSE /\ pc' = [pc EXCEPT ![Owner] = "get_head"]
              /\ UNCHANGED <<runnext, taken, got>>
    /\ ov' = None
    /\ UNCHANGED <<head, tail, ring, global, nextG, og, oold, oh, ot, obatch>>
    /\ UNCHANGED thiefLocals

\* h = LoadAcq(head), t = tail; empty returns nil.
GetHead ==
    /\ pc[Owner] = "get_head"
    /\ oh' = head /\ ot' = tail
    /\ pc' = [pc EXCEPT ![Owner] = IF head = tail THEN "idle" ELSE "get_slot"]
    /\ UNCHANGED <<head, tail, ring, runnext, global, taken, got, nextG, og, oold, obatch, ov>>
    /\ UNCHANGED thiefLocals

\* Speculative read of slot h % Size.
GetSlot ==
    /\ Transition(Owner, "get_slot", "get_cas")
    /\ ov' = ring[oh % Size]
    /\ UNCHANGED <<head, tail, ring, runnext, global, taken, got, nextG, og, oold, oh, ot, obatch>>
    /\ UNCHANGED thiefLocals

\* CasRel(head, h, h+1): success returns the G (linearization point of the
\* abstract Get); failure retries from the head load.
GetCAS ==
    /\ pc[Owner] = "get_cas"
    /\ IF head = oh
         THEN /\ head' = oh + 1
              /\ taken' = [taken EXCEPT ![ov] = @ + 1] /\ got' = got \cup {ov}
              /\ pc' = [pc EXCEPT ![Owner] = "idle"]
         ELSE /\ pc' = [pc EXCEPT ![Owner] = "get_head"]
              /\ UNCHANGED <<head, taken, got>>
    /\ ov' = None
    /\ UNCHANGED <<tail, ring, runnext, global, nextG, og, oold, oh, ot, obatch>>
    /\ UNCHANGED thiefLocals

(***************************************************************************)
(* Thief actions (runqgrab; the thief's own ring is abstracted: a grabbed  *)
(* batch is in flight until GrabPublish hands it on, to "taken")          *)
(***************************************************************************)

ThiefUnchanged == <<head, tail, ring, runnext, global, taken, got, nextG, og, oold, oh, ot, obatch, ov>>

\* A steal attempt begins; stealRunNextG is the caller's choice (the last
\* steal round).
GrabBegin(t) ==
    /\ Transition(t, "idle", "grab_head")
    /\ tsrn' = [tsrn EXCEPT ![t] = TRUE] \/ tsrn' = [tsrn EXCEPT ![t] = FALSE]
    /\ UNCHANGED ThiefUnchanged
    /\ UNCHANGED <<th, tt, tn, tb, trn>>

\* h = LoadAcq(head).
GrabHead(t) ==
    /\ Transition(t, "grab_head", "grab_tail")
    /\ th' = [th EXCEPT ![t] = head]
    /\ UNCHANGED ThiefUnchanged
    /\ UNCHANGED <<tt, tn, tb, tsrn, trn>>

\* t = LoadAcq(tail); n = ceil((t-h)/2).  Empty: runnext if stealRunNextG,
\* else return 0.  n > Size/2 (a stale head): retry.
GrabTail(t) ==
    LET len == tail - th[t]
        n == len - len \div 2
    IN /\ pc[t] = "grab_tail"
       /\ tt' = [tt EXCEPT ![t] = tail]
       /\ tn' = [tn EXCEPT ![t] = n]
       /\ tb' = [tb EXCEPT ![t] = <<>>]
       /\ pc' = [pc EXCEPT ![t] =
                   IF len = 0 THEN (IF tsrn[t] THEN "grab_rnread" ELSE "idle")
                   ELSE IF len < 0 \/ n > Size \div 2 THEN "grab_head"
                   ELSE "grab_slot"]
       /\ UNCHANGED ThiefUnchanged
       /\ UNCHANGED <<th, tsrn, trn>>

\* Speculative read of the next slot (h + i) % Size, one load per step:
\* the owner may be rewriting a wrapped slot meanwhile.
GrabSlot(t) ==
    /\ pc[t] = "grab_slot"
    /\ tb' = [tb EXCEPT ![t] = Append(@, ring[(th[t] + Len(tb[t])) % Size])]
    /\ pc' = [pc EXCEPT ![t] = IF Len(tb[t]) + 1 = tn[t] THEN "grab_cas" ELSE "grab_slot"]
    /\ UNCHANGED ThiefUnchanged
    /\ UNCHANGED <<th, tt, tn, tsrn, trn>>

\* CasRel(head, h, h+n): success (linearization point of the abstract
\* Steal) makes the batch the thief's; failure retries.  The mutant stores
\* head plainly, without the check.
GrabCAS(t) ==
    /\ pc[t] = "grab_cas"
    /\ IF head = th[t] \/ MutPlainHead
         THEN /\ head' = th[t] + tn[t]
              /\ pc' = [pc EXCEPT ![t] = "grab_pub"]
              /\ UNCHANGED tb
         ELSE /\ pc' = [pc EXCEPT ![t] = "grab_head"]
              /\ tb' = [tb EXCEPT ![t] = <<>>]
              /\ UNCHANGED head
    /\ UNCHANGED <<tail, ring, runnext, global, taken, got, nextG, og, oold, oh, ot, obatch, ov>>
    /\ UNCHANGED <<th, tt, tn, tsrn, trn>>

\* The ring looked empty: load runnext (the usleep(3) back-off is timing
\* only and not modelled).  None: return 0.
GrabRunnextRead(t) ==
    /\ pc[t] = "grab_rnread"
    /\ trn' = [trn EXCEPT ![t] = runnext]
    /\ pc' = [pc EXCEPT ![t] = IF runnext = None THEN "idle" ELSE "grab_rncas"]
    /\ UNCHANGED ThiefUnchanged
    /\ UNCHANGED <<th, tt, tn, tb, tsrn>>

\* CAS(runnext, next, None): success (linearization point of the abstract
\* StealNext) takes it; failure restarts the loop.
GrabRunnextCAS(t) ==
    /\ pc[t] = "grab_rncas"
    /\ IF runnext = trn[t]
         THEN /\ runnext' = None
              /\ tb' = [tb EXCEPT ![t] = <<trn[t]>>]
              /\ pc' = [pc EXCEPT ![t] = "grab_pub"]
         ELSE /\ pc' = [pc EXCEPT ![t] = "grab_head"]
              /\ UNCHANGED <<runnext, tb>>
    /\ trn' = [trn EXCEPT ![t] = None]
    /\ UNCHANGED <<head, tail, ring, global, taken, got, nextG, og, oold, oh, ot, obatch, ov>>
    /\ UNCHANGED <<th, tt, tn, tsrn>>

\* runqsteal publishes / runs the batch: it leaves the victim's world.
GrabPublish(t) ==
    /\ Transition(t, "grab_pub", "idle")
    /\ taken' = [g \in Gs |-> taken[g] + CountSeq(tb[t], g)]
    /\ UNCHANGED got
    /\ tb' = [tb EXCEPT ![t] = <<>>]
    /\ UNCHANGED <<head, tail, ring, runnext, global, nextG, og, oold, oh, ot, obatch, ov>>
    /\ UNCHANGED <<th, tt, tn, tsrn, trn>>

Next ==
    \/ PutBegin \/ PutNextBegin \/ PutNextRead \/ PutNextCAS
    \/ PutHead \/ PutWrite \/ PutPublish
    \/ SpillRead \/ SpillCAS \/ SpillGlobal
    \/ GetRunnext \/ GetRunnextCAS \/ GetHead \/ GetSlot \/ GetCAS
    \/ \E t \in Thieves :
         \/ GrabBegin(t) \/ GrabHead(t) \/ GrabTail(t) \/ GrabSlot(t)
         \/ GrabCAS(t) \/ GrabRunnextRead(t) \/ GrabRunnextCAS(t) \/ GrabPublish(t)

Spec == Init /\ [][Next]_vars

(***************************************************************************)
(* Invariants                                                              *)
(***************************************************************************)

TypeOK ==
    /\ head \in Nat /\ tail \in Nat
    /\ ring \in [0..Size-1 -> Gs \cup {None}]
    /\ runnext \in Gs \cup {None}
    /\ global \in Seq(Gs)
    /\ taken \in [Gs -> Nat] /\ got \subseteq Gs
    /\ nextG \in 1..NG+1
    /\ pc[Owner] \in OwnerPCs /\ \A t \in Thieves : pc[t] \in ThiefPCs
    /\ og \in Gs \cup {None} /\ ov \in Gs \cup {None}

\* What the owner holds privately: its G in flight to the tail (or being
\* CASed into runnext), and runqputslow's batch once its head CAS succeeded.
OwnerHeld ==
    (IF og # None THEN <<og>> ELSE <<>>)
    \o (IF pc[Owner] = "spill_glob" THEN obatch ELSE <<>>)

\* What thief t holds privately: its batch once its CAS succeeded.
ThiefHeld(t) == IF pc[t] = "grab_pub" THEN tb[t] ELSE <<>>

\* How many places hold g.
Places(g) ==
    CountSeq(RingSeq, g) + (IF runnext = g THEN 1 ELSE 0) + CountSeq(global, g)
    + CountSeq(OwnerHeld, g) + taken[g]
    + LET ts == [t \in Thieves |-> CountSeq(ThiefHeld(t), g)]
          Sum[S \in SUBSET Thieves] ==
              IF S = {} THEN 0 ELSE LET x == CHOOSE x \in S : TRUE IN ts[x] + Sum[S \ {x}]
      IN Sum[Thieves]

\* NoLostG and no duplicate: every G the owner has begun to put is in
\* exactly one place (ring [head, tail), runnext, global, a private batch or
\* G in flight, taken); the others are nowhere.
ExactlyOnce ==
    \A g \in Gs : Places(g) = IF g < nextG THEN 1 ELSE 0

\* 0 <= tail - head <= Size, as the owner sees it.
LengthBounds == 0 <= tail - head /\ tail - head <= Size

\* runnext is never in the ring (implied by ExactlyOnce; stated as the
\* runtime's comment states it).
RunnextNotInRing == runnext = None \/ CountSeq(RingSeq, runnext) = 0

(***************************************************************************)
(* Refinement: the ring implements AbstractRunQueue.  The abstract FIFO is *)
(* the ring [head, tail) followed by the owner's G in flight to the tail   *)
(* (not one being CASed into runnext: that put has not happened yet); the *)
(* abstract global queue includes the owner's spilled batch in flight; a   *)
(* thief's committed batch is already taken.  Every step above is either   *)
(* a stutter of the abstraction or one abstract action (the linearization  *)
(* points named in the comments).                                          *)
(***************************************************************************)
AbsQ == RingSeq \o (IF pc[Owner] \in {"put_head", "put_write", "put_pub", "spill_read", "spill_cas"}
                      THEN <<og>> ELSE <<>>)
AbsGlob == global \o (IF pc[Owner] = "spill_glob" THEN obatch \o <<og>> ELSE <<>>)
AbsStolen == {g \in Gs : taken[g] > 0 /\ g \notin got} \cup UNION {Range(ThiefHeld(t)) : t \in Thieves}

Abs == INSTANCE AbstractRunQueue WITH aq <- AbsQ, anext <- runnext, aglob <- AbsGlob,
                            agot <- got, astolen <- AbsStolen

Refinement == Abs!Spec
=============================================================================
