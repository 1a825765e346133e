/**
 * The volume file (`<storage root>/volume.json` unless the config names another): the one definition
 * every node of a volume works from, GlusterFS's glusterd volume info + volfile in one JSON file.
 *
 * It holds the volume id, the replica count, the bricks grouped in replica sets, the versioned layout
 * (commit number, per-set weights and the arcs of the hash circle), the previous layout while a
 * rebalance away from it is pending, the rebalance's state and checkpoint, and a revision that every
 * change bumps (so copies of the definition on other nodes can tell which is newer). Bricks are bound to the
 * volume by the id in their brick.json, so a brick of another volume is refused when opened.
 *
 * Writes are atomic (temporary file, fsync, rename, fsync of the directory) and every
 * read-modify-write holds `<file>.lock` (O_EXCL, with the holder's pid; a lock whose holder is dead
 * or that is older than a minute is taken over), so the CLI, a rebalance and a gateway never lose
 * each other's changes. Readers never lock: they see the old file or the new one.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { processAlive } from './brick/local-files.js';
import { canonicalJSON } from './definition-version.js';
import { InvalidArgument } from './errors.js';
import type { LayoutJSON } from './layout-arcs.js';

export const VOLUME_FILE_FORMAT = 1;

/** One replica set: its bricks (spec strings) and whether it is being drained by remove-brick. */
export interface VolumeSetDefinition {
  bricks: string[];
  /** 'draining' from remove-brick start until commit (the layout gives it no range). */
  state?: 'draining';
}

export type RebalanceStatus = 'pending' | 'running' | 'stopped' | 'completed' | 'failed';

/** Where a stopped rebalance resumes: after `marker` in container `account/container`. */
export interface RebalanceCheckpoint { account: string; container: string; marker: string }

export interface RebalanceCounts {
  /** Names looked at (every record of every container the crawl passed). */
  scanned: number;
  /** Names moved: placed on their new set and replaced by a linkto where they were. */
  moved: number;
  /** Names that could not be moved (see `failures`); the rebalance must run again. */
  failed: number;
  /** Bytes copied. */
  bytes: number;
  /** Containers finished and stamped with the layout commit. */
  containers: number;
  /** Linktos removed after completion (rebalance-fixlayout.ts). */
  reclaimed: number;
}

export interface RebalanceState {
  /** The layout commit it migrates to. */
  commit: number;
  status: RebalanceStatus;
  /** Why (a remove-brick drains set `draining`; add-brick and explicit layout changes leave it out). */
  reason: 'add-brick' | 'remove-brick' | 'layout';
  counts: RebalanceCounts;
  /** Estimate of the objects to scan (live objects in the volume when the run started), for the ETA. */
  total?: number;
  checkpoint?: RebalanceCheckpoint;
  /** Names processed in parallel (GlusterFS rebal-throttle normal = 2). */
  parallelism: number;
  /** Milliseconds spent running, over every run (for rates). */
  elapsedMs: number;
  /** When the layout changed (ISO): a rebalance waits a grace period so every gateway has the new layout. */
  layoutChangedAt: string;
  startedAt?: string;
  updatedAt?: string;
  finishedAt?: string;
  /** The process running it, while it runs. */
  owner?: { pid: number; host: string };
  /** Set by `cairn rebalance stop`; the runner stops at its next checkpoint. */
  stopRequested?: boolean;
  error?: string;
  /** The first few names that failed, with why. */
  failures?: string[];
}

export interface VolumeDefinition {
  format: typeof VOLUME_FILE_FORMAT;
  id: string;
  replica: number;
  sets: VolumeSetDefinition[];
  layout: LayoutJSON;
  /**
   * Bumped by every change of the definition (updateVolumeFile), layout commit or not, so a
   * replace-brick or a rebalance's progress is newer than what came before (definition-version.ts).
   * Absent in files written before it existed: 0.
   */
  revision?: number;
  /** While a rebalance is pending: the layout objects may still be placed by. */
  previous?: LayoutJSON;
  rebalance?: RebalanceState;
  updatedAt: string;
}

/** A definition's layout commit (what places objects; definitions are ordered by commit, then revision). */
export function commitOf(def: Pick<VolumeDefinition, 'layout'>): number {
  return def.layout.version;
}

/** The brick list in set order (what VolumeSpec.bricks is). */
export function bricksOf(def: VolumeDefinition): string[] {
  return def.sets.flatMap((s) => s.bricks);
}

/** Read and check the volume file; undefined when it does not exist. */
export function readVolumeFile(path: string): VolumeDefinition | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InvalidArgument(`${path}: not JSON (${(err as Error).message})`);
  }
  return checkDefinition(raw, path);
}

