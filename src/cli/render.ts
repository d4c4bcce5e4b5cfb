/**
 * The one table renderer of the CLI. On a terminal: a head, a rule under it, then one line a
 * row (no rule between rows, no side borders), fitted to the terminal's width by dropping the
 * columns that matter least and shortening the cells of a column that may shrink. Into a pipe
 * or a file: plain columns aligned with two spaces, every column in full, "-" for an empty cell,
 * so `grep`, `awk` and `column` read it (etcdctl's `-w simple` is the model).
 */
export interface Column {
  head: string;
  /** Right-aligned (numbers). */
  right?: boolean;
  /** Dropped to fit the width: the highest number goes first; a column without one stays. */
  drop?: number;
  /** The narrowest this column's cells may be cut to (with "…") before columns are dropped. */
  shrinkTo?: number;
  /** Dropped before any column is shortened (an extra that never costs a cut cell elsewhere). */
  extra?: boolean;
}

export interface Layout {
  /** Columns available; Infinity for no limit. */
  width: number;
  /** Plain aligned columns for a pipe or a file. */
  plain: boolean;
}

/** How stdout wants its tables: fitted to the terminal, or plain into a pipe or a file. */
export function stdoutLayout(options: { wide?: boolean } = {}): Layout {
  if (process.stdout.isTTY !== true) return { width: Infinity, plain: true };
  return { width: options.wide === true ? Infinity : (process.stdout.columns ?? 80), plain: false };
}

const gap = '  ';

export function table(
  head: Array<string | Column>,
  rows: Array<Array<string | number | null | undefined>>,
  layout: Layout = stdoutLayout(),
): string {
  const columns = head.map((h) => (typeof h === 'string' ? { head: h } : h));
  const cells = rows.map((r) =>
    columns.map((_, i) => {
      const v = r[i];
      const text = v === null || v === undefined ? '' : String(v);
      return layout.plain && text === '' ? '-' : text;
    }),
  );
  const natural = columns.map((c, i) => Math.max(c.head.length, ...cells.map((r) => width(r[i] as string))));
  const shown = columns.map((_, i) => i);
  const widths = [...natural];
  const total = () => shown.reduce((sum, i) => sum + (widths[i] as number), 0) + gap.length * (shown.length - 1);
  for (;;) {
    if (total() <= layout.width) break;
    // First drop the extras, then shorten the columns that may shrink, then drop the least
    // important.
    const extra = shown.filter((i) => columns[i]?.extra === true).pop();
    if (extra !== undefined) {
      shown.splice(shown.indexOf(extra), 1);
      continue;
    }
    const over = total() - layout.width;
    const shrinkable = shown.find(
      (i) =>
        columns[i]?.shrinkTo !== undefined &&
        (widths[i] as number) > Math.max(columns[i]?.shrinkTo as number, columns[i]?.head.length as number),
    );
    if (shrinkable !== undefined) {
      const floor = Math.max(columns[shrinkable]?.shrinkTo as number, columns[shrinkable]?.head.length as number);
      widths[shrinkable] = Math.max(floor, (widths[shrinkable] as number) - over);
      continue;
    }
    const droppable = shown
      .filter((i) => columns[i]?.drop !== undefined)
      .sort((a, b) => (columns[b]?.drop as number) - (columns[a]?.drop as number));
    if (droppable.length === 0) break;
    shown.splice(shown.indexOf(droppable[0] as number), 1);
  }
  const line = (texts: string[]) =>
    shown
      .map((i, k) => {
        const w = widths[i] as number;
        const t = cut(texts[i] as string, w);
        const last = k === shown.length - 1;
        return columns[i]?.right === true ? t.padStart(w) : last ? t : t.padEnd(w);
      })
      .join(gap)
      .trimEnd();
  const lines = [line(columns.map((c) => c.head))];
  if (!layout.plain) lines.push(shown.map((i) => '─'.repeat(widths[i] as number)).join(gap));
  for (const r of cells) lines.push(line(r));
  return lines.join('\n');
}

/** One line of fixed-width cells, for rows printed one at a time (a table cannot measure rows
 *  it has not seen yet): each cell cut to its width with "…", unless `cut` is false. */
export function fixedRow(
  cells: Array<{ text: string; width: number; right?: boolean }>,
  options: { cut: boolean },
): string {
  return cells
    .map((c) => {
      const t = options.cut ? cut(c.text, c.width) : c.text;
      return c.right === true ? t.padStart(c.width) : t.padEnd(c.width);
    })
    .join(gap)
    .trimEnd();
}

/** Cuts text to `w` columns, the last one an ellipsis. */
export function cut(text: string, w: number): string {
  return width(text) <= w ? text : `${[...text].slice(0, Math.max(0, w - 1)).join('')}…`;
}

/** Columns a cell takes: one per code point (the CLI prints no wide characters). */
function width(text: string): number {
  return [...text].length;
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
      return `2PC ${String(op.decision)}${typeof op.reason === 'string' ? ` (${op.reason})` : ''}${op.presumed === true ? ' presumed' : ''}`;
    case 'x-end':
      return '2PC end';
    default:
      return '?';
  }
}
