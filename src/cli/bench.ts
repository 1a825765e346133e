/**
 * `cairn bench`: start Cairn on a temporary volume (or take `--url` for any Swift endpoint, such as
 * upstream Swift, so the same run measures both) and report large-object streaming rates beside Node's
 * raw file-stream rates and a bare Node HTTP server's, small-object ops/s with latency percentiles, a
 * 10,000-entry listing page from a big container, and the server's peak RSS per phase.
 */
import { benchLarge } from '../bench/large.js';
import { benchListing, cleanListing } from '../bench/listing.js';
import { makeProgress } from '../bench/progress.js';
import { formatTable, toJson } from '../bench/report.js';
import type { BenchResults, Peak } from '../bench/results.js';
import { benchRssCheck } from '../bench/rss-check.js';
import { RssMeter } from '../bench/rss.js';
import { benchSmall } from '../bench/small.js';
import { authenticate, SwiftSession } from '../bench/swift-client.js';
import { remoteTarget, startCairn, type Target } from '../bench/target.js';

export interface BenchOptions {
  url?: string;
  user: string;
  key: string;
  replica: number;
  sets: number;
  /** false with --no-fsync. */
  fsync: boolean;
  largeMb: number;
  smallKb: number;
  smallCount: number;
  concurrency: number;
  listObjects: number;
  rssGb?: number;
  full?: boolean;
  dir?: string;
  keep?: boolean;
  json?: boolean;
  /** --remote: compare local with remote bricks at the store level (bench/remote.ts) instead. */
  remote?: boolean;
  /** --workers-compare: small objects against 1 and 2 worker processes (bench/workers.ts) instead. */
  workersCompare?: boolean;
  /** --rebalance: rebalance rate while serving, at the store level (bench/rebalance.ts) instead. */
  rebalance?: boolean;
  /** --only: the phases to run (comma-separated: large, small, listing, rss); all of them when absent. */
  only?: string;
}

/** The phases of a bench run, in the order they run. */
export const PHASES = ['large', 'small', 'listing', 'rss'] as const;
export type Phase = typeof PHASES[number];

/** The phases --only names (every phase when absent); throws on a name that is not a phase. */
export function selectedPhases(only: string | undefined): Set<Phase> {
  if (only === undefined) return new Set(PHASES);
  const names = only.split(',').map((n) => n.trim()).filter((n) => n !== '');
  for (const n of names) {
    if (!(PHASES as readonly string[]).includes(n)) throw new Error(`--only: unknown phase '${n}' (phases: ${PHASES.join(', ')})`);
  }
  return new Set(names as Phase[]);
}

/** Run the bench; resolves with the process exit code. */
export async function bench(raw: Record<string, unknown>): Promise<number> {
  const o = raw as unknown as BenchOptions;
  if (o.remote) return (await import('../bench/remote.js')).benchRemote(o);
  if (o.workersCompare) return (await import('../bench/workers.js')).benchWorkers(o);
  if (o.rebalance) return (await import('../bench/rebalance.js')).benchRebalance(o);
  const rssGb = o.rssGb ?? (o.full ? 1 : undefined);
  let phases: Set<Phase>;
  try {
    phases = selectedPhases(o.only);
  } catch (err) {
    process.stderr.write(`cairn bench: ${(err as Error).message}\n`);
    return 2;
  }
  const progress = makeProgress(!o.json && process.stderr.isTTY === true);
  let target: Target | undefined;
  let session: SwiftSession | undefined;
  try {
    progress.note(o.url ? `bench: target ${o.url}` : 'bench: starting cairn on a temporary volume');
    target = o.url
      ? remoteTarget({ authUrl: o.url, user: o.user, key: o.key }, o.dir)
      : await startCairn({ replica: o.replica, sets: o.sets, fsync: o.fsync, ...(o.dir ? { dir: o.dir } : {}), ...(o.keep ? { keep: true } : {}) });
    const auth = await authenticate(target);
    session = new SwiftSession(auth.storageUrl, auth.token, o.concurrency);
    const meter = target.pid !== undefined ? new RssMeter(target.pid) : undefined;
    const results: BenchResults = { target: target.description, dir: target.dir };
    const peaks: Peak[] = [];
    const startup = meter?.lifetimePeak();
    if (startup !== undefined) peaks.push({ bytes: startup, exact: true });

    /** Run one phase with the memory meter around it. */
    const phase = async <T extends { rss?: Peak }>(label: string, fn: () => Promise<T>): Promise<T> => {
      progress.note(`bench: ${label}`);
      meter?.start();
      const r = await fn();
      const peak = meter?.stop();
      if (peak) { r.rss = { bytes: peak.peak, exact: peak.exact }; peaks.push(r.rss); }
      return r;
    };

    if (phases.has('large')) results.large = await phase(`large object (${o.largeMb} MiB)`, () => benchLarge(session!, target!.dir, o.largeMb));
    if (phases.has('small')) {
      // An uncounted warm-up round first (either target, Swift too): phases of about a second would
      // otherwise measure JIT and cache warm-up as much as speed.
      const warmUp = Math.max(o.concurrency, Math.ceil(o.smallCount / 4));
      progress.note(`bench: small objects warm-up (${warmUp}, not counted)`);
      await benchSmall(session, o.smallKb, warmUp, o.concurrency, progress);
      results.small = await phase(`small objects (${o.smallCount} × ${o.smallKb} KiB)`,
        () => benchSmall(session!, o.smallKb, o.smallCount, o.concurrency, progress));
      results.small.warmUp = warmUp;
    }
    if (phases.has('listing')) {
      results.listing = await phase(`listing (${o.listObjects} objects)`,
        () => benchListing(session!, o.listObjects, Math.max(o.concurrency, 64), progress));
      if (o.url) await cleanListing(session, o.listObjects, Math.max(o.concurrency, 64), progress);
    }
    if (rssGb !== undefined && phases.has('rss')) results.rssCheck = await phase('streaming RSS check', () => benchRssCheck(session!, rssGb, progress));
    if (peaks.length > 0) {
      results.peakRss = peaks.reduce((a, b) => (b.bytes > a.bytes ? b : a));
    }
    process.stdout.write(o.json ? toJson(results) : formatTable(results));
    return 0;
  } catch (err) {
    progress.stop();
    process.stderr.write(`cairn bench: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    await session?.close().catch(() => undefined);
    await target?.stop().catch(() => undefined);
  }
}

