import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { decodeEnvelope, DecodeError, encodeEnvelope } from '../codec/envelope.js';
import type {
  AdminReplies,
  AdminRequest,
  DisturbSettings,
  FaultOp,
  FlushArgs,
  LocalBalance,
  ModifiedAccounts,
  NodeStatus,
  NodeShardMap,
  NodeViews,
  StateHashes,
  TransferHistory,
} from '../protocol/admin.js';
import { disturbDelayMsMax } from '../protocol/admin.js';
import { AdminRefused } from './admin-refused.js';
import { RequestBatcher } from './request-batcher.js';
import type { AccountId, ClusterId, NodeId } from '../protocol/ids.js';
import { assert } from '../core/assert.js';
import { badInput, LedgerError } from '../core/errors.js';
import { limits } from '../core/limits.js';
import {
  duplicatePrepare,
  isWrongShard,
  staleSequence,
  type Command,
  type Consistency,
  type Operation,
  type Outcome,
  type ReshardOperation,
} from '../protocol/commands.js';
import { ShardMap } from '../ledger/shard-map.js';
import type { Response } from '../protocol/client.js';
import { allNodes, clusterOfAccount, isAccount, nodesOfCluster, type Topology } from '../ledger/topology.js';
import { subjects, type Subjects } from '../transport/subjects.js';
import {
  NoRespondersError,
  NotSentError,
  TransportTimeoutError,
  type ConnectionState,
  type Transport,
} from '../transport/transport.js';
import { roundMs } from '../core/round-ms.js';

/**
 * `unknown`: sent, with no answer by the deadline; it may still commit. `unavailable`: not
 * sent: no attempt left the process (no connection to NATS), so it did not and will not commit.
 */
export type TransferStatus = 'committed' | 'insufficient-funds' | 'aborted' | 'unknown' | 'unavailable';
export const transferStatuses: readonly TransferStatus[] = [
  'committed',
  'insufficient-funds',
  'aborted',
  'unknown',
  'unavailable',
];

export interface TransferResult {
  status: TransferStatus;
  from: AccountId;
  to: AccountId;
  amount: number;
  /** Why it was aborted, or why the answer is unknown. */
  reason?: string;
  latencyMs: number;
  servedBy?: NodeId;
  attempts: number;
}

export interface BalanceResult {
  account: AccountId;
  balance: number | null;
  reason?: string;
  servedBy?: NodeId;
  latencyMs: number;
  /** False when no attempt left the process (no connection to NATS): `unavailable: not sent`. */
  sent: boolean;
}

/** What `send` gives back: the answer, or why there is none and whether anything was sent. */
interface SendResult {
  response?: Extract<Response, { kind: 'outcome' }>;
  /** The node refused the request (a `refused` response): why. A definite answer: nothing ran. */
  refused?: string;
  /** Attempts that were sent. */
  attempts: number;
  reason: string;
  /** True once any attempt left the process: from then on, no answer means `unknown`. */
  sent: boolean;
}

/** A node's line in `ledger cluster status`: its status, or, when it does not answer, why. */
export type NodeStatusRow = NodeStatus | { node: NodeId; cluster: ClusterId; role: 'down'; reason: string };

export interface ClientOptions {
  /** Time for one attempt before trying another node. */
  attemptTimeoutMs: number;
  /** Time after which a transfer is reported `unknown` (it may still commit later). */
  deadlineMs: number;
}

export const defaultClientOptions: ClientOptions = { attemptTimeoutMs: 500, deadlineMs: 10_000 };

/** One (client id, sequence) stream; used by one request at a time, so a retry is recognised. */
interface Session {
  clientId: string;
  nextSeq: number;
}

/**
 * The client library used by the CLI, the test runner and the benchmark. Sends each request to
 * the node it believes leads the account's cluster; on a timeout it retries the same
 * (client id, sequence) through the other nodes, so a transfer runs at most once however often
 * it is retried; on a redirect it follows the hint.
 */
export class LedgerClient {
  private readonly subjects: Subjects;
  private readonly leaderHints = new Map<ClusterId, NodeId>();
  private readonly idleSessions: Session[] = [];
  private readonly clientPrefix = randomBytes(6).toString('hex');
  private sessionCount = 0;
  /** Every request's attempts go through it: one message per node per turn. */
  private readonly batcher: RequestBatcher;
  /** Where this client believes each account is: the initial ranges, corrected by the nodes'
   *  wrong-shard answers (Response.owner) and by refreshMap. */
  readonly map = new ShardMap();

