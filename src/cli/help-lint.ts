/**
 * Checks for rendered `--help` text (used by the help test, kept here so it has a unit test of
 * its own): lines that do not fit the terminal, and lines broken before the edge in the middle
 * of a sentence, which is what text pre-wrapped at another width looks like once oclif wraps it
 * again.
 */
export interface HelpProblem {
  line: number;
  problem: string;
  text: string;
}

const sentenceEnd = /[.:;!?)\]`"'>]$/;

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

export function helpProblems(text: string, columns: number): HelpProblem[] {
  const problems: HelpProblem[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.length > columns)
      problems.push({ line: i + 1, problem: `longer than ${columns} columns (${line.length})`, text: line });
    if (/DESIGN\s*§|DESIGN\.md/.test(line))
      problems.push({ line: i + 1, problem: 'cites DESIGN, which a user does not have', text: line });
    // Flags are printed before DESCRIPTION: "see above" from a flag points at nothing.
    if (/see above/i.test(line))
      problems.push({ line: i + 1, problem: '"see above", but flags come before the text they mean', text: line });
    const next = lines[i + 1];
    if (next === undefined || line.trim() === '' || next.trim() === '') return;
    // A continuation: same indent, starts with a lowercase word, and the line before it ends
    // mid-sentence although that word would still have fitted on it.
    const firstWord = next.trim().split(/\s+/)[0] ?? '';
    // A row of a two-column list (`  name  text`, or a name alone) starts a new item.
    const newRow = /^\s*\S.*?\s{2,}\S/.test(next) || /^\s*\S+\s*$/.test(next);
    const continues =
      indentOf(next) === indentOf(line) && /^[a-z]/.test(firstWord) && !newRow && !sentenceEnd.test(line.trimEnd());
    if (continues && line.trimEnd().length + 1 + firstWord.length <= columns) {
      problems.push({
        line: i + 1,
        problem: `breaks mid-sentence although "${firstWord}" fits`,
        text: `${line}⏎${next}`,
      });
    }
  });
  return problems;
}
