/** A small SVG line chart (log axes optional) for the scaling sweep: no chart library needed. */
import { s, h } from './dom.ts';

export interface Series {
  name: string;
  /** A CSS colour or var(). */
  color: string;
  points: { x: number; y: number | null; note?: string }[];
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  logX?: boolean;
  logY?: boolean;
  format?: (y: number) => string;
}

const W = 460;
const H = 250;
const M = { top: 16, right: 16, bottom: 40, left: 58 };

function ticksLog(min: number, max: number): number[] {
  const out: number[] = [];
  const lo = Math.floor(Math.log10(Math.max(min, 1e-9)));
  const hi = Math.ceil(Math.log10(Math.max(max, 1e-9)));
  for (let p = lo; p <= hi; p++) out.push(10 ** p);
  return out;
}

function ticksLinear(min: number, max: number, count = 5): number[] {
  const span = max - min || 1;
  const step0 = span / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((st) => span / st <= count) ?? mag * 10;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

const short = (v: number) => (v >= 1e6 ? `${v / 1e6}M` : v >= 1e3 ? `${v / 1e3}k` : String(v));

export function lineChart(o: ChartOptions): HTMLElement {
  const xs = o.series.flatMap((se) => se.points.map((p) => p.x));
  const ys = o.series.flatMap((se) => se.points.map((p) => p.y)).filter((y): y is number => y !== null && Number.isFinite(y));
  const fmt = o.format ?? ((y: number) => short(y));
  if (xs.length === 0 || ys.length === 0) return h('div', { class: 'notice' }, 'No data for this chart.');
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  let yMin = o.logY ? Math.max(Math.min(...ys), 1e-3) : 0;
  let yMax = Math.max(...ys);
  if (o.logY) {
    yMin = 10 ** Math.floor(Math.log10(yMin));
    yMax = 10 ** Math.ceil(Math.log10(Math.max(yMax, yMin * 10)));
  } else {
    yMax = yMax * 1.08 || 1;
  }
  const iw = W - M.left - M.right;
  const ih = H - M.top - M.bottom;
  const sx = (x: number) => {
    if (xMax === xMin) return M.left + iw / 2;
    return o.logX ? M.left + ((Math.log10(x) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin))) * iw : M.left + ((x - xMin) / (xMax - xMin)) * iw;
  };
  const sy = (y: number) => {
    if (o.logY) return M.top + ih - ((Math.log10(Math.max(y, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * ih;
    return M.top + ih - ((y - yMin) / (yMax - yMin)) * ih;
  };

  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${o.title}: ${o.yLabel} against ${o.xLabel}` });
  const grid = s('g', { class: 'chart-grid' });
  const yTicks = o.logY ? ticksLog(yMin, yMax) : ticksLinear(yMin, yMax);
  for (const t of yTicks) {
    const y = sy(t);
    grid.append(s('line', { x1: M.left, x2: M.left + iw, y1: y, y2: y }), s('text', { x: M.left - 8, y: y + 4, 'text-anchor': 'end' }, fmt(t)));
  }
  const xTicks = [...new Set(xs)].sort((a, b) => a - b);
  for (const t of xTicks) {
    const x = sx(t);
    grid.append(s('line', { x1: x, x2: x, y1: M.top, y2: M.top + ih, class: 'vertical' }), s('text', { x, y: M.top + ih + 16, 'text-anchor': 'middle' }, short(t)));
  }
  grid.append(
    s('text', { x: M.left + iw / 2, y: H - 4, 'text-anchor': 'middle', class: 'axis-label' }, o.xLabel),
    s('text', { x: 12, y: M.top + ih / 2, 'text-anchor': 'middle', class: 'axis-label', transform: `rotate(-90 12 ${M.top + ih / 2})` }, o.yLabel),
  );
  svg.appendChild(grid);
  for (const se of o.series) {
    const pts = se.points.filter((p) => p.y !== null && Number.isFinite(p.y)) as { x: number; y: number; note?: string }[];
    if (pts.length === 0) continue;
    const g = s('g', { class: 'chart-series', style: `--c:${se.color}`, 'data-series': se.name });
    g.appendChild(s('path', { d: pts.map((p, i) => `${i ? 'L' : 'M'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' '), fill: 'none' }));
    for (const p of pts) {
      g.appendChild(s('circle', { cx: sx(p.x).toFixed(1), cy: sy(p.y).toFixed(1), r: 3.5 }, s('title', null, `${se.name} · page size ${p.x}: ${fmt(p.y)} ${o.yLabel}${p.note ? ` (${p.note})` : ''}`)));
    }
    svg.appendChild(g);
  }
  return h('figure', { class: 'chart-figure' }, h('figcaption', null, o.title), svg);
}

export function legend(series: { name: string; color: string }[]): HTMLElement {
  return h('div', { class: 'legend' }, series.map((se) => h('span', { class: 'legend-item' }, h('span', { class: 'swatch', style: `background:${se.color}` }), se.name)));
}
