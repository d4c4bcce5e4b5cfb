/** Node ids are global (n1..n9 in the default topology); cluster ids start at 1. */
export type NodeId = number;
export type ClusterId = number;
export type AccountId = number;
/** A Paxos log position; the first slot is 1, slot 0 means "nothing yet". */
export type Slot = number;
/** Identifies a client session for exactly-once execution (docs/transfers.md, "Sessions: exactly once").
 *  Its part before the last '-' is the client's origin (one client process), which the leader's
 *  queue bounds on its own so one client cannot starve the others (clientOrigin, src/ledger/admission.ts). */
export type ClientId = string;
