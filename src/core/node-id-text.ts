/**
 * A node id as people write it: `4`, `n4` or `N4` (and `s4`, the "server" of the four-column
 * test files). Undefined when the text is not one. The one node-id parser: the CLI's arguments
 * and flags, `--live` lists, the node's own `--id` and the test files (which also require the
 * letter, src/testfile/parse.ts) all use it. In src/core because each of those layers needs it
 * and none of them may import another (src/cli imports src/node and src/testfile).
 */
export function parseNodeId(text: string): number | undefined {
  const match = /^[ns]?(\d+)$/i.exec(text.trim());
  if (match === null) return undefined;
  const node = Number(match[1]);
  return Number.isSafeInteger(node) && node >= 1 ? node : undefined;
}
