---------------------------- MODULE MCRunQueue -----------------------------
(* Model-checking wrapper for RunQueue.tla: the configurations             *)
(* MCRunQueue_<name>.cfg set the constants.                                *)
EXTENDS RunQueue
=============================================================================
