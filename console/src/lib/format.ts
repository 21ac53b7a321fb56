/**
 * Formatting for dense tables: counts (1.2k, 3.4M), rates, durations (850 ms, 12.3 s, 4m 05s, 2h 03m), times
 * relative to now (12 s ago) and absolute (2026-12-07 16:00:03, in the browser's zone).
 */

/** 950, 1.2k, 12k, 3.4M, 1.1G. */
export function count(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  const a = Math.abs(n);
  if (a < 1000) return String(Math.round(n));
  const units: Array<[number, string]> = [[1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [size, unit] of units) {
    if (a >= size) {
      const v = n / size;
      return `${Math.abs(v) < 10 ? v.toFixed(1).replace(/\.0$/, '') : Math.round(v)}${unit}`;
    }
  }
  return String(n);
}

/** Elements per second: `1.2k/s`. */
export function rate(perSecond: number | null | undefined): string {
  if (perSecond === null || perSecond === undefined || !Number.isFinite(perSecond)) return '–';
  return `${perSecond > 0 && perSecond < 10 ? perSecond.toFixed(1) : count(perSecond)}/s`;
}

/** A duration in milliseconds: `850 ms`, `12.3 s`, `4m 05s`, `2h 03m`, `3d 04h`. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(2) : s.toFixed(1)} s`;
  const pad = (v: number) => String(v).padStart(2, '0');
  const total = Math.floor(s);
  const d = Math.floor(total / 86400);
  const h = Math.floor((total % 86400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  if (d > 0) return `${d}d ${pad(h)}h`;
  if (h > 0) return `${h}h ${pad(m)}m`;
  return `${m}m ${pad(total % 60)}s`;
}

/** The time between two ISO times (or until `now` while `to` is null). */
export function between(from: string | null, to: string | null, now = Date.now()): number | null {
  if (from === null) return null;
  const a = Date.parse(from);
  const b = to === null ? now : Date.parse(to);
  return Number.isFinite(a) && Number.isFinite(b) ? Math.max(0, b - a) : null;
}

/** `2026-12-07 16:00:03` in the local zone (a table column sorts and reads well in this form). */
export function time(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '–';
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return iso;
  const pad = (v: number) => String(v).padStart(2, '0');
  return `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}`;
}

/** `12 s ago`, `4 min ago`, `3 h ago`, `2 d ago`. */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (iso === null || iso === undefined) return '–';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** Bytes: `512 B`, `1.5 KiB`, `3.2 MiB`. */
export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = -1;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** A read step's backlog: elements as a count, bytes as a size; '–' when unknown. */
export function backlog(amount: number | null | undefined, unit: 'elements' | 'bytes' | null | undefined): string {
  if (amount === null || amount === undefined || !unit) return '–';
  return unit === 'bytes' ? bytes(amount) : count(amount);
}