  constructor(
    private readonly transport: Transport,
    private readonly topology: Topology,
    prefix: string,
    private readonly options: ClientOptions = defaultClientOptions,
  ) {
    this.subjects = subjects(prefix);
    this.batcher = new RequestBatcher(transport, this.subjects.clientInbox(this.clientPrefix));
  }

  /** Send this cluster's requests to `node` first (a test file's contact server, a flush's
   *  agreed leader) until an answer says who leads. */
  preferNode(cluster: ClusterId, node: NodeId): void {
    this.leaderHints.set(cluster, node);
  }

  /** The cluster this client believes holds `account` now. */
  ownerOf(account: AccountId): ClusterId {
    return this.map.ownerOf(account, (a) => clusterOfAccount(this.topology, a)) as ClusterId;
  }

  /** Takes every node's copy of the shard map (the newest entry of each account wins); answers
   *  the nodes' copies. A node that does not answer is left out. */
  async refreshMap(timeoutMs = 1_000): Promise<NodeShardMap[]> {
    const copies = await Promise.all(
      allNodes(this.topology).map((node) => this.admin(node, { op: 'shard-map' }, timeoutMs).catch(() => undefined)),
    );
    const answered = copies.filter((c): c is NodeShardMap => c !== undefined);
    for (const copy of answered) for (const e of copy.entries) this.map.merge(e);
    return answered;
  }

  // ---- input checks ------------------------------------------------------------------------

  checkAccount(account: unknown, what = 'account'): AccountId {
    if (!isAccount(this.topology, account)) {
      throw new LedgerError('unknown-account', `${what} ${String(account)} does not exist`, {
        hint: `accounts are 1..${this.topology.accounts}`,
      });
    }
    return account;
  }

  checkAmount(amount: unknown): number {
    if (typeof amount !== 'number' || !Number.isInteger(amount) || amount <= 0) {
      throw badInput(`amount must be a positive whole number, got ${String(amount)}`);
    }
    if (!Number.isSafeInteger(amount) || amount > limits.amountMax)
      throw badInput(`amount ${String(amount)} is too large (at most ${limits.amountMax})`);
    return amount;
  }

  // ---- requests ----------------------------------------------------------------------------

  async transfer(fromInput: number, toInput: number, amountInput: number): Promise<TransferResult> {
    const from = this.checkAccount(fromInput, 'sender account');
    const to = this.checkAccount(toInput, 'receiver account');
    const amount = this.checkAmount(amountInput);
    if (from === to) throw badInput(`cannot transfer from account ${from} to itself`);
    const started = performance.now();
    // The sender's cluster serves it: alone for an intra-shard transfer, as the coordinator of
    // Two-Phase Commit with the receiver's cluster otherwise.
    let result = await this.send(from, { kind: 'transfer', from, to, amount });
    // The receiver moved while the coordinator's map still had it at its old owner: that
    // transaction aborted (nothing ran), so a new one (a new sequence) goes to the new owner
    // once the coordinator has heard of the move, which the source tells every cluster.
    for (let retry = 1; retry <= movedReceiverRetries && abortedForMovedReceiver(result.response?.outcome); retry++) {
      await pause(50 * retry);
      result = await this.send(from, { kind: 'transfer', from, to, amount });
    }
    const cluster = this.ownerOf(from);
    const latencyMs = roundMs(performance.now() - started);
    const base = { from, to, amount, latencyMs, attempts: result.attempts };
    if (result.refused !== undefined) return { ...base, status: 'aborted', reason: result.refused };
    if (result.response === undefined)
      return {
        ...base,
        status: result.sent ? 'unknown' : 'unavailable',
        reason: await this.unansweredReason(cluster, result),
      };
    const outcome = result.response.outcome;
    const servedBy = result.response.servedBy;
    switch (outcome.status) {
      case 'committed':
        return { ...base, status: 'committed', servedBy };
      case 'insufficient-funds':
        return { ...base, status: 'insufficient-funds', reason: `account ${from} holds ${outcome.balance}`, servedBy };
      case 'aborted':
      case 'rejected':
        // Too old to tell, or a second attempt of a transfer already committed: not an abort.
        if (outcome.reason === staleSequence || outcome.reason === duplicatePrepare)
          return {
            ...base,
            status: 'unknown',
            reason: `the ledger no longer knows this request's outcome (${outcome.reason})`,
            servedBy,
          };
        return { ...base, status: 'aborted', reason: outcome.reason, servedBy };
      case 'ok':
        return { ...base, status: 'unknown', reason: 'unexpected read answer to a transfer' };
    }
  }

