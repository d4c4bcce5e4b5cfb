import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { initialActive, menuKeypress, menuLines, type MenuEntry } from '../../src/cli/menu-keys.js';

const entries: MenuEntry<string>[] = [
  { key: 'b', name: 'PrintBalance', value: 'balance' },
  { key: 'd', name: 'PrintDB', value: 'db' },
  { key: 'v', name: 'PrintView', value: 'view' },
  { key: 'p', name: 'Performance', value: 'performance' },
  { key: 'r', name: 'PrintReshard', value: 'reshard', disabled: '(later)' },
  { key: 'n', name: 'Next set', value: 'next' },
  { key: 's', name: 'Skip the next set', value: 'skip' },
  { key: 'q', name: 'Quit', value: 'quit' },
];

describe('the run menu', () => {
  test('all 8 entries are on screen, Quit included (no 7-line page)', () => {
    const lines = menuLines(entries, 0);
    assert.equal(lines.length, 8);
    assert.match(lines[7] ?? '', /q {2}Quit$/);
    assert.match(lines[0] ?? '', /^❯ b {2}PrintBalance$/);
  });

  test('↑ on the top entry stays there (no wrap to Quit); ↓ on the last stays; both skip a disabled entry', () => {
    assert.deepEqual(menuKeypress(entries, 0, { name: 'up' }), { active: 0 });
    assert.deepEqual(menuKeypress(entries, 7, { name: 'down' }), { active: 7 });
    assert.deepEqual(menuKeypress(entries, 3, { name: 'down' }), { active: 5 });
    assert.deepEqual(menuKeypress(entries, 5, { name: 'up' }), { active: 3 });
    // ↑ then Enter on the top entry chooses the top entry, not Quit.
    const up = menuKeypress(entries, 0, { name: 'up' });
    assert.deepEqual(menuKeypress(entries, up.active, { name: 'return' }), { chosen: 'balance', active: 0 });
  });

  test('each shortcut key chooses its entry at once; a disabled entry, a Ctrl chord or an unknown key chooses nothing', () => {
    const keys: Array<[string, string]> = [
      ['b', 'balance'],
      ['d', 'db'],
      ['v', 'view'],
      ['p', 'performance'],
      ['n', 'next'],
      ['s', 'skip'],
      ['q', 'quit'],
    ];
    for (const [key, value] of keys) {
      const step = menuKeypress(entries, 0, { name: key });
      assert.ok('chosen' in step && step.chosen === value, `${key} chooses ${value}`);
      assert.equal(entries[step.active]?.value, value);
    }
    assert.deepEqual(menuKeypress(entries, 2, { name: 'r' }), { active: 2 });
    assert.deepEqual(menuKeypress(entries, 2, { name: 'x' }), { active: 2 });
    assert.deepEqual(menuKeypress(entries, 2, { name: 'q', ctrl: true }), { active: 2 });
  });

  test('the cursor starts on the last choice, or on the first entry when there is none or it is disabled', () => {
    assert.equal(initialActive(entries, 'view'), 2);
    assert.equal(initialActive(entries, undefined), 0);
    assert.equal(initialActive(entries, 'reshard'), 0);
  });
});
