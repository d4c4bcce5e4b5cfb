/**
 * The run menu's model, apart from the terminal so it can be tested: every entry on screen at
 * once (no page to scroll, so Quit is never hidden), ↑/↓ stop at the ends instead of wrapping (↑
 * on the top entry wrapped to Quit, and Enter then quit), and a shortcut letter per entry.
 */
export interface MenuEntry<V> {
  /** One lowercase letter that chooses the entry at once. */
  key: string;
  name: string;
  value: V;
  /** Why the entry cannot be chosen; shown dimmed, skipped by the cursor and its key. */
  disabled?: string;
}

export type MenuKey = { name?: string; ctrl?: boolean };

/** The cursor moved (or not), or an entry was chosen. */
export type MenuStep<V> = { active: number } | { chosen: V; active: number };

/** Where the cursor starts: on `value` when it is enabled (the last choice), else the first. */
export function initialActive<V>(entries: readonly MenuEntry<V>[], value: V | undefined): number {
  const at = entries.findIndex((e) => e.value === value && e.disabled === undefined);
  return at >= 0
    ? at
    : Math.max(
        0,
        entries.findIndex((e) => e.disabled === undefined),
      );
}

export function menuKeypress<V>(entries: readonly MenuEntry<V>[], active: number, key: MenuKey): MenuStep<V> {
  const name = key.name ?? '';
  if (name === 'return' || name === 'enter') return { chosen: (entries[active] as MenuEntry<V>).value, active };
  if (name === 'up' || name === 'down') {
    const step = name === 'up' ? -1 : 1;
    for (let i = active + step; i >= 0 && i < entries.length; i += step) {
      if ((entries[i] as MenuEntry<V>).disabled === undefined) return { active: i };
    }
    return { active };
  }
  if (key.ctrl !== true && name.length === 1) {
    const at = entries.findIndex((e) => e.key === name.toLowerCase() && e.disabled === undefined);
    if (at >= 0) return { chosen: (entries[at] as MenuEntry<V>).value, active: at };
  }
  return { active };
}

/** The entry lines: cursor, key, name; disabled entries say why. */
export function menuLines<V>(entries: readonly MenuEntry<V>[], active: number): string[] {
  return entries.map((e, i) => {
    const cursor = i === active ? '❯' : ' ';
    return e.disabled === undefined ? `${cursor} ${e.key}  ${e.name}` : `  ${e.key}  ${e.name} ${e.disabled}`;
  });
}
