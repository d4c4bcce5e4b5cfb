import Table from 'cli-table3';

/** A plain terminal table (no colours, so it also reads well in logs and CI output). */
export function table(head: string[], rows: Array<Array<string | number>>): string {
  const t = new Table({ head, style: { head: [], border: [] } });
  for (const r of rows) t.push(r.map(String));
  return t.toString();
}

export function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}

/** A slot's value as PrintView shows it: "NO-OP", or its commands "(1001, 1002, 3) (1005)",
 *  with the Two-Phase Commit steps named: "2PC prepare (1001, 4001, 2)" (coordinator),
 *  "2PC prepare (c1 -> 4001, 2)" (participant), "2PC commit", "2PC abort (no-quorum)". */
export function batchText(value: unknown): string {
  if (value === null || value === undefined) return 'NO-OP';
  if (!Array.isArray(value)) return '?';
  if (value.length === 0) return 'empty';
  return value.map((c: { op?: Record<string, unknown> }) => opText(c.op ?? {})).join(' ');
}

function opText(op: Record<string, unknown>): string {
  const refused = typeof op.abort === 'string' ? ` refused: ${op.abort}` : '';
  switch (op.kind) {
    case 'transfer':
      return `(${String(op.from)}, ${String(op.to)}, ${String(op.amount)})${refused}`;
    case 'balance':
      return `(${String(op.account)})`;
    case 'x-prepare-coordinator':
      return `2PC prepare (${String(op.from)}, ${String(op.to)}, ${String(op.amount)})${refused}`;
    case 'x-prepare-participant':
      return `2PC prepare (c${String(op.coordinator)} -> ${String(op.to)}, ${String(op.amount)})${refused}`;
    case 'x-decide':
      return `2PC ${String(op.decision)}${typeof op.reason === 'string' ? ` (${op.reason})` : ''}`;
    case 'x-end':
      return '2PC end';
    default:
      return '?';
  }
}
