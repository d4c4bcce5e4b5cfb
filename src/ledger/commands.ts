import { txnKey } from '../twopc/steps.js';

/**
 * A command's identity at the leader (its waiting clients, its in-flight locks). The same
 * string as the transaction key of 2PC on purpose: the lock rule compares the owner of an
 * in-flight lock with the holder of a replicated one (see twopc/locks.ts).
 */
export const commandKey = txnKey;
