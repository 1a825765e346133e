/**
 * `npm run bench:store` (dist/bench/store-bench.js): the storage layer measured directly, no HTTP.
 *  (b) runs first (clean RSS baseline), then (a), then (c).
 *  (a) a 10,000-entry listing page from a container of 1,000,000 objects over 2x2 LocalBricks;
 *  (b) a 1 GiB PUT through a 1x2 LocalBrick set, with the process's RSS growth (target < 64 MiB);
 *  (c) small-object PUT/GET operations per second on 1x1 and 2x2 LocalBrick volumes, fsync on.
 * Everything lives in a temp dir under os.tmpdir(), removed at the end (also on failure).
 *
 * Environment knobs (for quick runs): CAIRN_BENCH_OBJECTS (default 1000000), CAIRN_BENCH_LARGE_MIB
 * (default 1024), CAIRN_BENCH_SMALL_OBJECTS (default 2000).
 * Flags (after `--` under npm): `--only a|b|c` runs one part; `--dir D` keeps (a)'s populated
 * volume in D and reuses it on the next run with the same object count (populating a million
 * records takes minutes, so iterating on listing speed needs this). D is never removed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { largePutBench, smallOpsBench } from './store-bench-io.js';
import { listingBench } from './store-bench-listing.js';
import { parseBenchArgs } from './store-bench-args.js';

const MiB = 1024 * 1024;

function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  const n = v === undefined ? NaN : Number(v);
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}

const log = (line: string): void => { process.stdout.write(`${line}\n`); };
const mib = (b: number): string => `${(b / MiB).toFixed(1)} MiB`;

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  const runs = (part: 'a' | 'b' | 'c'): boolean => args.only === undefined || args.only === part;
  const dir = mkdtempSync(join(tmpdir(), 'cairn-store-bench-'));
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  process.once('SIGINT', () => { cleanup(); process.exit(130); });
  log(`cairn store bench (node ${process.version}, temp dir ${dir})`);
  try {
    // (b) runs first, so its RSS baseline is not inflated by the heap part (a) leaves behind.
    if (runs('b')) await runLarge(join(dir, 'large'), envInt('CAIRN_BENCH_LARGE_MIB', 1024) * MiB);
    if (runs('a')) await runListing(args.dir ?? join(dir, 'listing'), args.dir !== undefined, envInt('CAIRN_BENCH_OBJECTS', 1_000_000));
    if (runs('c')) await runSmall(dir, envInt('CAIRN_BENCH_SMALL_OBJECTS', 2000));
  } finally {
    cleanup();
  }
}

async function runLarge(dir: string, largeBytes: number): Promise<void> {
  log(`\n(b) large PUT: ${mib(largeBytes)} through a 1x2 LocalBrick set (fsync on)`);
  const big = await largePutBench(dir, largeBytes);
  rmSync(dir, { recursive: true, force: true });
  log(`  ${big.seconds.toFixed(2)} s, ${big.mibPerSecond.toFixed(0)} MiB/s (each byte written to 2 replicas)`);
  log(`  RSS baseline ${mib(big.rssBaseline)}, peak ${mib(big.rssPeak)}, growth ${mib(big.rssGrowth)} `
    + `(${big.exact ? 'kernel peak VmHWM' : 'sampled every 50 ms'}; target < 64 MiB: ${big.rssGrowth < 64 * MiB ? 'ok' : 'OVER'})`);
}

/** `keep`: the volume stays in `dir` for the next run (and one already there is reused). */
async function runListing(dir: string, keep: boolean, objects: number): Promise<void> {
  log(`\n(a) listing: ${objects.toLocaleString('en-US')} objects in one container, 2x2 LocalBricks`);
  const l = await listingBench(dir, objects, log, { reuse: keep });
  log(l.populateSeconds === undefined
    ? `  reused the volume populated by an earlier run in ${dir}`
    : `  populated the indexes in ${l.populateSeconds.toFixed(1)} s (records committed directly, see store-bench-listing.ts)`);
  for (const t of l.timings) {
    log(`  ${t.label.padEnd(36)} ${String(t.entries).padStart(5)} entries   cold ${t.coldMs.toFixed(1).padStart(7)} ms   warm median ${t.warmMedianMs.toFixed(1).padStart(7)} ms (CPU ${t.warmCpuMedianMs.toFixed(1).padStart(6)} ms)`);
  }
  if (!keep) rmSync(dir, { recursive: true, force: true });
}

async function runSmall(dir: string, smallObjects: number): Promise<void> {
  log(`\n(c) small objects: ${smallObjects} x 4 KiB, 16 in flight, fsync on`);
  for (const [sets, replica] of [[1, 1], [2, 2]] as const) {
    const s = await smallOpsBench(join(dir, `small-${sets}x${replica}`), sets, replica, smallObjects, 4096, 16);
    log(`  ${s.shape}: PUT ${s.putPerSecond.toFixed(0)} ops/s, GET ${s.getPerSecond.toFixed(0)} ops/s`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`store bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
