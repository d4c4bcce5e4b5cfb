/**
 * The inline script of the HTML report: draws the two plots as SVG from the report's JSON
 * (embedded in the page), with no library and no network. Plain ES2017 so any browser runs it.
 *
 * Latency spectrum: x is 1/(1-percentile) on a log scale, as HdrHistogram's plotter draws it,
 * so the tail (99 %, 99.9 %) gets as much room as the median; y is latency in ms.
 * Throughput: successful transactions and errors (aborted, unknown) per second of the run.
 * Latency over time: p50 and p99 of each second's answers.
 */
export const plotScript = String.raw`
(function () {
  var data = JSON.parse(document.getElementById('bench-data').textContent);
  var NS = 'http://www.w3.org/2000/svg';
  var colors = { all: '#222222', read: '#1f77b4', intra: '#2ca02c', cross: '#d62728', ok: '#2ca02c', errors: '#d62728', p50: '#1f77b4', p99: '#d62728' };
  var W = 760, H = 360, L = 64, R = 170, T = 20, B = 48;

  function el(name, attrs, text) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function niceMax(v) {
    if (!(v > 0)) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(v)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * p >= v) return steps[i] * p;
    return 10 * p;
  }
  function frame(svg, xTicks, yMax, xLabel, yLabel) {
    svg.appendChild(el('rect', { x: 0, y: 0, width: W, height: H, fill: '#ffffff' }));
    var iw = W - L - R, ih = H - T - B;
    for (var i = 0; i <= 5; i++) {
      var y = T + ih - (ih * i) / 5;
      svg.appendChild(el('line', { x1: L, x2: L + iw, y1: y, y2: y, stroke: '#dddddd' }));
      svg.appendChild(el('text', { x: L - 6, y: y + 4, 'text-anchor': 'end', 'font-size': 11 }, String(+((yMax * i) / 5).toPrecision(3))));
    }
    xTicks.forEach(function (t) {
      svg.appendChild(el('line', { x1: t.x, x2: t.x, y1: T, y2: T + ih, stroke: '#eeeeee' }));
      svg.appendChild(el('text', { x: t.x, y: T + ih + 16, 'text-anchor': 'middle', 'font-size': 11 }, t.label));
    });
    svg.appendChild(el('rect', { x: L, y: T, width: iw, height: ih, fill: 'none', stroke: '#888888' }));
    svg.appendChild(el('text', { x: L + iw / 2, y: H - 8, 'text-anchor': 'middle', 'font-size': 12 }, xLabel));
    svg.appendChild(el('text', { x: 14, y: T + ih / 2, 'text-anchor': 'middle', 'font-size': 12, transform: 'rotate(-90 14 ' + (T + ih / 2) + ')' }, yLabel));
  }
  function legend(svg, entries) {
    entries.forEach(function (e, i) {
      var y = T + 14 + i * 18;
      svg.appendChild(el('line', { x1: W - R + 12, x2: W - R + 40, y1: y - 4, y2: y - 4, stroke: e.color, 'stroke-width': 2, 'stroke-dasharray': e.dash || '' }));
      svg.appendChild(el('text', { x: W - R + 46, y: y, 'font-size': 12 }, e.label));
    });
  }

  function spectrumPlot() {
    var svg = document.getElementById('latency-plot');
    var iw = W - L - R, ih = H - T - B;
    var series = [];
    ['all', 'read', 'intra', 'cross'].forEach(function (name) {
      var pts = data.spectrum.latencyMs[name] || [];
      if (pts.length > 0) series.push({ name: name, pts: pts, dash: '', label: name + ' (' + data.byTypeCount[name] + ')' });
    });
    if (data.loop === 'open' && (data.spectrum.serviceMs.all || []).length > 0) series.push({ name: 'all', pts: data.spectrum.serviceMs.all, dash: '5 4', label: 'all: service' });
    // x = log10(1/(1-p)); the 100 % row has no finite x and is drawn at the right edge.
    var xMaxLog = 2;
    series.forEach(function (s) { s.pts.forEach(function (p) { if (p[0] < 1) xMaxLog = Math.max(xMaxLog, Math.ceil(-Math.log10(1 - p[0]))); }); });
    var yMax = niceMax(Math.max.apply(null, series.map(function (s) { return Math.max.apply(null, s.pts.map(function (p) { return p[1]; })); }).concat([0])));
    var ticks = [];
    for (var d = 0; d <= xMaxLog; d++) {
      var label = d === 0 ? '0%' : (100 - 100 / Math.pow(10, d)).toFixed(Math.max(0, d - 2)) + '%';
      ticks.push({ x: L + (iw * d) / xMaxLog, label: label });
    }
    frame(svg, ticks, yMax, 'percentile', 'latency (ms)');
    series.forEach(function (s) {
      var d = '';
      s.pts.forEach(function (p, i) {
        var xl = p[0] >= 1 ? xMaxLog : Math.min(xMaxLog, -Math.log10(1 - p[0]));
        var x = L + (iw * xl) / xMaxLog, y = T + ih - (ih * p[1]) / yMax;
        d += (i === 0 ? 'M' : 'L') + x.toFixed(1) + ' ' + y.toFixed(1);
      });
      svg.appendChild(el('path', { d: d, fill: 'none', stroke: colors[s.name], 'stroke-width': 2, 'stroke-dasharray': s.dash, class: 'series series-' + s.name }));
    });
    legend(svg, series.map(function (s) { return { color: colors[s.name], dash: s.dash, label: s.label }; }));
  }

  function throughputPlot() {
    var svg = document.getElementById('throughput-plot');
    var iw = W - L - R, ih = H - T - B;
    var tl = data.timeline;
    var n = Math.max(1, tl.length);
    // Per-second rates: the last interval of a run may be shorter than a second.
    var rate = function (i, key) { return i[key] / (i.lengthS || 1); };
    var yMax = niceMax(Math.max.apply(null, tl.map(function (i) { return Math.max(rate(i, 'successful'), rate(i, 'errors')); }).concat([0])));
    var ticks = [];
    var step = Math.max(1, Math.ceil(n / 10));
    for (var s = 0; s <= n; s += step) ticks.push({ x: L + (iw * s) / n, label: s + ' s' });
    frame(svg, ticks, yMax, 'time since start of measuring', 'transactions / s');
    [['successful', 'ok'], ['errors', 'errors']].forEach(function (def) {
      var d = 'M' + L + ' ' + (T + ih);
      tl.forEach(function (i) {
        var x0 = L + (iw * (i.second - 1)) / n, x1 = L + (iw * (i.second - 1 + (i.lengthS || 1))) / n, y = T + ih - (ih * rate(i, def[0])) / yMax;
        d += 'L' + x0.toFixed(1) + ' ' + y.toFixed(1) + 'L' + x1.toFixed(1) + ' ' + y.toFixed(1);
      });
      svg.appendChild(el('path', { d: d, fill: 'none', stroke: colors[def[1]], 'stroke-width': 2, class: 'series series-' + def[1] }));
    });
    legend(svg, [{ color: colors.ok, label: 'successful / s' }, { color: colors.errors, label: 'errors / s' }]);
  }

  // p50 and p99 of the answers of each second, as cockroach workload prints them: a stall or a
  // leader change shows as a bump at the second it happened. Seconds without an answer are gaps.
  function latencyTimePlot() {
    var svg = document.getElementById('latency-time-plot');
    var iw = W - L - R, ih = H - T - B;
    var tl = data.timeline;
    var n = Math.max(1, tl.length);
    var yMax = niceMax(Math.max.apply(null, tl.map(function (i) { return i.completed > 0 ? i.latencyMsP99 : 0; }).concat([0])));
    var ticks = [];
    var step = Math.max(1, Math.ceil(n / 10));
    for (var s = 0; s <= n; s += step) ticks.push({ x: L + (iw * s) / n, label: s + ' s' });
    frame(svg, ticks, yMax, 'time since start of measuring', 'latency (ms)');
    [['latencyMsP50', 'p50', ''], ['latencyMsP99', 'p99', '5 4']].forEach(function (def) {
      var d = '', open = false;
      tl.forEach(function (i) {
        if (!(i.completed > 0)) { open = false; return; }
        var x0 = L + (iw * (i.second - 1)) / n, x1 = L + (iw * (i.second - 1 + (i.lengthS || 1))) / n, y = T + ih - (ih * i[def[0]]) / yMax;
        d += (open ? 'L' : 'M') + x0.toFixed(1) + ' ' + y.toFixed(1) + 'L' + x1.toFixed(1) + ' ' + y.toFixed(1);
        open = true;
      });
      svg.appendChild(el('path', { d: d, fill: 'none', stroke: colors[def[1]], 'stroke-width': 2, 'stroke-dasharray': def[2], class: 'series series-' + def[1] }));
    });
    legend(svg, [{ color: colors.p50, label: 'p50' }, { color: colors.p99, dash: '5 4', label: 'p99' }]);
  }

  spectrumPlot();
  throughputPlot();
  latencyTimePlot();
  document.body.setAttribute('data-rendered', 'true');
})();
`;
