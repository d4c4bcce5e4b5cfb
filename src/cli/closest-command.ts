/** Levenshtein distance: insertions, deletions and substitutions, one each. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The command a mistyped one most likely meant ("cluster statsu" -> "cluster status"), or
 * undefined when none is close: at most a third of the typed length in edits (at least 2), so
 * a word that is nothing like a command gets no suggestion.
 */
export function closestCommand(typed: string, commands: readonly string[]): string | undefined {
  let best: { command: string; distance: number } | undefined;
  for (const command of commands) {
    // "statsu" may mean "cluster status": compare with the last word of the command too.
    const lastWord = command.split(' ').at(-1) ?? command;
    const distance = Math.min(
      editDistance(typed.toLowerCase(), command.toLowerCase()),
      editDistance(typed.toLowerCase(), lastWord.toLowerCase()),
    );
    if (best === undefined || distance < best.distance) best = { command, distance };
  }
  if (best === undefined || best.distance > Math.max(2, Math.floor(typed.length / 3))) return undefined;
  return best.command;
}

/**
 * The words of a command line that name the unknown command: up to and including the first word
 * that no known command continues with ("trasnfer 1 2 3" -> "trasnfer", "cluster statsu" ->
 * "cluster statsu"), so arguments are not quoted as part of the command.
 */
export function unknownCommandWords(typedWords: readonly string[], commands: readonly string[]): string {
  for (let n = 1; n <= typedWords.length; n++) {
    const prefix = typedWords.slice(0, n).join(' ');
    if (!commands.some((c) => c === prefix || c.startsWith(`${prefix} `))) return prefix;
  }
  return typedWords.join(' ');
}
