import { asClient, natsConnectionOf } from '../../src/node/nats-access.js';
import type { NatsRole } from '../../src/node/nats-permissions.js';
import { isAlive } from '../../src/cluster/processes.js';
import {
  sendMalformedClientRequests,
  sendMutatedProtocolMessages,
  type ClientAbuseCounts,
  type ProtocolAbuseCounts,
} from './abuse.js';
import { measureFlood, type FloodResult } from './flood.js';
import { chaosTopology, quiescence } from './run.js';
import { ChaosSystem } from './system.js';

/** What the abuse phase found and measured (abuse.json in the reports). */
export interface AbuseReport {
  clientRequests: ClientAbuseCounts;
  protocolMessages: ProtocolAbuseCounts;
  /** The single-client flood: the normal clients' figures alone and during it. */
  flood: FloodResult | null;
  violations: string[];
}

/** How much the other clients' p99 may grow during a single-client flood before it counts as
 *  starving them (a bound on starvation, generous enough for a shared 2-core machine). */
const floodP99Factor = 5;
const floodP99FloorMs = 1_000;

/** The one answer a malformed request may get other than a refusal: a well-formed request for an
 *  account no shard holds is a definite `rejected`, without effect. */
const allowedOtherAnswer = 'unknown-accounts -> outcome:rejected';

/**
 * Issue 12's abuse and overload, once per suite on a fresh system: `count` random or malformed
 * client requests and `count` mutated protocol messages on the nodes' subjects (tests/chaos/abuse.ts),
 * then a single-client flood in its own process while normal clients are measured
 * (tests/chaos/flood.ts). Violations: a node that died or stopped answering, any balance that
 * moved, a malformed request left unanswered or answered with anything but a refusal, a peer
 * message answered, no transfer committing afterwards.
 */
export async function runAbusePhase(
  count: number,
  floodSeconds: number,
  seed: number,
  log: (line: string) => void,
): Promise<AbuseReport> {
  const system = await ChaosSystem.start(chaosTopology);
  const violations: string[] = [];
  try {
    const client = system.admin;
    for (const [from, to] of [
      [5, 6],
      [1005, 1006],
      [2005, 2006],
    ])
      if ((await client.transfer(from as number, to as number, 2)).status !== 'committed')
        violations.push(`the transfer ${from} -> ${to} before the abuse did not commit`);
    const settle = async (when: string) => {
      const problem = await quiescence(system, chaosTopology, 20_000);
      if (problem !== undefined) violations.push(`${when}: ${problem}`);
    };
    await settle('before the abuse');
    const before = await balances(system);
    const nodes = system.nodes();
    const options = { topology: chaosTopology };
    log(`abuse: ${count} malformed client requests`);
    const connect = (role: NatsRole, name: string) => system.connect(name, role);
    const clientRequests = await sendMalformedClientRequests(
      connect,
      system.config.prefix,
      nodes,
      count,
      seed,
      options,
    );
    log(`abuse: ${count} mutated protocol messages`);
    const protocolMessages = await sendMutatedProtocolMessages(
      connect,
      system.config.prefix,
      nodes,
      count,
      seed,
      options,
    );

    if (clientRequests.noAnswer > 0)
      violations.push(`${clientRequests.noAnswer} malformed client requests got no answer`);
    for (const [what, n] of Object.entries(clientRequests.answeredOtherwise))
      if (what !== allowedOtherAnswer) violations.push(`${n} malformed client requests answered ${what}`);
    if (protocolMessages.answered > 0)
      violations.push(`${protocolMessages.answered} mutated peer messages were answered`);
    for (const node of nodes) if (!isAlive(system.pidOf(node))) violations.push(`n${node} died`);
    const statuses = await client.status(2_000);
    for (const s of statuses) if (s.role === 'down') violations.push(`n${s.node} does not answer: ${s.reason}`);
    await settle('after the abuse');
    const after = await balances(system);
    if (after !== before) violations.push('balances moved under the abuse');
    if ((await client.transfer(7, 8, 1)).status !== 'committed')
      violations.push('a transfer after the abuse did not commit');

    let flood: FloodResult | null = null;
    if (floodSeconds > 0) {
      log(`abuse: a single-client flood for ${floodSeconds} s`);
      flood = await measureFlood({
        nats: natsConnectionOf(system.config, asClient),
        prefix: system.config.prefix,
        topology: chaosTopology,
        seconds: floodSeconds,
        floodMode: 'client',
        // Over its share of the leader's queue (limits.pendingCommandsPerOriginMax): it is told busy.
        floodInFlight: 8_000,
        floodInChild: true,
        seed,
      });
      if ((flood.with.outcomes.committed ?? 0) === 0)
        violations.push('the normal clients committed nothing during the flood');
      // Starvation, not speed: the others' p99 must stay within a few times what it was alone.
      const boundMs = Math.max(floodP99Factor * flood.without.p99Ms, floodP99FloorMs);
      if (flood.with.p99Ms > boundMs)
        violations.push(
          `the normal clients' p99 was ${flood.with.p99Ms} ms during the flood (alone ${flood.without.p99Ms} ms; bound ${boundMs} ms)`,
        );
    }
    return { clientRequests, protocolMessages, flood, violations };
  } finally {
    await system.close();
  }
}

/** Every replica's modified accounts, as one text to compare. */
async function balances(system: ChaosSystem): Promise<string> {
  const rows: string[] = [];
  for (const node of system.nodes()) {
    const db = await system.admin.modifiedAccounts(node);
    rows.push(`n${node}: ${db.accounts.map((a) => `${a.account}=${a.balance}`).join(' ')}`);
  }
  return rows.join('\n');
}
