------------------------------ MODULE MCStack ------------------------------
(* Model-checking wrapper for Stack.tla: MCStack_<name>.cfg set the        *)
(* constants.                                                              *)
EXTENDS Stack
=============================================================================
