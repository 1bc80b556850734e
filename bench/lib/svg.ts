/**
 * Hand-written SVG charts for the benchmark report (no dependencies, so the report renders on any
 * machine that can run the benchmarks). One chart type covers every figure the report draws:
 * horizontal grouped bars, one group per case and one bar per series, on a linear or log axis.
 * Horizontal bars because case names are long; log axis because some ratios span 3-4 decades.
 */

export interface BarValue {
  /** The figure the bar is drawn to. */
  v: number;
  /** Upper end of a measured range (drawn as a lighter extension from v to hi). */
  hi?: number;
  /** Text printed after the bar; defaults to the axis formatter applied to v (and hi). */
  text?: string;
}

export interface BarCategory {
  label: string;
  /** One entry per series; null leaves a gap (the case has no such figure). */
  values: (BarValue | null)[];
  /** Draw the label in italics (context rows such as an external reference system). */
  muted?: boolean;
}

export interface BarMarker {
  value: number;
  label: string;
}

export interface BarChartSpec {
  title: string;
  subtitle?: string;
  series: string[];
  categories: BarCategory[];
  /** Formats axis ticks and (by default) the values printed after bars. */
  format: (v: number) => string;
  axisLabel: string;
  scale?: 'linear' | 'log' | 'auto';
  /** Vertical dashed lines, e.g. targets. */
  markers?: BarMarker[];
  width?: number;
}

const PALETTE = ['#2f6fb0', '#e08a1e', '#4a9a5b', '#b8474d', '#7a5aa6', '#5f6b7a'];
const FONT = "DejaVu Sans, Verdana, Arial, sans-serif";

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Rough text width for layout (DejaVu Sans averages ~0.6 em per character). */
function textWidth(s: string, size: number): number {
  return Math.round(s.length * size * 0.6 * 100) / 100;
}

function truncate(s: string, maxPx: number, size: number): string {
  if (textWidth(s, size) <= maxPx) return s;
  const n = Math.max(4, Math.floor(maxPx / (size * 0.6)) - 1);
  return s.slice(0, n) + '…';
}

/** Breaks a label at spaces into at most maxLines lines that fit maxPx (the last one truncated). */
function wrap(s: string, maxPx: number, size: number, maxLines = 3): string[] {
  const words = s.split(' ');
  const lines: string[] = [];
  let cur = '';
  for (const w of words) {
    const next = cur ? `${cur} ${w}` : w;
    if (textWidth(next, size) <= maxPx || !cur) cur = next;
    else {
      lines.push(cur);
      cur = w;
    }
  }
  if (cur) lines.push(cur);
  if (lines.length > maxLines) {
    const kept = lines.slice(0, maxLines);
    kept[maxLines - 1] = truncate(lines.slice(maxLines - 1).join(' '), maxPx, size);
    return kept;
  }
  return lines.map((l) => truncate(l, maxPx, size));
}

const r1 = (v: number): string => (Math.round(v * 10) / 10).toString();

interface Axis {
  pos(v: number): number; // 0..1 along the plot
  ticks: number[];
  minor: number[];
}

function linearAxis(max: number, markers: number[]): Axis {
  const top = Math.max(max, ...markers, 1e-12);
  const rough = top / 5;
  const mag = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= rough) ?? 10 * mag;
  const end = Math.ceil(top / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let t = 0; t <= end + step / 2; t += step) ticks.push(Number(t.toPrecision(12)));
  return { pos: (v) => Math.max(0, v) / end, ticks, minor: [] };
}

function logAxis(min: number, max: number): Axis {
  let lo = Math.floor(Math.log10(min));
  if (10 ** lo >= min) lo -= 1; // the smallest bar must stay visible
  let hi = Math.ceil(Math.log10(max));
  if (hi <= lo) hi = lo + 1;
  const ticks: number[] = [];
  const minor: number[] = [];
  for (let e = lo; e <= hi; e++) {
    ticks.push(10 ** e);
    if (e < hi) for (const m of [2, 5]) minor.push(m * 10 ** e);
  }
  return {
    pos: (v) => (v <= 0 ? 0 : Math.min(1, Math.max(0, (Math.log10(v) - lo) / (hi - lo)))),
    ticks,
    minor,
  };
}

