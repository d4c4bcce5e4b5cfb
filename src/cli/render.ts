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
