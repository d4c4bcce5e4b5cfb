import { setTimeout as pause } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { decodeEnvelope, DecodeError, encodeEnvelope } from '../../src/codec/envelope.js';
import { clusterOfAccount, nodesOfCluster, type Topology } from '../../src/ledger/topology.js';
import { duplicatePrepare, staleSequence, type Operation } from '../../src/protocol/commands.js';
import type { Response } from '../../src/protocol/client.js';
import { subjects, type Subjects } from '../../src/transport/subjects.js';
import {
  NoRespondersError,
  NotSentError,
  TransportTimeoutError,
  type Transport,
} from '../../src/transport/transport.js';
import type { CompletionEvent, HistoryEvent, HistoryOp, HistoryResult } from './history.js';

/** The reason of an attempt none of whose messages left the process. */
const notSent = 'not sent';

/** How long one node gets to answer before the client tries the next. */
const attemptTimeoutMs = 500;

export interface RecordingClientOptions {
  /** How long one invocation keeps trying (across nodes and leader changes) before `unknown`. */
  invocationDeadlineMs: number;
  /** How many more times an `unknown` (client id, seq) is invoked again before the client gives
   *  up on it and moves on to its next sequence number. */
  retriesAfterUnknown: number;
  /** Which transfers, after their definite answer, are sent once more under the same (client id,
   *  seq), as a client that missed the answer would: the retry must get the same answer. Reads
   *  are not: a read that does not go through the log is answered afresh. */
  resendAfterAnswer: (op: HistoryOp) => boolean;
}

/**
 * A chaos client ("process" 0..N-1): one operation at a time, each recorded as an invoke and a
 * completion in the run's history. It speaks the wire protocol itself, not through LedgerClient,
 * so the history names the exact (client id, seq) of every attempt and the client can invoke a
 * sequence number again after it got no answer, across leader changes, as a real application
 * that keeps its request ids would. After `retriesAfterUnknown` more tries it gives up on that
 * request and moves on.
 */
export class RecordingClient {
  private readonly subjects: Subjects;
  private readonly leaderHints = new Map<number, number>();
  private nextSeq = 1;

  constructor(
    readonly process: number,
    readonly clientId: string,
    private readonly transport: Transport,
    private readonly topology: Topology,
    prefix: string,
    private readonly record: (event: HistoryEvent) => void,
    private readonly options: RecordingClientOptions,
  ) {
    this.subjects = subjects(prefix);
  }

  /** Runs one operation to its end (with its retries); resolves with the last completion. */
  async run(op: HistoryOp): Promise<CompletionEvent> {
    const seq = this.nextSeq++;
    let completion = await this.invoke(seq, op, false);
    for (let retry = 0; completion.type === 'unknown' && retry < this.options.retriesAfterUnknown; retry++)
      completion = await this.invoke(seq, op, true);
    // Only an answer from the ledger: a request that was never sent must not be sent later.
    const answered = completion.type === 'ok' || (completion.type === 'fail' && completion.reason === undefined);
    if (answered && op.kind === 'transfer' && this.options.resendAfterAnswer(op)) await this.invoke(seq, op, true);
    return completion;
  }

  private async invoke(seq: number, op: HistoryOp, retry: boolean): Promise<CompletionEvent> {
    this.record({ type: 'invoke', process: this.process, clientId: this.clientId, seq, timeMs: performance.now(), op });
    let answer = await this.send(seq, op);
    // A retry that could not be sent says nothing: an earlier attempt may still take effect.
    if (retry && answer.type === 'fail' && answer.reason?.startsWith(notSent) === true)
      answer = { type: 'unknown', reason: answer.reason };
    const completion: CompletionEvent = {
      ...answer,
      process: this.process,
      clientId: this.clientId,
      seq,
      timeMs: performance.now(),
    };
    this.record(completion);
    return completion;
  }

