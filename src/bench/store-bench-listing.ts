/**
 * Store bench, part (a): a 10,000-entry listing page from a container of N objects over 2x2
 * LocalBricks, timed through the real `Volume.listObjects` path (merged set cursors over each
 * brick's SQLite index).
 *
 * Populating a million objects through PUTs would take hours and measure the wrong thing, so the
 * records are committed straight into each set's first index with BrickIndex.putObject (the index's
 * own row format and counters), batched in one SQLite transaction per 50,000 rows, and the finished
 * index file is copied to the set's second replica. No data files exist: a listing never opens one.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type { ObjectRecord } from '../storage/brick/brick.js';
import { BrickIndex } from '../storage/brick/index.js';
import { INDEX_DB } from '../storage/brick/local-files.js';
import { dataFileName } from '../storage/brick/records.js';
import { containerKey } from '../storage/layout.js';
import { layoutFromJSON, type HashLayout, type LayoutJSON } from '../storage/layout-arcs.js';
import type { ListQuery, VolumeSpec } from '../storage/store.js';
import { openVolume, type Volume } from '../storage/volume.js';

const ACCOUNT = 'AUTH_bench';
const CONTAINER = 'big';
const BATCH = 50_000;

/** Written into the bench directory once its volume is fully populated (what --dir reuses). */
const POPULATED = 'populated.json';

export interface ListingResult {
  objects: number;
  /** Undefined when an earlier run's volume was reused. */
  populateSeconds: number | undefined;
  /**
   * Wall times, and the process CPU time (all threads, GC helpers included) of the warm runs: on a
   * shared host the wall time also counts waiting for a core, the CPU time only the listing's work.
   */
  timings: Array<{ label: string; entries: number; coldMs: number; warmMedianMs: number; warmCpuMedianMs: number }>;
}

/** Object i's name: 1000 pseudo-directories, so delimiter listings have something to roll up. */
function nameOf(i: number): string {
  return `d${String(i % 1000).padStart(3, '0')}/obj-${String(i).padStart(8, '0')}`;
}

export async function listingBench(dir: string, objects: number, log: (line: string) => void,
                                   opts: { reuse?: boolean } = {}): Promise<ListingResult> {
  const bricks = [0, 1, 2, 3].map((i) => join(dir, `list-b${i}`));
  const spec = { id: 'bench-listing', bricks, replica: 2, fsync: false };
  const reused = opts.reuse === true ? populatedLayout(dir, objects) : undefined;
  const populated = reused ? { layout: reused, seconds: undefined } : await populate(dir, bricks, spec, objects, log);
  if (opts.reuse === true && !reused) writeFileSync(join(dir, POPULATED), JSON.stringify({ objects, layout: populated.layout }));
  return { objects, populateSeconds: populated.seconds, timings: await timeQueries(spec, populated.layout, objects) };
}

/** The layout of a volume an earlier run populated in `dir` with `objects` objects, if there is one. */
function populatedLayout(dir: string, objects: number): HashLayout | undefined {
  const file = join(dir, POPULATED);
  if (!existsSync(file)) return undefined;
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { objects: number; layout: LayoutJSON };
  return saved.objects === objects ? layoutFromJSON(saved.layout) : undefined;
}

async function populate(dir: string, bricks: string[], spec: VolumeSpec, objects: number,
                        log: (line: string) => void): Promise<{ layout: HashLayout; seconds: number }> {
  // A stale or partial volume from an earlier run: start again (only the bench's own files go).
  rmSync(join(dir, POPULATED), { force: true });
  for (const b of bricks) rmSync(b, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const first = await openVolume(spec);
  const layout = first.layout;
  const ts = '1700000000.00000';
  await first.createContainer({ account: ACCOUNT, container: CONTAINER }, { timestamp: ts });
  await first.close();

  const started = process.hrtime.bigint();
  const key = containerKey(ACCOUNT, CONTAINER);
  for (let set = 0; set < 2; set++) {
    const idx = new BrickIndex(join(bricks[set * 2]!, INDEX_DB), { fsync: false });
    // BrickIndex commits each putObject on its own; inside an outer transaction they become savepoints.
    const db = (idx as unknown as { db: Database.Database }).db;
    if (!db || typeof db.transaction !== 'function') throw new Error('BrickIndex no longer exposes its connection as `db`; update the bench');
    const insert = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const name = nameOf(i);
        if (layout.locate(key, name) !== set) continue;
        idx.putObject(record(name, ts));
      }
    });
    for (let from = 0; from < objects; from += BATCH) {
      insert(from, Math.min(objects, from + BATCH));
      if ((from / BATCH) % 4 === 3) log(`  populating set ${set}: ${Math.min(objects, from + BATCH)} / ${objects} names scanned`);
    }
    idx.close();
    const replica = bricks[set * 2 + 1]!;
    for (const suffix of ['-wal', '-shm']) rmSync(join(replica, INDEX_DB + suffix), { force: true });
    copyFileSync(join(bricks[set * 2]!, INDEX_DB), join(replica, INDEX_DB));
  }
  return { layout, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

async function timeQueries(spec: VolumeSpec, layout: HashLayout, objects: number): Promise<ListingResult['timings']> {
  const volume = await openVolume(spec, { layout });
  try {
    const info = await volume.getContainer({ account: ACCOUNT, container: CONTAINER });
    if (info.objectCount !== objects) throw new Error(`populated ${info.objectCount} objects, wanted ${objects}`);
    const queries: Array<[string, ListQuery]> = [
      ['first page', { limit: 10000 }],
      ['page from a marker half-way', { limit: 10000, marker: nameOf(Math.floor(objects / 2)) }],
      ['last page, reverse', { limit: 10000, reverse: true }],
      ['prefix d500/', { limit: 10000, prefix: 'd500/' }],
      ['delimiter / (1000 subdirs, seeks)', { limit: 10000, delimiter: '/' }],
    ];
    const timings: ListingResult['timings'] = [];
    for (const [label, q] of queries) {
      const cold = await timed(volume, q);
      const warm: number[] = [];
      const cpu: number[] = [];
      for (let k = 0; k < 5; k++) {
        const t = await timed(volume, q);
        warm.push(t.ms);
        cpu.push(t.cpuMs);
      }
      const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[2]!;
      timings.push({ label, entries: cold.entries, coldMs: cold.ms, warmMedianMs: median(warm), warmCpuMedianMs: median(cpu) });
    }
    return timings;
  } finally {
    await volume.close();
  }
}

async function timed(volume: Volume, q: ListQuery): Promise<{ ms: number; cpuMs: number; entries: number }> {
  const cpu = process.cpuUsage();
  const t = process.hrtime.bigint();
  const page = await volume.listObjects({ account: ACCOUNT, container: CONTAINER }, q);
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  const used = process.cpuUsage(cpu);
  return { ms, cpuMs: (used.user + used.system) / 1000, entries: page.entries.length };
}

function record(name: string, ts: string): ObjectRecord {
  return {
    account: ACCOUNT, container: CONTAINER, name, timestamp: ts, dataTimestamp: ts, deleted: false,
    size: 1024, etag: '0f343b0931126a20f133d67c2b018a3b', contentType: 'application/octet-stream',
    metadata: {}, systemMetadata: {}, dataFile: dataFileName({ account: ACCOUNT, container: CONTAINER, object: name }, ts),
  };
}
