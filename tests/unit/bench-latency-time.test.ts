import assert from 'node:assert/strict';
import { runInNewContext } from 'node:vm';
import { test } from 'node:test';
import { plotScript } from '../../bench/html-plots.js';
import type { Interval } from '../../src/load/recorder.js';

/** Just enough of a DOM for the plot script: elements that keep their attributes and children. */
interface FakeElement {
  name: string;
  attrs: Record<string, string>;
  children: FakeElement[];
  textContent: string;
  setAttribute(k: string, v: unknown): void;
  appendChild(c: FakeElement): void;
}
function fakeElement(name: string): FakeElement {
  return {
    name,
    attrs: {},
    children: [],
    textContent: '',
    setAttribute(k, v) {
      this.attrs[k] = String(v);
    },
    appendChild(c) {
      this.children.push(c);
    },
  };
}

function drawPlots(timeline: Interval[]): Record<string, FakeElement> {
  const data = {
    loop: 'closed',
    spectrum: {
      latencyMs: {
        all: [
          [0, 1],
          [1, 2],
        ],
      },
      serviceMs: {},
    },
    timeline,
    byTypeCount: { all: 1 },
  };
  const elements: Record<string, FakeElement> = {};
  for (const id of ['latency-plot', 'throughput-plot', 'latency-time-plot']) elements[id] = fakeElement('svg');
  const dataElement = fakeElement('script');
  dataElement.textContent = JSON.stringify(data);
  const document = {
    getElementById: (id: string) => (id === 'bench-data' ? dataElement : elements[id]),
    createElementNS: (_ns: string, name: string) => fakeElement(name),
    body: fakeElement('body'),
  };
  runInNewContext(plotScript, { document, Math, JSON, String, Number });
  return elements;
}

const second = (s: number, p50: number, p99: number, completed = 10): Interval => ({
  second: s,
  lengthS: 1,
  completed,
  successful: completed,
  errors: 0,
  latencyMsP50: p50,
  latencyMsP99: p99,
});

test('the HTML report has a latency-over-time plot: p50 and p99 per second', () => {
  const plots = drawPlots([second(1, 2, 8), second(2, 3, 40), second(3, 0, 0, 0), second(4, 2, 9)]);
  const paths = plots['latency-time-plot']!.children.filter((c) => c.name === 'path');
  const p50 = paths.find((p) => p.attrs.class === 'series series-p50');
  const p99 = paths.find((p) => p.attrs.class === 'series series-p99');
  assert.ok(p50 && p99, 'one path per percentile');
  const ys = (path: FakeElement) => [...path.attrs.d!.matchAll(/[ML][\d.]+ ([\d.]+)/g)].map((m) => Number(m[1]));
  // Two points per answered second; the silent third second is a gap (a new M), not a zero.
  assert.equal(ys(p99).length, 6);
  assert.equal(p99.attrs.d!.match(/M/g)?.length, 2);
  // SVG y grows downwards: p99 is drawn above p50 every second, and second 2's p99 is the peak.
  ys(p99).forEach((y, i) => assert.ok(y < ys(p50)[i]!, `point ${i}`));
  assert.equal(Math.min(...ys(p99)), ys(p99)[2]);
});
