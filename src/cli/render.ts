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

/** A slot's value as PrintView shows it: "NO-OP", or the commands "(1001, 1002, 3) (1005)". */
export function batchText(value: unknown): string {
  if (value === null || value === undefined) return 'NO-OP';
  if (!Array.isArray(value)) return '?';
  if (value.length === 0) return 'empty';
  return value
    .map((c: { op?: { kind?: string; from?: number; to?: number; amount?: number; account?: number } }) =>
      c.op?.kind === 'transfer' ? `(${c.op.from}, ${c.op.to}, ${c.op.amount})` : c.op?.kind === 'balance' ? `(${c.op.account})` : '?',
    )
    .join(' ');
}