  /** A read at the given consistency (see Consistency in src/ledger/commands.ts). */
  async balance(accountInput: number, consistency: Consistency = 'linearizable'): Promise<BalanceResult> {
    const account = this.checkAccount(accountInput);
    const started = performance.now();
    const op: Operation =
      consistency === 'linearizable' ? { kind: 'balance', account } : { kind: 'balance', account, consistency };
    const result = await this.send(account, op);
    const latencyMs = roundMs(performance.now() - started);
    if (result.refused !== undefined) return { account, balance: null, reason: result.refused, latencyMs, sent: true };
    if (result.response === undefined)
      return {
        account,
        balance: null,
        reason: await this.unansweredReason(this.ownerOf(account), result),
        latencyMs,
        sent: result.sent,
      };
    const outcome = result.response.outcome;
    if (outcome.status !== 'ok')
      return {
        account,
        balance: null,
        reason: outcome.status === 'rejected' ? outcome.reason : outcome.status,
        latencyMs,
        sent: true,
      };
    return { account, balance: outcome.balance, servedBy: result.response.servedBy, latencyMs, sent: true };
  }

  /** Where the connection to the broker stands (progress lines show an outage). */
  connection(): ConnectionState {
    return this.transport.connection();
  }

  /**
   * One resharding command to the leader of `cluster` (the reshard driver, src/reshard): its
   * outcome, or undefined when no answer came before the deadline (each is idempotent by its
   * epoch: ask again).
   */
  async reshardCommand(cluster: ClusterId, op: ReshardOperation): Promise<Outcome | undefined> {
    const result = await this.send({ cluster }, op);
    if (result.refused !== undefined) throw new LedgerError('bad-input', result.refused);
    return result.response?.outcome;
  }

