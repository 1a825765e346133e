/** Run `count` operations with at most `concurrency` in flight, timing each one. */
import { performance } from 'node:perf_hooks';

export interface OpsResult {
  seconds: number;
  /** Per-operation latency in milliseconds. */
  latencies: number[];
}

export async function runOps(
  count: number,
  concurrency: number,
  op: (i: number) => Promise<void>,
  onDone?: () => void,
): Promise<OpsResult> {
  const latencies = new Array<number>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const t0 = performance.now();
      await op(i);
      latencies[i] = performance.now() - t0;
      onDone?.();
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { seconds: (performance.now() - t0) / 1000, latencies };
}
