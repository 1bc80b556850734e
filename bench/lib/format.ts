/**
 * Number formatting shared by the benchmark report, its charts and the README summary.
 * Figures keep their full precision in the results files; these only choose how a human reads them.
 */

const THOUSANDS = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** 8067039 -> "8,067,039"; 0.97 -> "0.97"; 1493460.4 -> "1,493,460". */
export function fmtNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  if (abs >= 1000 || Number.isInteger(v)) return THOUSANDS.format(v);
  const digits = abs >= 100 ? 1 : abs >= 1 ? 2 : 3;
  return v.toLocaleString('en-US', { maximumFractionDigits: digits });
}

/** Three significant digits at most, for compact figures: 8.07M, 67.8k, 194. */
function sig3(v: number): string {
  const abs = Math.abs(v);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return Number(v.toFixed(digits)).toString();
}

/** 8067039 -> "8.07M", 67830 -> "67.8k", 941 -> "941". */
export function fmtCompact(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  if (abs >= 1e9) return `${sig3(v / 1e9)}G`;
  if (abs >= 1e6) return `${sig3(v / 1e6)}M`;
  if (abs >= 1e3) return `${sig3(v / 1e3)}k`;
  return sig3(v);
}

/** A duration given in nanoseconds, in the unit that keeps 1-3 integer digits: "73.4 ns", "40.1 µs", "2.69 ms". */
export function fmtDurationNs(ns: number): string {
  if (!Number.isFinite(ns)) return String(ns);
  const abs = Math.abs(ns);
  if (abs >= 1e9) return `${sig3(ns / 1e9)} s`;
  if (abs >= 1e6) return `${sig3(ns / 1e6)} ms`;
  if (abs >= 1e3) return `${sig3(ns / 1e3)} µs`;
  return `${sig3(ns)} ns`;
}

/** A ratio: 118.9 -> "118.9×", 1.36 -> "1.36×", 0.004 -> "0.004×". */
export function fmtRatio(r: number): string {
  if (!Number.isFinite(r)) return String(r);
  const abs = Math.abs(r);
  const s = abs >= 100 ? r.toFixed(0) : abs >= 10 ? r.toFixed(1) : abs >= 0.1 ? r.toFixed(2) : r.toPrecision(2);
  return `${Number(s).toLocaleString('en-US', { maximumFractionDigits: 4 })}×`;
}

/** A fraction as a percentage: 0.93 -> "93%", 0.0038 -> "0.38%". */
export function fmtPercent(f: number): string {
  if (!Number.isFinite(f)) return String(f);
  const p = f * 100;
  const abs = Math.abs(p);
  return `${Number(abs >= 10 ? p.toFixed(0) : abs >= 1 ? p.toFixed(1) : p.toPrecision(2))}%`;
}

/** Bytes: 194 -> "194 B", 10417250 -> "9.93 MiB". */
export function fmtBytes(b: number): string {
  if (!Number.isFinite(b)) return String(b);
  const abs = Math.abs(b);
  if (abs >= 2 ** 30) return `${sig3(b / 2 ** 30)} GiB`;
  if (abs >= 2 ** 20) return `${sig3(b / 2 ** 20)} MiB`;
  if (abs >= 2 ** 10) return `${sig3(b / 2 ** 10)} KiB`;
  return `${fmtNumber(b)} B`;
}
