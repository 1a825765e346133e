/**
 * File-system helpers of LocalBrick: the brick's own paths, directory fsync, temporary file names
 * and the walk over data files. Every path is built from brick-relative names that the brick made
 * itself (hex hashes, normal-form timestamps), and `inside` refuses anything that would resolve
 * outside the brick directory, so no client input can reach another file.
 */
import { randomUUID } from 'node:crypto';
import { promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';

export const DATA_DIR = 'data';
export const TMP_DIR = 'tmp';
export const BRICK_JSON = 'brick.json';
export const INDEX_DB = 'index.db';

/** `data/<aa>/<bb>/<64 hex>.<timestamp>.data`, as records.dataFileName makes them. */
const DATA_FILE_RE = /^data\/[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{64}\.\d{10}\.\d{5}(_[0-9a-f]{16})?\.data$/;

export function isDataFileName(rel: string): boolean { return DATA_FILE_RE.test(rel); }

/** Absolute path of a brick-relative name; throws if it would leave the brick (defence in depth). */
export function inside(root: string, rel: string): string {
  const abs = path.resolve(root, rel);
  if (!abs.startsWith(root + path.sep)) throw new Error(`path escapes the brick: ${JSON.stringify(rel)}`);
  return abs;
}

/** Codes some file systems answer an fsync of a directory with: there is nothing more to do on those. */
const NO_DIR_FSYNC = new Set(['EISDIR', 'EINVAL', 'EPERM', 'ENOTSUP']);

async function fsyncByName(p: string, directory: boolean): Promise<void> {
  const fh = await fsp.open(p, 'r');
  try {
    await fh.sync();
  } catch (err) {
    if (!directory || !NO_DIR_FSYNC.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
  } finally {
    await fh.close();
  }
}

/** fsync a file by its name (one this process did not write, such as another writer's identical data file). */
export function fsyncFile(file: string): Promise<void> { return fsyncByName(file, false); }

/** fsync a directory so a rename or create in it is durable (where the file system can). */
export function fsyncDir(dir: string): Promise<void> { return fsyncByName(dir, true); }

/**
 * Which `data/<aa>/<bb>` directories are known to exist: one bit per directory (the 65,536 of them
 * fit in 8 KiB), keyed by the four hex digits of a data file name. Once a directory is known, writes
 * into it skip the mkdir (and its stat) on the threadpool. Directories are never removed by the brick;
 * if one is removed behind its back, the write that finds it missing forgets it and makes it again.
 */
export class DataDirs {
  private readonly bits = new Uint8Array(65536 / 8);

  private static slot(dataFile: string): number | undefined {
    // `data/aa/bb/...`: the only shape data file names have (records.dataFileName).
    const n = Number.parseInt(dataFile.slice(5, 7) + dataFile.slice(8, 10), 16);
    return dataFile.startsWith(`${DATA_DIR}/`) && Number.isInteger(n) && n >= 0 && n < 65536 ? n : undefined;
  }

  has(dataFile: string): boolean {
    const n = DataDirs.slot(dataFile);
    return n !== undefined && (this.bits[n >> 3]! & (1 << (n & 7))) !== 0;
  }

  add(dataFile: string): void {
    const n = DataDirs.slot(dataFile);
    if (n !== undefined) this.bits[n >> 3]! |= 1 << (n & 7);
  }

  forget(dataFile: string): void {
    const n = DataDirs.slot(dataFile);
    if (n !== undefined) this.bits[n >> 3]! &= ~(1 << (n & 7));
  }
}

/**
 * mkdir -p `dir`; returns the directories whose entry lists changed (the parent of each created
 * directory, deepest first): what must be fsynced for the new path to survive a crash.
 */
export async function makeDirs(dir: string): Promise<string[]> {
  const first = await fsp.mkdir(dir, { recursive: true });
  return first === undefined ? [] : parentsToSync(dir, first);
}

/** The parents of `dir` up to and including the parent of `first` (the top directory mkdir -p created). */
export function parentsToSync(dir: string, first: string): string[] {
  const out: string[] = [];
  for (let d = dir; ; d = path.dirname(d)) {
    out.push(path.dirname(d));
    if (d === first || path.dirname(d) === d) return out;
  }
}

/** fsync each of `dirs`, in order. */
export async function fsyncDirs(dirs: readonly string[]): Promise<void> {
  for (const d of dirs) await fsyncDir(d);
}

/**
 * A temporary file name in tmp/: `<pid>.<uuid>.<kind>`. The pid lets a brick opened by several
 * processes (node cluster workers) leave the in-flight files of the others alone when sweeping.
 */
export function tmpName(kind: 'tmp' | 'link'): string {
  return `${TMP_DIR}/${process.pid}.${randomUUID()}.${kind}`;
}

/** The pid that owns a tmp/ entry, or undefined for names this code did not make. */
export function tmpOwner(entry: string): number | undefined {
  const m = /^(\d+)\.[0-9a-f-]{36}\.(tmp|link)$/.exec(entry);
  return m ? Number(m[1]) : undefined;
}

/**
 * Whether process `pid` is alive (EPERM means it exists but belongs to someone else). A zombie is not:
 * it has exited and only waits to be collected, which for a killed cluster worker (reparented to a
 * PID 1 that reaps lazily, as in many containers) can outlast the restart whose sweep looks at it.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !hasExited(pid);
}

/** Whether /proc says `pid` has exited (state Z or X); false where there is no /proc to ask. */
function hasExited(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  // "pid (comm) S …": comm may hold spaces and parentheses; the state follows the last ')'.
  const state = stat.charAt(stat.lastIndexOf(')') + 2);
  return state === 'Z' || state === 'X';
}

/** Every file under data/ (two directory levels), as brick-relative names; streams the directory walk. */
export async function* walkData(root: string): AsyncGenerator<string> {
  for (const a of await listDir(path.join(root, DATA_DIR))) {
    for (const b of await listDir(path.join(root, DATA_DIR, a))) {
      const dir = await fsp.opendir(path.join(root, DATA_DIR, a, b)).catch(() => undefined);
      if (!dir) continue;
      for await (const e of dir) yield `${DATA_DIR}/${a}/${b}/${e.name}`;
    }
  }
}

/** Sub-directory names of `dir` (the fan-out levels hold at most 256 entries each). */
async function listDir(dir: string): Promise<string[]> {
  const entries = await fsp.readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory()).map((e) => e.name);
}