/** Validate a parsed definition (errors name the file and the field). */
export function checkDefinition(raw: unknown, where = 'volume file'): VolumeDefinition {
  const bad = (field: string, why: string): never => { throw new InvalidArgument(`${where}: ${field}: ${why}`); };
  if (raw === null || typeof raw !== 'object') return bad('(top)', 'must be an object');
  const d = raw as Partial<VolumeDefinition>;
  if (d.format !== VOLUME_FILE_FORMAT) bad('format', `must be ${VOLUME_FILE_FORMAT}`);
  if (typeof d.id !== 'string' || d.id === '') bad('id', 'must be a non-empty string');
  if (!Number.isSafeInteger(d.replica) || d.replica! < 1) bad('replica', 'must be a positive integer');
  if (!Array.isArray(d.sets) || d.sets.length === 0) bad('sets', 'must list at least one replica set');
  const seen = new Set<string>();
  d.sets!.forEach((s, i) => {
    if (!Array.isArray(s?.bricks) || s.bricks.length !== d.replica) bad(`sets[${i}].bricks`, `must list ${d.replica} bricks`);
    for (const b of s.bricks) {
      if (typeof b !== 'string' || b === '') bad(`sets[${i}].bricks`, 'must be non-empty strings');
      if (seen.has(b)) bad(`sets[${i}].bricks`, `${b} is listed twice`);
      seen.add(b);
    }
    if (s.state !== undefined && s.state !== 'draining') bad(`sets[${i}].state`, 'must be "draining" or absent');
  });
  if (!d.layout || typeof d.layout !== 'object' || !Array.isArray(d.layout.weights)) bad('layout', 'must be a layout');
  if (d.layout!.weights.length !== d.sets!.length) bad('layout.weights', `must have one weight per set (${d.sets!.length})`);
  if (d.revision !== undefined && (!Number.isSafeInteger(d.revision) || d.revision < 0)) bad('revision', 'must be a non-negative integer');
  if (d.previous !== undefined && (typeof d.previous !== 'object' || !Array.isArray(d.previous.weights))) bad('previous', 'must be a layout');
  return d as VolumeDefinition;
}

/** Write the definition atomically: temporary file, fsync, rename over, fsync the directory. */
export function writeVolumeFile(path: string, def: VolumeDefinition): void {
  const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.volume.tmp`);
  const text = `${JSON.stringify({ ...def, updatedAt: new Date().toISOString() }, null, 2)}\n`;
  const fd = openSync(tmp, 'wx', 0o644);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (err) {
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw err;
  }
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/** How long a lock is waited for before giving up. */
const LOCK_WAIT_MS = 15_000;
/** A lock older than this is taken over even if its holder seems alive (pids get reused). */
const LOCK_STALE_MS = 60_000;

export interface UpdateOptions {
  /**
   * Write what `fn` returns with its own revision: a definition adopted from the brick servers is
   * kept exactly as it is everywhere else (bumping it would make it newer than itself).
   */
  asIs?: boolean;
}

/** Whether two definitions differ in anything but when they were written and their revision. */
function changed(before: VolumeDefinition | undefined, after: VolumeDefinition): boolean {
  if (!before) return true;
  const strip = (d: VolumeDefinition): string => canonicalJSON({ ...d, updatedAt: undefined, revision: undefined });
  return strip(before) !== strip(after);
}

/**
 * Read-modify-write under the lock: `fn` gets the current definition (undefined when there is
 * none) and returns the new one, or undefined to change nothing. A changed definition gets the next
 * revision (unless `asIs`). Resolves with what is on disk after.
 */
export async function updateVolumeFile(path: string,
                                       fn: (def: VolumeDefinition | undefined) => VolumeDefinition | undefined | Promise<VolumeDefinition | undefined>,
                                       options: UpdateOptions = {}):
    Promise<VolumeDefinition | undefined> {
  const release = await lock(path);
  try {
    const before = readVolumeFile(path);
    let after = await fn(before);
    if (after === undefined) return before;
    if (!options.asIs) {
      const was = before?.revision ?? 0;
      after = { ...after, revision: changed(before, after) ? was + 1 : was };
    }
    writeVolumeFile(path, checkDefinition(after, path));
    return readVolumeFile(path);
  } finally {
    release();
  }
}

async function lock(path: string): Promise<() => void> {
  const file = `${path}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (let wait = 5; ; wait = Math.min(wait * 2, 200)) {
    try {
      const fd = openSync(file, 'wx', 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => { try { unlinkSync(file); } catch { /* taken over */ } };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (staleLock(file)) {
      try { unlinkSync(file); } catch { /* someone else took it over */ }
      continue;
    }
    if (Date.now() > deadline) throw new InvalidArgument(`${file} is held by another process (remove it if no cairn command is running)`);
    await sleep(wait);
  }
}

function staleLock(file: string): boolean {
  try {
    const st = statSync(file);
    if (Date.now() - st.mtimeMs > LOCK_STALE_MS) return true;
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 && !processAlive(pid);
  } catch {
    return false; // gone already, or unreadable for a moment: try again
  }
}
