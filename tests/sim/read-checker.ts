import type { Slot } from '../../src/protocol/ids.js';
import type { Batch, Command, Consistency } from '../../src/protocol/commands.js';
import type { ReferenceLedger } from './reference-ledger.js';

/**
 * Checks every balance a simulated client reads against what its consistency level promises
 * in real time (README "Consistency", src/ledger/commands.ts), from the chosen logs replayed
 * through the reference ledger, never from a replica's state:
 * - every level: the balance the account had, without undecided cross-shard transfers, after
 *   some prefix of the chosen log no longer than the one chosen when the answer arrived:
 *   nothing that was not chosen, nothing tentative;
 * - linearizable: and a prefix holding everything chosen before the read was invoked, and
 *   every cross-shard credit into the account whose transfer a client was told committed;
 * - leader: the same, for what was chosen and acknowledged `leaderStaleTicks` before the read
 *   was invoked (a leader cut off from its majority answers until it steps down);
 * - any: no lower bound.
 */
export class ReadChecker {
  /** Per cluster and account: [first prefix, committed balance] at each change, oldest first. */
  private readonly history = new Map<number, Map<number, Array<[Slot, number]>>>();
  /** Per cluster: the tick at which each chosen prefix became known, by prefix. */
  private readonly prefixAt = new Map<number, Array<[number, Slot]>>();
  /** Cross-shard transfers a client was told committed: tick, receiving account. */
  private readonly acknowledged: Array<{ key: string; tick: number; to: number }> = [];
  /** Slot of the participant's commit decision, by transaction key. */
  private readonly creditSlot = new Map<string, Slot>();
  /** The cluster each cross-shard transfer was prepared in as participant (where its credit is). */
  private readonly creditCluster = new Map<string, number>();
  private readonly invoked = new Map<string, number>();
  reads = 0;

  constructor(
    private readonly clusterOfAccount: (account: number) => number | undefined,
    /** How long a `leader` read may lag, in simulated ticks (see cluster-sim.ts). */
    private readonly leaderStaleTicks: number,
    private readonly initialBalance: number,
  ) {}

  /** The cluster's chosen prefix grew to `slot` (value `batch`), replayed by `reference`. */
  onPrefix(cluster: number, slot: Slot, batch: Batch, reference: ReferenceLedger, tick: number): void {
    let accounts = this.history.get(cluster);
    if (accounts === undefined) this.history.set(cluster, (accounts = new Map()));
    for (const [account] of reference.balances) {
      // An account that moved in has no history here before its move-in.
      const changes: Array<[Slot, number]> =
        accounts.get(account) ?? (this.clusterOfAccount(account) === cluster ? [[0, this.initialBalance]] : []);
      accounts.set(account, changes);
      const balance = reference.committedBalance(account);
      if (changes.length === 0 || (changes[changes.length - 1] as [Slot, number])[1] !== balance)
        changes.push([slot, balance]);
    }
    const at = this.prefixAt.get(cluster) ?? [];
    this.prefixAt.set(cluster, at);
    at.push([tick, slot]);
    for (const c of batch) {
      const key = `${c.clientId}#${c.seq}`;
      // Only a PREPARE that prepared: with parallel commit an early PREPARE can be refused at the
      // participant (its receiver moved away) while the transfer runs elsewhere, even within one
      // shard (seed 1136892059); its credit is then not this cluster's.
      if (
        c.op.kind === 'x-prepare-participant' &&
        !this.creditCluster.has(key) &&
        reference.incomingState(key) === 'prepared'
      )
        this.creditCluster.set(key, cluster);
      if (
        c.op.kind === 'x-decide' &&
        c.op.role === 'participant' &&
        !this.creditSlot.has(key) &&
        reference.decidedInLastApply.get(key) === 'commit'
      )
        this.creditSlot.set(key, slot);
      // A preparation undone (an early PREPARE whose coordinator PREPARE was refused, the
      // sender's account having moved): no credit of it here. The same transfer may then commit
      // within one shard (seed 755258127), where its credit is an ordinary change of the account.
      if (
        c.op.kind === 'x-decide' &&
        c.op.role === 'participant' &&
        !this.creditSlot.has(key) &&
        this.creditCluster.get(key) === cluster &&
        reference.decidedInLastApply.get(key) === 'abort'
      )
        this.creditCluster.delete(key);
    }
  }

  onInvoke(command: Command, tick: number): void {
    if (command.op.kind === 'balance') this.invoked.set(`${command.clientId}#${command.seq}`, tick);
  }

  onTransferCommitted(command: Command, tick: number): void {
    const op = command.op;
    // Cross-shard when it was prepared as such (moves change which transfers cross shards).
    if (op.kind !== 'transfer' || !this.creditCluster.has(`${command.clientId}#${command.seq}`)) return;
    this.acknowledged.push({ key: `${command.clientId}#${command.seq}`, tick, to: op.to });
  }

  /** A client got `balance` for its read; says what is wrong with it, or undefined. */
  onRead(command: Command, balance: number, tick: number, answeredBy?: number): string | undefined {
    const op = command.op;
    if (op.kind !== 'balance') return undefined;
    this.reads++;
    const level: Consistency = op.consistency ?? 'linearizable';
    // The cluster that answered (the account may have moved there).
    const cluster = answeredBy ?? (this.clusterOfAccount(op.account) as number);
    const invokedAt = this.invoked.get(`${command.clientId}#${command.seq}`) as number;
    const upTo = this.prefixKnownAt(cluster, tick);
    let from = 0;
    let bound = 'nothing';
    if (level !== 'any') {
      const since = level === 'linearizable' ? invokedAt : invokedAt - this.leaderStaleTicks;
      from = this.prefixKnownAt(cluster, since);
      bound = `the prefix ${from} chosen at t${since}`;
      for (const a of this.acknowledged) {
        // A credit in another cluster came before the account moved here, with it.
        if (a.to !== op.account || a.tick > since || this.creditCluster.get(a.key) !== cluster) continue;
        const credit = this.creditSlot.get(a.key);
        if (credit === undefined || credit > upTo)
          return `a ${level} read of ${op.account} at t${tick} (invoked t${invokedAt}) returned before the credit of ${a.key}, acknowledged at t${a.tick}, was chosen`;
        if (credit > from) {
          from = credit;
          bound = `the credit of ${a.key} acknowledged at t${a.tick}`;
        }
      }
    }
    const changes = this.history.get(cluster)?.get(op.account) ?? [[0, this.initialBalance]];
    for (let i = 0; i < changes.length; i++) {
      const [start, value] = changes[i] as [Slot, number];
      const end = i + 1 < changes.length ? (changes[i + 1] as [Slot, number])[0] - 1 : Infinity;
      if (value === balance && start <= upTo && end >= from) return undefined;
    }
    return `a ${level} read of ${op.account} invoked at t${invokedAt} returned ${balance} at t${tick}: not its committed balance after any chosen prefix from ${from} (${bound}) to ${upTo}; history ${JSON.stringify(changes)}`;
  }

  /** The longest chosen prefix of `cluster` known at `tick`. */
  private prefixKnownAt(cluster: number, tick: number): Slot {
    const at = this.prefixAt.get(cluster) ?? [];
    let slot = 0;
    for (const [t, s] of at) {
      if (t > tick) break;
      slot = s;
    }
    return slot;
  }
}