  /**
   * Sends one command until a definite answer or the deadline. `route`: the account whose owner
   * serves it (followed as the map changes: a wrong-shard answer that names a newer owner sends
   * the same command, the same sequence, there, since nothing ran where it was refused), or a
   * cluster for resharding's commands.
   */
  private async send(route: AccountId | { cluster: ClusterId }, op: Operation): Promise<SendResult> {
    const account = typeof route === 'number' ? route : undefined;
    let cluster = typeof route === 'number' ? this.ownerOf(route) : route.cluster;
    const session = this.takeSession();
    const command: Command = { clientId: session.clientId, seq: session.nextSeq++, op };
    // Each attempt carries the epoch of its account as we know it then (Command.mapEpoch).
    const stamp = (): Command => {
      const mapEpoch = account === undefined ? 0 : this.map.epochOf(account);
      return mapEpoch === 0 ? command : { ...command, mapEpoch };
    };
    let stamped = stamp();
    // The flush generation it was started in, for every attempt: one started before a flush
    // must not run after it (see `generation`).
    const generation = this.generation;
    let members = nodesOfCluster(this.topology, cluster);
    const deadline = performance.now() + this.options.deadlineMs;
    let target = this.leaderHints.get(cluster) ?? (members[0] as NodeId);
    /** Attempts sent: one that was refused for want of a connection is taken back. */
    let attempts = 0;
    let reason = 'no answer before the deadline';
    let answered = false;
    let lockedAnswers = 0;
    try {
      while (performance.now() < deadline) {
        attempts++;
        const next = () => members[(members.indexOf(target) + 1) % members.length] as NodeId;
        let response: Response;
        try {
          const timeoutMs = Math.max(1, Math.min(this.options.attemptTimeoutMs, deadline - performance.now()));
          // In this turn's batch for the node (RequestBatcher), answered on its own.
          response = await this.batcher.request(this.subjects.nodeRequests(target), stamped, generation, timeoutMs);
        } catch (error) {
          if (error instanceof NotSentError) {
            // Nothing left the process. Wait for the connection (a long-lived client rides out
            // a broker restart) instead of spinning; a closed connection will not come back.
            // An attempt sent before keeps the request `unknown` (it may commit), never
            // `unavailable`, whatever the attempts after it.
            attempts--;
            if (attempts === 0) reason = error.message;
            if (this.transport.connection().closed) break;
            await this.transport.whenConnected(deadline - performance.now());
            // At most ~100 tries a second, even if the connection flaps.
            await pause(10);
            continue;
          }
          if (!(
            error instanceof TransportTimeoutError ||
            error instanceof NoRespondersError ||
            error instanceof DecodeError
          ))
            throw error;
          reason =
            error instanceof NoRespondersError ? `node ${target} is not running` : `no answer from node ${target}`;
          if (error instanceof NoRespondersError) await pause(50);
          target = next();
          continue;
        }
        if (response.kind === 'outcome' && account !== undefined && this.wrongShard(response, account)) {
          // Not here (any more, or not yet): follow the owner the node names when it is news,
          // else wait a little (a move of it is on its way in) and ask the owner we know.
          const owner = this.ownerOf(account);
          const before = stamped.mapEpoch;
          stamped = stamp();
          reason = `account ${account} is moving`;
          if (owner !== cluster) {
            cluster = owner;
            members = nodesOfCluster(this.topology, cluster);
            target = this.leaderHints.get(cluster) ?? (members[0] as NodeId);
          } else if (stamped.mapEpoch === before) await pause(Math.min(200, 20 * attempts));
          continue;
        }
        if (response.kind === 'outcome') {
          this.leaderHints.set(cluster, response.servedBy);
          answered = true;
          return { response, attempts, reason: '', sent: true };
        }
        if (response.kind === 'refused') {
          // Definite: the node took nothing, and any node would refuse the same bytes.
          answered = true;
          return { refused: `refused by node ${target}: ${response.reason}`, attempts, reason: '', sent: true };
        }
        if (response.kind === 'busy' && response.locked === true) {
          // Its accounts stayed held by other transfers through the leader's lock wait, and
          // nothing of it was chosen: the same (client id, seq) again, after a short pause, until
          // our deadline (then `unknown`: a copy still on its way may yet run).
          reason = 'its accounts stayed held by other transfers (locked)';
          await pause(lockedRetryPauseMs(++lockedAnswers));
          continue;
        }
        if (response.kind === 'redirect' && response.leaderHint !== undefined && response.leaderHint !== target) {
          target = response.leaderHint;
        } else {
          // No leader known (an election is running) or the leader is busy: back off a little.
          reason = response.kind === 'busy' ? 'the leader is overloaded' : 'the cluster has no leader';
          await pause(Math.min(200, 20 * attempts));
          if (response.kind === 'redirect') target = next();
        }
      }
      return { attempts, reason, sent: attempts > 0 };
    } finally {
      // Reuse a session only after a definite answer. Without one the command may still run
      // (a cross-shard decision can come late), and the session's next sequence would then
      // overtake it: that request's outcome and its retries would race the late one. A
      // request none of whose attempts left the process (not sent) cannot run at all.
      if (answered || attempts === 0) this.idleSessions.push(session);
    }
  }

  /** Whether the answer is a wrong shard for `account` (after taking the owner it names). A
   *  wrong shard about another account (a cross-shard transfer's receiver) is an answer. */
  private wrongShard(response: Extract<Response, { kind: 'outcome' }>, account: AccountId): boolean {
    if (!isWrongShard(response.outcome)) return false;
    if (response.owner !== undefined) this.map.merge(response.owner);
    return (
      response.outcome.status === 'rejected' && (response.owner === undefined || response.owner.account === account)
    );
  }

  /** Why a request got no answer. Sent and unanswered: a cluster without a majority is named as
   *  such rather than by the last node tried (asked after the latency was taken). */
  private async unansweredReason(cluster: ClusterId, result: SendResult): Promise<string> {
    if (!result.sent || this.transport.connection().closed) return result.reason;
    return (await this.majorityLost(cluster)) ?? result.reason;
  }