  private async send(
    seq: number,
    op: HistoryOp,
  ): Promise<{ type: CompletionEvent['type']; result?: HistoryResult; reason?: string; servedBy?: number }> {
    const operation: Operation =
      op.kind === 'transfer'
        ? { kind: 'transfer', from: op.from, to: op.to, amount: op.amount }
        : { kind: 'balance', account: op.account, consistency: op.consistency };
    const data = encodeEnvelope({ kind: 'request', command: { clientId: this.clientId, seq, op: operation }, hops: 0 });
    const account = op.kind === 'transfer' ? op.from : op.account;
    const cluster = clusterOfAccount(this.topology, account);
    const members = nodesOfCluster(this.topology, cluster);
    let target = this.leaderHints.get(cluster) ?? (members[0] as number);
    const next = () => members[(members.indexOf(target) + 1) % members.length] as number;
    const deadline = performance.now() + this.options.invocationDeadlineMs;
    let sent = false;
    let reason = 'no answer before the deadline';
    while (performance.now() < deadline) {
      let response: Response;
      try {
        const timeoutMs = Math.max(1, Math.min(attemptTimeoutMs, deadline - performance.now()));
        const reply = decodeEnvelope(await this.transport.request(this.subjects.nodeRequests(target), data, timeoutMs));
        if (reply.kind !== 'response') throw new DecodeError(`expected a response, got ${reply.kind}`);
        response = reply.response;
        sent = true;
      } catch (error) {
        if (error instanceof NotSentError) {
          // The broker is away: nothing left the process. Wait for the connection.
          if (this.transport.connection().closed) break;
          await this.transport.whenConnected(Math.max(0, deadline - performance.now()));
          await pause(10);
          continue;
        }
        if (error instanceof NoRespondersError) {
          sent = true;
          reason = `node ${target} is not running`;
          await pause(50);
        } else if (error instanceof TransportTimeoutError || error instanceof DecodeError) {
          sent = true;
          reason = `no answer from node ${target}`;
        } else throw error;
        target = next();
        continue;
      }
      if (response.kind === 'outcome') {
        this.leaderHints.set(cluster, response.servedBy);
        return { ...interpret(op, response.outcome), servedBy: response.servedBy };
      }
      // Refused as malformed: nothing ran (the workload never sends one, so say why loudly).
      if (response.kind === 'refused') return failed(op, `refused: ${response.reason}`);
      if (response.kind === 'redirect' && response.leaderHint !== undefined && response.leaderHint !== target) {
        target = response.leaderHint;
      } else {
        reason = response.kind === 'busy' ? 'the leader is overloaded' : 'the cluster has no leader';
        await pause(20);
        if (response.kind === 'redirect') target = next();
      }
    }
    // Nothing ever left the process: the request cannot have taken effect.
    if (!sent) return failed(op, `${notSent}: no connection to NATS`);
    return { type: 'unknown', reason };
  }
}

type Outcome = Extract<Response, { kind: 'outcome' }>['outcome'];

/** What an answer means for the history. */
function interpret(
  op: HistoryOp,
  outcome: Outcome,
): { type: CompletionEvent['type']; result?: HistoryResult; reason?: string } {
  if (op.kind === 'read') {
    if (outcome.status === 'ok') return { type: 'ok', result: { kind: 'balance', balance: outcome.balance } };
    const reason = outcome.status === 'rejected' || outcome.status === 'aborted' ? outcome.reason : outcome.status;
    return { type: 'fail', result: { kind: 'read-failed', reason } };
  }
  switch (outcome.status) {
    case 'committed':
      return { type: 'ok', result: { kind: 'committed' } };
    case 'insufficient-funds':
      return { type: 'fail', result: { kind: 'insufficient-funds' } };
    case 'aborted':
    case 'rejected':
      // The ledger no longer knows this request's outcome: not a failure, an unknown.
      if (outcome.reason === staleSequence || outcome.reason === duplicatePrepare)
        return { type: 'unknown', reason: outcome.reason };
      return { type: 'fail', result: { kind: 'aborted', reason: outcome.reason } };
    case 'ok':
      return { type: 'unknown', reason: 'a read answer to a transfer' };
  }
}

function failed(op: HistoryOp, reason: string): { type: 'fail'; result: HistoryResult; reason: string } {
  return {
    type: 'fail',
    result: op.kind === 'read' ? { kind: 'read-failed', reason } : { kind: 'aborted', reason },
    reason,
  };
}
