// SVG charts drawn here, no library: a scatter (objective against a
// parameter, numeric or categorical, linear or log x) and lines (a metric
// over steps, one line per trial). Colours come from app.css (series-N).

import { h, fmtNumber, put } from './dom.js';

const W = 720, H = 340;
const M = { top: 16, right: 20, bottom: 48, left: 72 };
export const PALETTE_SIZE = 8;

function niceStep(span, count) {
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * power;
}

/** A linear scale with round ticks that cover [min, max]. */
function linear(min, max, from, to, count = 5) {
  if (!(max > min)) { const pad = Math.abs(min) * 0.1 || 1; min -= pad; max += pad; }
  const step = niceStep(max - min, count);
  const lo = Math.floor(min / step) * step, hi = Math.ceil(max / step) * step;
  const ticks = [];
  for (let v = lo; v <= hi + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  const map = (v) => from + ((v - lo) / (hi - lo)) * (to - from);
  return { map, ticks, lo, hi };
}

function logScale(min, max, from, to) {
  const lo = Math.floor(Math.log10(min)), hi = Math.max(lo + 1, Math.ceil(Math.log10(max)));
  const ticks = [];
  for (let e = lo; e <= hi; e++) ticks.push(10 ** e);
  if (ticks.length <= 3) for (let e = lo; e < hi; e++) ticks.push(2 * 10 ** e, 5 * 10 ** e);
  ticks.sort((a, b) => a - b);
  const map = (v) => from + ((Math.log10(v) - lo) / (hi - lo)) * (to - from);
  return { map, ticks, lo: 10 ** lo, hi: 10 ** hi };
}

function frame(label, xLabel, yLabel) {
  const svg = h('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': label, preserveAspectRatio: 'xMidYMid meet' });
  put(svg, 
    h('text', { x: M.left + (W - M.left - M.right) / 2, y: H - 8, class: 'axis-label', 'text-anchor': 'middle' }, xLabel),
    h('text', { x: 14, y: M.top + (H - M.top - M.bottom) / 2, class: 'axis-label', 'text-anchor': 'middle', transform: `rotate(-90 14 ${M.top + (H - M.top - M.bottom) / 2})` }, yLabel));
  return svg;
}

function yAxis(svg, scale) {
  const g = h('g', { class: 'axis' });
  for (const t of scale.ticks) {
    const y = scale.map(t);
    put(g, h('line', { x1: M.left, x2: W - M.right, y1: y, y2: y, class: 'grid' }),
      h('text', { x: M.left - 8, y: y + 4, 'text-anchor': 'end' }, tick(t)));
  }
  put(svg, g);
}

function xAxis(svg, ticks) {
  const g = h('g', { class: 'axis' });
  put(g, h('line', { x1: M.left, x2: W - M.right, y1: H - M.bottom, y2: H - M.bottom, class: 'baseline' }));
  for (const [x, text] of ticks) {
    put(g, h('line', { x1: x, x2: x, y1: H - M.bottom, y2: H - M.bottom + 5, class: 'tick' }),
      h('text', { x, y: H - M.bottom + 18, 'text-anchor': 'middle' }, text));
  }
  put(svg, g);
}

/** Axis labels: short, and 1e-4 rather than 1.000e-4. */
function tick(v) {
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return v.toExponential().replace(/\.?0+e/, 'e').replace('e+', 'e');
  return fmtNumber(v);
}

function finite(v) { return typeof v === 'number' && Number.isFinite(v); }

/**
 * points: [{x (number or string), y, label, best}], categories when x is text.
 * Returns an <svg>, or null when there is nothing to draw.
 */
