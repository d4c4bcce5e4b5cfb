import { createPrompt, useKeypress, useState } from '@inquirer/core';
import { confirm, input } from '@inquirer/prompts';
import { allNodes, isAccount } from '../ledger/topology.js';
import type { SetPlan } from '../testfile/plan.js';
import type { AfterSet, RunSession, SetReport } from '../testfile/runner.js';
import { printBalance, printDb, printView } from './inspect.js';
import { initialActive, menuKeypress, menuLines, type MenuEntry } from './menu-keys.js';
import { performanceLines } from './run-view.js';
import { reshardSet, setReshardLines } from '../testfile/set-reshard.js';

type Choice = 'balance' | 'db' | 'view' | 'performance' | 'reshard' | 'next' | 'skip' | 'quit';

/**
 * The menu after each set (docs/test-files.md), on a terminal only. Looking inside never changes the
 * cluster; the set's state stays as it is until the next set starts. Ctrl-C quits the run.
 */
export async function afterSetMenu(
  plan: SetPlan,
  report: SetReport,
  session: RunSession,
  out: (line: string) => void,
  last: boolean,
): Promise<AfterSet> {
  const entries: MenuEntry<Choice>[] = [
    { key: 'b', name: 'PrintBalance: an account on every node of its cluster', value: 'balance' },
    { key: 'd', name: 'PrintDB: every account that changed, on every node', value: 'db' },
    { key: 'v', name: 'PrintView: every NEW-VIEW since the set started', value: 'view' },
    { key: 'p', name: 'Performance: throughput and latency of this set', value: 'performance' },
    { key: 'r', name: "PrintReshard: reshard over this set's history, print the moves", value: 'reshard' },
    { key: 'n', name: last ? 'Finish' : 'Next set', value: 'next' },
    ...(last ? [] : [{ key: 's', name: 'Skip the next set', value: 'skip' as const }]),
    { key: 'q', name: 'Quit', value: 'quit' },
  ];
  let previous: Choice | undefined;
  for (;;) {
    let choice: Choice;
    try {
      choice = await menuPrompt({
        message: `Set ${plan.set.set} done. Look inside, or go on?`,
        entries,
        default: previous,
      });
      previous = choice;
      if (
        choice === 'quit' &&
        !last &&
        !(await confirm({ message: 'Quit now? The sets after this one will not run.', default: false }))
      )
        continue;
    } catch (error) {
      // Ctrl-C or a closed terminal: stop the run cleanly (the caller stops the cluster).
      if ((error as Error).name === 'ExitPromptError') return 'quit';
      throw error;
    }
    const nodes = allNodes(session.topology);
    switch (choice) {
      case 'balance': {
        const text = await input({
          message: 'Account:',
          validate: (v) =>
            isAccount(session.topology, Number(v)) ? true : `an account number 1..${session.topology.accounts}`,
        }).catch(() => undefined);
        if (text !== undefined) out(`  ${(await printBalance(session.client, Number(text))).line}`);
        break;
      }
      case 'db':
        for (const line of (await printDb(session.client, nodes)).lines) out(line);
        break;
      case 'view':
        for (const line of (await printView(session.client, nodes)).lines) out(line);
        break;
      case 'performance':
        for (const line of performanceLines(report.performance)) out(line);
        break;
      case 'reshard':
        for (const line of await menuReshard(session)) out(line);
        break;
      case 'next':
        return 'next';
      case 'skip':
        return 'skip-next';
      case 'quit':
        return 'quit';
    }
  }
}

/**
 * The menu's PrintReshard: reshards over the clusters' histories (after a flush, this set's
 * transfers only) and carries the moves out; PrintBalance then reads a moved account at its new
 * home, as LedgerClient.replicaBalances follows the map.
 */
export async function menuReshard(session: RunSession): Promise<string[]> {
  return setReshardLines(await reshardSet(session.client, session.topology));
}

/** Every entry on one screen, the cursor on `default`, ↑/↓ without wrapping, a key per entry. */
const menuPrompt = createPrompt<
  Choice,
  { message: string; entries: MenuEntry<Choice>[]; default?: Choice | undefined }
>((config, done) => {
  const [active, setActive] = useState(initialActive(config.entries, config.default));
  const [chosen, setChosen] = useState<MenuEntry<Choice> | undefined>(undefined);
  useKeypress((key, rl) => {
    const step = menuKeypress(config.entries, active, key);
    rl.clearLine(0);
    setActive(step.active);
    if ('chosen' in step) {
      setChosen(config.entries[step.active]);
      done(step.chosen);
    }
  });
  // The entry's short name (before its colon), so the answered line fits 80 columns.
  if (chosen !== undefined) return `? ${config.message} ${chosen.name.split(':')[0] as string}`;
  return [`? ${config.message}`, ...menuLines(config.entries, active), '  ↑↓ move · ⏎ choose · or press the key'].join(
    '\n',
  );
});