/** Renders a horizontal grouped bar chart as a standalone SVG document. */
export function barChart(spec: BarChartSpec): string {
  const W = spec.width ?? 720;
  const nS = Math.max(1, spec.series.length);
  const barH = nS > 1 ? 14 : 20;
  const barGap = 2;
  const groupPad = 12;
  const fsLabel = 12;
  const fsValue = 11;

  const all: number[] = [];
  for (const c of spec.categories)
    for (const b of c.values) if (b) for (const v of [b.v, b.hi]) if (v !== undefined && Number.isFinite(v) && v > 0) all.push(v);
  const markers = (spec.markers ?? []).filter((m) => Number.isFinite(m.value) && m.value > 0);
  const dataMax = all.length ? Math.max(...all) : 1;
  const dataMin = all.length ? Math.min(...all) : 1;
  const span = Math.max(dataMax, ...markers.map((m) => m.value)) / Math.min(dataMin, ...markers.map((m) => m.value));
  const useLog = spec.scale === 'log' || ((spec.scale ?? 'auto') === 'auto' && span > 50);
  const axis = useLog
    ? logAxis(Math.min(dataMin, ...markers.map((m) => m.value)), Math.max(dataMax, ...markers.map((m) => m.value)))
    : linearAxis(dataMax, markers.map((m) => m.value));

  const labelW = Math.ceil(Math.min(230, Math.max(80, ...spec.categories.map((c) => textWidth(c.label, fsLabel))))) + 10;
  const valueTexts = spec.categories.flatMap((c) => c.values.map((b) => (b ? valueText(b, spec.format) : '')));
  const valueW = Math.ceil(Math.min(130, Math.max(40, ...valueTexts.map((t) => textWidth(t, fsValue))))) + 8;
  const x0 = 12 + labelW;
  const x1 = W - 12 - valueW;
  const plotW = x1 - x0;

  let y = 0;
  const out: string[] = [];
  y += 26;
  out.push(`<text x="12" y="${y}" font-size="16" font-weight="bold" fill="#1d2330">${escapeXml(spec.title)}</text>`);
  if (spec.subtitle) {
    y += 18;
    out.push(`<text x="12" y="${y}" font-size="11.5" fill="#555d6b">${escapeXml(spec.subtitle)}</text>`);
  }
  // Legend: one swatch per series, wrapped onto new lines when needed.
  y += 20;
  let lx = 12;
  spec.series.forEach((s, i) => {
    const w = 16 + textWidth(s, 11.5) + 18;
    if (lx + w > W - 12 && lx > 12) {
      lx = 12;
      y += 17;
    }
    out.push(`<rect x="${lx}" y="${y - 10}" width="12" height="12" rx="2" fill="${PALETTE[i % PALETTE.length]}"/>`);
    out.push(`<text x="${lx + 16}" y="${y}" font-size="11.5" fill="#1d2330">${escapeXml(s)}</text>`);
    lx += w;
  });
  if (spec.categories.some((c) => c.values.some((b) => b?.hi !== undefined))) {
    const w = 16 + textWidth('measured range', 11.5) + 18;
    if (lx + w > W - 12) {
      lx = 12;
      y += 17;
    }
    out.push(`<rect x="${lx}" y="${y - 10}" width="12" height="12" rx="2" fill="#888" fill-opacity="0.3" stroke="#888" stroke-dasharray="2 2"/>`);
    out.push(`<text x="${lx + 16}" y="${y}" font-size="11.5" fill="#1d2330">measured range</text>`);
  }
  y += markers.length > 1 ? 39 : markers.length ? 26 : 12;
  const plotTop = y;

  const bars: string[] = [];
  const values: string[] = [];
  const lineH = fsLabel + 2;
  for (const c of spec.categories) {
    // Only the series a case has get a slot, so a case with one figure stays one bar tall.
    const present = c.values.map((b, i) => [b, i] as const).filter(([b]) => b !== null && Number.isFinite(b.v)) as [BarValue, number][];
    const lines = wrap(c.label, labelW - 10, fsLabel);
    const slots = Math.max(1, present.length);
    const gh = Math.max(slots * barH + (slots - 1) * barGap, lines.length * lineH);
    const barsH = slots * barH + (slots - 1) * barGap;
    const top = y + (gh - barsH) / 2;
    const ly = y + gh / 2 - ((lines.length - 1) * lineH) / 2 + 4;
    lines.forEach((l, k) =>
      bars.push(
        `<text x="${x0 - 8}" y="${r1(ly + k * lineH)}" font-size="${fsLabel}" text-anchor="end" fill="#1d2330"${c.muted ? ' font-style="italic"' : ''}>${escapeXml(l)}</text>`,
      ),
    );
    present.forEach(([b, i], k) => {
      const by = top + k * (barH + barGap);
      const color = PALETTE[i % PALETTE.length]!;
      const w = Math.max(1, axis.pos(b.v) * plotW);
      bars.push(`<rect x="${x0}" y="${r1(by)}" width="${r1(w)}" height="${barH}" fill="${color}"${c.muted ? ' fill-opacity="0.55"' : ''}/>`);
      let end = x0 + w;
      if (b.hi !== undefined && Number.isFinite(b.hi) && b.hi > b.v) {
        const wh = Math.max(1, axis.pos(b.hi) * plotW) - w;
        bars.push(
          `<rect x="${r1(x0 + w)}" y="${r1(by + 0.5)}" width="${r1(wh)}" height="${barH - 1}" fill="${color}" fill-opacity="0.25" stroke="${color}" stroke-dasharray="3 2"/>`,
        );
        end += wh;
      }
      // A white plate under the figure keeps it readable where a target line crosses it.
      const vt = valueText(b, spec.format);
      values.push(
        `<rect x="${r1(end + 2)}" y="${r1(by + barH / 2 - 7)}" width="${r1(textWidth(vt, fsValue) + 4)}" height="14" fill="#ffffff" fill-opacity="0.9"/>`,
        `<text x="${r1(end + 4)}" y="${r1(by + barH / 2 + 4)}" font-size="${fsValue}" fill="#1d2330">${escapeXml(vt)}</text>`,
      );
    });
    y += gh + groupPad;
  }
  const plotBottom = y - groupPad + 6;

  // Grid first so bars paint over it.
  const grid: string[] = [];
  for (const m of axis.minor) {
    const x = r1(x0 + axis.pos(m) * plotW);
    grid.push(`<line x1="${x}" y1="${plotTop - 4}" x2="${x}" y2="${plotBottom}" stroke="#eef0f3"/>`);
  }
  for (const t of axis.ticks) {
    const x = r1(x0 + axis.pos(t) * plotW);
    grid.push(`<line x1="${x}" y1="${plotTop - 4}" x2="${x}" y2="${plotBottom}" stroke="#d9dde3"/>`);
    grid.push(`<text x="${x}" y="${plotBottom + 15}" font-size="11" text-anchor="middle" fill="#555d6b">${escapeXml(t === 0 ? "0" : spec.format(t))}</text>`);
  }
  grid.push(`<line x1="${x0}" y1="${plotTop - 4}" x2="${x0}" y2="${plotBottom}" stroke="#1d2330"/>`);
  grid.push(`<line x1="${x0}" y1="${plotBottom}" x2="${x1}" y2="${plotBottom}" stroke="#1d2330"/>`);

  const marks: string[] = [];
  const markLabels: string[] = [];
  markers.forEach((m, i) => {
    const x = x0 + axis.pos(m.value) * plotW;
    marks.push(`<line x1="${r1(x)}" y1="${plotTop - 8 - (i % 2) * 13}" x2="${r1(x)}" y2="${plotBottom}" stroke="#c0392b" stroke-width="1.5" stroke-dasharray="5 3"/>`);
    const anchor = x > x0 + plotW * 0.7 ? 'end' : 'start';
    const tx = anchor === 'end' ? x - 3 : x + 3;
    const ty = plotTop - 11 - (i % 2) * 13;
    const tw = textWidth(m.label, 10.5);
    markLabels.push(
      `<rect x="${r1(anchor === 'end' ? tx - tw - 2 : tx - 2)}" y="${ty - 10}" width="${r1(tw + 4)}" height="13" fill="#ffffff"/>`,
      `<text x="${r1(tx)}" y="${ty}" font-size="10.5" text-anchor="${anchor}" fill="#c0392b">${escapeXml(m.label)}</text>`,
    );
  });

  y = plotBottom + 34;
  const axisTitle = `${spec.axisLabel}${useLog ? ' (log scale)' : ''}`;
  const footer = `<text x="${r1(x0 + plotW / 2)}" y="${y}" font-size="11.5" text-anchor="middle" fill="#1d2330">${escapeXml(axisTitle)}</text>`;
  const H = Math.ceil(y + 12);

  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="${FONT}">`,
    `<title>${escapeXml(spec.title)}</title>`,
    `<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`,
    ...out,
    ...grid,
    ...bars,
    ...marks,
    ...markLabels,
    ...values,
    footer,
    `</svg>`,
    '',
  ].join('\n');
}

function valueText(b: BarValue, format: (v: number) => string): string {
  if (b.text !== undefined) return b.text;
  return b.hi !== undefined && b.hi > b.v ? `${format(b.v)}–${format(b.hi)}` : format(b.v);
}
