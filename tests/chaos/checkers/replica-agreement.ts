/**
 * The replicas of a cluster agree at the end: after heal and quiescence they have applied the
 * same index (a different one is reported: the harness waited for them to catch up), hold the
 * same accounts, the same balances and the same state hash.
 */
import type { FinalReplica, RunRecord } from '../history.js';

function balancesOf(replica: FinalReplica, initialBalance: number): Map<number, number> {
  const balances = new Map<number, number>();
  for (const [account, value] of Object.entries(replica.modified))
    if (value !== initialBalance) balances.set(Number(account), value);
  return balances;
}

export function checkReplicaAgreement(record: Pick<RunRecord, 'final' | 'initialBalance'>): string[] {
  const violations: string[] = [];
  const clusters = new Map<number, FinalReplica[]>();
  for (const replica of record.final)
    clusters.set(replica.cluster, [...(clusters.get(replica.cluster) ?? []), replica]);
  for (const replica of record.final)
    if (replica.stateHash < 0)
      violations.push(`node ${replica.node} reported no state hash at its applied index ${replica.appliedIndex}`);
  for (const [cluster, replicas] of clusters) {
    const [first, ...others] = [...replicas].sort((a, b) => a.node - b.node);
    if (first === undefined) continue;
    const firstBalances = balancesOf(first, record.initialBalance);
    for (const other of others) {
      const pair = `cluster ${cluster}: node ${first.node} and node ${other.node}`;
      if (other.firstAccount !== first.firstAccount || other.lastAccount !== first.lastAccount)
        violations.push(
          `${pair} hold accounts ${first.firstAccount}..${first.lastAccount} and ${other.firstAccount}..${other.lastAccount}`,
        );
      if (other.appliedIndex !== first.appliedIndex) {
        violations.push(
          `${pair} applied up to different indexes after quiescence: ${first.appliedIndex} and ${other.appliedIndex}`,
        );
      } else if (other.stateHash !== first.stateHash) {
        violations.push(
          `${pair} have different state hashes at applied index ${first.appliedIndex}: ${first.stateHash} and ${other.stateHash}`,
        );
      }
      const otherBalances = balancesOf(other, record.initialBalance);
      for (const account of new Set([...firstBalances.keys(), ...otherBalances.keys()])) {
        const a = firstBalances.get(account) ?? record.initialBalance;
        const b = otherBalances.get(account) ?? record.initialBalance;
        if (a !== b) violations.push(`${pair} disagree on account ${account}: ${a} and ${b}`);
      }
    }
  }
  return violations;
}