  /** `cluster 2 has no majority (1 of 3 live)` when fewer than a majority of the cluster's
   *  nodes answer and are neither failed nor isolated; undefined otherwise. */
  private async majorityLost(cluster: ClusterId): Promise<string | undefined> {
    const members = nodesOfCluster(this.topology, cluster);
    const live = await Promise.all(
      members.map((node) =>
        this.nodeStatus(node, 500).then(
          (s) => !s.failed && !s.isolated,
          () => false,
        ),
      ),
    );
    const count = live.filter((up) => up).length;
    return 2 * count > members.length
      ? undefined
      : `cluster ${cluster} has no majority (${count} of ${members.length} live)`;
  }

  /**
   * The flush generation this client works in, when set (the test-file runner sets it after each
   * flush): its requests and admin operations carry it, and a node in another generation drops
   * them, so one held somewhere (a broker buffer, a node busy persisting) while a flush passed
   * cannot run in the new generation.
   */
  generation: number | undefined;

  private generationField(): { generation?: number } {
    return this.generation === undefined ? {} : { generation: this.generation };
  }

  private takeSession(): Session {
    return this.idleSessions.pop() ?? { clientId: `${this.clientPrefix}-${this.sessionCount++}`, nextSeq: 1 };
  }

  // ---- admin -------------------------------------------------------------------------------

  /**
   * One admin request to one node (the ops and their replies: src/protocol/admin.ts): the body
   * of its reply, checked. A refusal throws AdminRefused with the node's code; a node that does
   * not answer, a LedgerError `unavailable`.
   */
  async admin<Request extends AdminRequest>(
    node: NodeId,
    request: Request,
    timeoutMs = 1_000,
  ): Promise<AdminReplies[Request['op']]> {
    // A flush moves the node to a new generation, so it is the one op sent without ours.
    const envelope = { kind: 'admin' as const, ...request, ...(request.op === 'flush' ? {} : this.generationField()) };
    // While reconnecting, wait for the connection within the timeout rather than fail at once;
    // the request gets what is left of it, so the whole call stays within `timeoutMs`.
    const deadline = performance.now() + timeoutMs;
    await this.transport.whenConnected(timeoutMs);
    const data = await this.transport
      .request(this.subjects.nodeAdmin(node), encodeEnvelope(envelope), Math.max(1, deadline - performance.now()))
      .catch((error: unknown) => {
        // One line a user can act on instead of the transport's chain of causes.
        if (error instanceof NoRespondersError)
          throw new LedgerError('unavailable', `n${node} does not answer (killed or not started)`, {
            hint: `start it with \`ledger node restart ${node}\``,
            cause: error,
          });
        if (error instanceof TransportTimeoutError)
          throw new LedgerError('unavailable', `n${node} did not answer within ${timeoutMs} ms`, {
            hint: 'is it running? see `ledger cluster status`',
            cause: error,
          });
        throw error;
      });
    const reply = decodeEnvelope(data);
    if (reply.kind !== 'admin-reply') throw new DecodeError(`expected an admin reply, got ${reply.kind}`);
    if (!reply.ok) throw new AdminRefused(node, reply.code, reply.message);
    if (reply.op !== request.op) throw new DecodeError(`n${node} answered ${reply.op} to ${request.op}`);
    // The codec checked the body against reply.op, which is request.op.
    return reply.body as AdminReplies[Request['op']];
  }

  /** Status of every node; a node that does not answer is reported as down. */
  async status(timeoutMs = 1_000): Promise<NodeStatusRow[]> {
    return Promise.all(
      allNodes(this.topology).map(async (node) => {
        try {
          return await this.admin(node, { op: 'status' }, timeoutMs);
        } catch (error) {
          const cluster = Math.floor((node - 1) / this.topology.nodesPerCluster) + 1;
          return { node, cluster, role: 'down' as const, reason: (error as Error).message };
        }
      }),
    );
  }

  /** Status of one node (throws when it does not answer). */
  async nodeStatus(node: NodeId, timeoutMs = 1_000): Promise<NodeStatus> {
    return await this.admin(node, { op: 'status' }, timeoutMs);
  }

  /** Each replica's own copy of an account's balance (PrintBalance). */
  async replicaBalances(
    accountInput: number,
  ): Promise<Array<LocalBalance | { node: NodeId; balance: null; reason: string }>> {
    const account = this.checkAccount(accountInput);
    // The account's home now: resharding may have moved it since this client last looked.
    await this.refreshMap();
    const members = nodesOfCluster(this.topology, this.ownerOf(account));
    return Promise.all(
      members.map(async (node) => {
        try {
          return await this.admin(node, { op: 'balance', account });
        } catch (error) {
          return { node, balance: null, reason: (error as Error).message };
        }
      }),
    );
  }

