import { outcomes } from '../src/load/outcome.js';
import { plotScript } from './html-plots.js';
import { seriesNames, type BenchReport, type TypeSummary } from './report.js';
import { outageLine, paramsLines } from './render-text.js';

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** JSON inside a <script> element: `<` escaped, so no string in it can close the element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

function summaryTable(r: BenchReport): string {
  const head = ['type', 'count', 'ok/s', 'p50', 'p90', 'p95', 'p99', 'p99.9', 'max', ...outcomes];
  const row = (name: string, s: TypeSummary) => [
    name,
    String(s.count),
    s.throughputPerSecond.toFixed(1),
    ...(['p50', 'p90', 'p95', 'p99', 'p999', 'max'] as const).map((k) =>
      s.count === 0 ? '-' : s.latencyMs[k].toFixed(2),
    ),
    ...outcomes.map((o) => String(s.counts[o])),
  ];
  const rows = seriesNames.map((s) => row(s, s === 'all' ? r.all : r.byType[s]));
  return `<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((cells) => `<tr>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/**
 * A self-contained HTML page (no network resource of any kind: styles, data and the plotting
 * script are inline) with the parameters, the summary table, the latency percentile spectrum
 * and throughput and latency (p50, p99) over time.
 */
export function htmlReport(r: BenchReport): string {
  const where = r.cluster.startedByBench ? 'a local cluster started for this run' : r.cluster.dataDir;
  const data = {
    loop: r.loop,
    spectrum: r.spectrum,
    timeline: r.timeline,
    byTypeCount: Object.fromEntries(seriesNames.map((s) => [s, s === 'all' ? r.all.count : r.byType[s].count])),
  };
  const latencyWhat =
    r.loop === 'open'
      ? "from each request's intended start; dashed: service time"
      : 'closed loop: from send (equal to service time)';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>ledger bench: seed ${r.seed}${r.params.preset ? `, preset ${escapeHtml(r.params.preset)}` : ''}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 24px; color: #222; }
pre { background: #f6f6f6; padding: 8px; }
table { border-collapse: collapse; margin: 8px 0 16px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
svg.plot { display: block; margin: 8px 0 24px; }
</style>
</head>
<body>
<h1>ledger bench</h1>
<pre>${escapeHtml(paramsLines(r.params, r.topology, where).join('\n'))}
started ${escapeHtml(r.startedAt)}, ${r.elapsedS.toFixed(2)} s measured${r.interrupted ? ' (interrupted)' : ''}
${escapeHtml(outageLine(r))}</pre>
<h2>Summary (latency in ms)</h2>
${summaryTable(r)}
<h2>Latency by percentile</h2>
<p>${escapeHtml(latencyWhat)}</p>
<svg id="latency-plot" class="plot" xmlns="http://www.w3.org/2000/svg" width="760" height="360" viewBox="0 0 760 360"></svg>
<h2>Throughput over time</h2>
<svg id="throughput-plot" class="plot" xmlns="http://www.w3.org/2000/svg" width="760" height="360" viewBox="0 0 760 360"></svg>
<h2>Latency over time (p50, p99 per second)</h2>
<p>${escapeHtml(`the answers of each second (dashed: p99), latency from ${r.loop === 'open' ? "each request's intended start" : 'send'}`)}</p>
<svg id="latency-time-plot" class="plot" xmlns="http://www.w3.org/2000/svg" width="760" height="360" viewBox="0 0 760 360"></svg>
<noscript>The plots are drawn by the page's inline script; the figures above and bench.json hold the same data.</noscript>
<script type="application/json" id="bench-data">${scriptJson(data)}</script>
<script>${plotScript}</script>
</body>
</html>
`;
}
