/** Numbers for the bench report: percentiles, rates, byte units. */

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

/** The p-th percentile (0..100) of `values` by nearest rank; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function median(values: readonly number[]): number { return percentile(values, 50); }

/** MB/s as storage people quote it: MiB per second. */
export function mbPerSecond(bytes: number, seconds: number): number { return bytes / MiB / seconds; }

/** Round to `digits` decimals (for JSON output that stays readable). */
export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