  async modifiedAccounts(node: NodeId): Promise<ModifiedAccounts> {
    return this.admin(node, { op: 'db' });
  }

  async shardMap(node: NodeId): Promise<NodeShardMap> {
    return this.admin(node, { op: 'shard-map' });
  }

  async history(node: NodeId): Promise<TransferHistory> {
    return this.admin(node, { op: 'history' }, 3_000);
  }

  async views(node: NodeId): Promise<NodeViews> {
    return this.admin(node, { op: 'view' }, 3_000);
  }

  async stateHashes(node: NodeId): Promise<StateHashes> {
    return this.admin(node, { op: 'hashes' }, 2_000);
  }

  /** Asks every node to start no new cross-shard transfer for `ms` (leaders act on it; at most
   *  limits.holdCrossShardMsMax, renew it to hold longer). */
  async holdCrossShard(ms: number): Promise<void> {
    assert(ms >= 0 && ms <= limits.holdCrossShardMsMax, `a hold of ${ms} ms is out of range`);
    await Promise.all(
      allNodes(this.topology).map((node) =>
        this.admin(node, { op: 'hold-cross-shard', holdMs: ms }, 1_000).catch(() => undefined),
      ),
    );
  }

  /** Flush one node to the initial state (see LedgerNode.flush); answers its status afterwards. */
  async flushNode(node: NodeId, args: FlushArgs): Promise<NodeStatus> {
    return this.admin(node, { op: 'flush', flush: args }, 5_000);
  }

  /** Leadership transfer: `node` stands for election at once (see Replica.campaign). */
  async lead(node: NodeId): Promise<NodeStatus> {
    return this.admin(node, { op: 'lead' }, 2_000);
  }

  /** Fault injection on one node; answers the node's status afterwards. */
  async injectFault(node: NodeId, op: FaultOp): Promise<NodeStatus> {
    if (!allNodes(this.topology).includes(node)) {
      throw badInput(`node ${node} does not exist`, `nodes are 1..${allNodes(this.topology).length}`);
    }
    return this.admin(node, { op }, 2_000);
  }

  /**
   * Arms `node`'s transport failpoint (`ledger node disturb`, for testing): it duplicates
   * `duplicatePercent` % of the client requests and 2PC messages it receives and delays each by
   * a random 0..`delayMsMax` ms. `{ duplicatePercent: 0, delayMsMax: 0 }` calms it. Answers the
   * node's status afterwards (`disturbed`, `transportFaults`).
   */
  async disturb(node: NodeId, settings: DisturbSettings): Promise<NodeStatus> {
    if (!allNodes(this.topology).includes(node)) {
      throw badInput(`node ${node} does not exist`, `nodes are 1..${allNodes(this.topology).length}`);
    }
    const { duplicatePercent, delayMsMax } = settings;
    if (!Number.isInteger(duplicatePercent) || duplicatePercent < 0 || duplicatePercent > 100)
      throw badInput(`duplicate share ${duplicatePercent} is not valid`, 'a whole percentage, 0 to 100');
    if (!Number.isInteger(delayMsMax) || delayMsMax < 0 || delayMsMax > disturbDelayMsMax)
      throw badInput(`delay ${delayMsMax} ms is not valid`, `whole milliseconds, 0 to ${disturbDelayMsMax}`);
    return this.admin(node, { op: 'disturb', duplicatePercent, delayMsMax }, 2_000);
  }
}

/** How often a transfer whose receiver moved is tried again as a new transaction. */
const movedReceiverRetries = 5;

/** A cross-shard transfer aborted because its receiver was not at the cluster it was sent to. */
function abortedForMovedReceiver(outcome: Outcome | undefined): boolean {
  return outcome?.status === 'aborted' && isWrongShard(outcome);
}

/** The pause before sending a request again after its `n`th locked answer: short, because the
 *  leader already waited its lock wait before answering; growing, and spread at random so that
 *  clients that gave up on one account together do not come back together. */
export function lockedRetryPauseMs(n: number, random: () => number = Math.random): number {
  return Math.round(Math.min(100, 10 * n) * (0.5 + random() / 2));
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
