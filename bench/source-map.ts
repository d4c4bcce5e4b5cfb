import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';

/**
 * Maps a position in compiled JavaScript back to the TypeScript it came from, with the .js.map
 * that tsc writes beside each file (tsconfig's sourceMap), so that a profile's summary names
 * src/paxos/replica.ts:412 rather than dist/src/paxos/replica.js:398. Source map v3: `mappings`
 * holds one group per generated line (split by ';'), segments split by ',', each a list of
 * base64 VLQ numbers: generated column (relative to the previous segment of the line), source
 * index, original line, original column (relative to the previous segment anywhere).
 */

const base64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const digitOf = new Map([...base64].map((c, i) => [c, i]));

/** The numbers of one segment. */
export function decodeVlq(segment: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const c of segment) {
    const digit = digitOf.get(c);
    if (digit === undefined) throw new Error(`"${c}" is not a base64 VLQ digit`);
    value += (digit & 31) * 2 ** shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    values.push(value & 1 ? -Math.floor(value / 2) : Math.floor(value / 2));
    value = 0;
    shift = 0;
  }
  return values;
}

export interface OriginalPosition {
  source: string;
  /** 0-based, as in V8's call frames. */
  line: number;
}

/** One source map: positions per generated line, decoded once. */
export class SourceMap {
  /** Per generated line: [generated column, source index, original line], by column. */
  private readonly lines: Array<Array<[number, number, number]>> = [];

  constructor(private readonly map: { sources: string[]; mappings: string }) {
    let source = 0;
    let originalLine = 0;
    let originalColumn = 0;
    for (const group of map.mappings.split(';')) {
      const segments: Array<[number, number, number]> = [];
      let column = 0;
      for (const text of group.split(',')) {
        if (text === '') continue;
        const v = decodeVlq(text);
        column += v[0] ?? 0;
        if (v.length < 4) continue;
        source += v[1] as number;
        originalLine += v[2] as number;
        originalColumn += v[3] as number;
        segments.push([column, source, originalLine]);
      }
      this.lines.push(segments);
    }
    void originalColumn;
  }

  /** The original position of generated (line, column), both 0-based; undefined if unmapped. */
  originalOf(line: number, column: number): OriginalPosition | undefined {
    const segments = this.lines[line];
    if (segments === undefined || segments.length === 0) return undefined;
    // The last segment at or before the column; a function's first column may precede the
    // first segment of its line (say, an `async` keyword): then the line's first segment.
    let best = segments[0] as [number, number, number];
    for (const s of segments) if (s[0] <= column) best = s;
    const source = this.map.sources[best[1]];
    return source === undefined ? undefined : { source, line: best[2] };
  }
}

/**
 * `where` of a frame: the TypeScript file relative to `root` and its 1-based line when the
 * compiled file under `root` has a source map; otherwise the file relative to `root` (or the
 * URL) and the compiled line. Maps are read once per file.
 */
export function sourceLocator(root: string): (url: string, line: number, column: number) => string {
  const maps = new Map<string, SourceMap | null>();
  const rootUrl = `file://${root.endsWith('/') ? root : `${root}/`}`;
  return (url, line, column) => {
    if (url === '') return '';
    const compiled = url.startsWith(rootUrl) ? url.slice(rootUrl.length) : url.replace(/^file:\/\//, '');
    if (!url.startsWith(rootUrl)) return `${compiled}:${line + 1}`;
    const file = resolve(root, compiled);
    let map = maps.get(file);
    if (map === undefined) {
      try {
        map = existsSync(`${file}.map`) ? new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8'))) : null;
      } catch {
        map = null;
      }
      maps.set(file, map);
    }
    const original = map?.originalOf(line, column);
    if (original === undefined) return `${compiled}:${line + 1}`;
    return `${relative(root, resolve(dirname(file), original.source))}:${original.line + 1}`;
  };
}