export function scatterChart({ points, xLabel, yLabel, log = false }) {
  const usable = points.filter((p) => finite(p.y) && (typeof p.x === 'string' || finite(p.x) && (!log || p.x > 0)));
  if (!usable.length) return null;
  const categorical = usable.some((p) => typeof p.x === 'string');
  const ys = usable.map((p) => p.y);
  const yScale = linear(Math.min(...ys), Math.max(...ys), H - M.bottom, M.top);
  let xMap, xTicks;
  if (categorical) {
    const cats = [...new Set(usable.map((p) => String(p.x)))];
    const band = (W - M.left - M.right) / cats.length;
    xMap = (v) => M.left + band * (cats.indexOf(String(v)) + 0.5);
    xTicks = cats.map((c) => [xMap(c), c.length > 14 ? `${c.slice(0, 13)}…` : c]);
  } else {
    const xs = usable.map((p) => p.x);
    const scale = log ? logScale(Math.min(...xs), Math.max(...xs), M.left + 10, W - M.right - 10)
      : linear(Math.min(...xs), Math.max(...xs), M.left + 10, W - M.right - 10, 6);
    xMap = scale.map;
    xTicks = scale.ticks.map((t) => [scale.map(t), tick(t)]);
  }
  const best = usable.find((p) => p.best);
  const svg = frame(`${yLabel} against ${xLabel}: ${usable.length} trials${best ? `, best ${fmtNumber(best.y)} at ${xLabel} = ${best.x}` : ''}`, xLabel, yLabel);
  yAxis(svg, yScale);
  xAxis(svg, xTicks);
  const g = h('g', { class: 'points' });
  // Jitter categorical points a little so equal values stay visible.
  for (const [i, p] of usable.entries()) {
    const jitter = categorical ? ((i * 7919) % 17 - 8) * 1.2 : 0;
    put(g, h('circle', { cx: xMap(p.x) + jitter, cy: yScale.map(p.y), r: p.best ? 6 : 4, class: p.best ? 'point best' : 'point', dataset: { trial: p.trial } },
      h('title', {}, `${p.label}: ${yLabel} ${fmtNumber(p.y)}, ${xLabel} ${p.x}`)));
  }
  put(svg, g);
  return svg;
}

/**
 * series: [{name, color (0..7), steps: [..], values: [..]}] (nulls break a line).
 * Returns an <svg>, or null when no series has a value.
 */
export function lineChart({ series, xLabel, yLabel }) {
  const xs = [], ys = [];
  for (const s of series) {
    s.steps.forEach((x, i) => { const y = s.values[i]; if (finite(x) && finite(y)) { xs.push(x); ys.push(y); } });
  }
  if (!ys.length) return null;
  const xScale = linear(Math.min(...xs), Math.max(...xs), M.left + 4, W - M.right - 4, 6);
  const yScale = linear(Math.min(...ys), Math.max(...ys), H - M.bottom, M.top);
  const svg = frame(`${yLabel} over ${xLabel} for ${series.length} ${series.length === 1 ? 'trial' : 'trials'}`, xLabel, yLabel);
  yAxis(svg, yScale);
  xAxis(svg, xScale.ticks.map((t) => [xScale.map(t), tick(t)]));
  for (const s of series) {
    const g = h('g', { class: `series series-${s.color % PALETTE_SIZE}` }, h('title', {}, s.name));
    let run = [];
    const flush = () => {
      if (run.length > 1) put(g, h('polyline', { points: run.join(' '), class: 'line' }));
      if (run.length === 1) { const [cx, cy] = run[0].split(','); put(g, h('circle', { cx, cy, r: 3, class: 'dot' })); }
      run = [];
    };
    s.steps.forEach((x, i) => {
      const y = s.values[i];
      if (finite(x) && finite(y)) run.push(`${xScale.map(x).toFixed(1)},${yScale.map(y).toFixed(1)}`);
      else flush();
    });
    flush();
    put(svg, g);
  }
  return svg;
}

/** A legend under a chart (HTML, so it wraps and reads well). */
export function legend(series) {
  return h('ul', { class: 'legend' }, series.map((s) => h('li', {}, h('span', { class: `swatch series-${s.color % PALETTE_SIZE}`, 'aria-hidden': 'true' }), s.name)));
}
