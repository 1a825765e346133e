/**
 * brick.json: a LocalBrick's identity (id, volume id, format version), written once when the brick is
 * created and checked at every open, so a directory of another volume (or another brick, or a newer
 * format) is never served, as GlusterFS checks a brick's volume-id xattr.
 */
import { randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { BrickUnavailable } from '../errors.js';
import { BRICK_JSON, DATA_DIR, INDEX_DB, fsyncDir } from './local-files.js';

export const FORMAT_VERSION = 1;

/** What brick.json holds. */
export interface BrickIdentity { id: string; volumeId: string; formatVersion: number; createdAt: string }

/** The directory is another volume's brick, another brick, or of a newer format: never served. */
export class BrickIdentityMismatch extends BrickUnavailable {
  constructor(brickId: string, readonly detail: string) {
    super(brickId);
    this.message = `brick ${brickId} refused: ${detail}`;
  }
}

/** Read `<root>/brick.json` and check it belongs to `want`, or write it if the brick is new. */
export async function establishIdentity(root: string, want: { id?: string; volumeId: string; fsync: boolean },
                                        retried = false): Promise<BrickIdentity> {
  const file = path.join(root, BRICK_JSON);
  const label = want.id ?? path.basename(root);
  let text: string | undefined;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text === undefined) {
    const existing = await fsp.readdir(root);
    if (existing.includes(INDEX_DB) || existing.includes(DATA_DIR)) {
      // Another process (a cluster worker) may have created the brick since we looked: brick.json
      // comes first, data/ and the index after it. Then it is theirs to read.
      if (retried || !existing.includes(BRICK_JSON)) throw new BrickIdentityMismatch(label, `${root} holds brick data but no ${BRICK_JSON}`);
      return establishIdentity(root, want, true);
    }
    const identity: BrickIdentity = {
      id: want.id ?? randomUUID(), volumeId: want.volumeId, formatVersion: FORMAT_VERSION, createdAt: new Date().toISOString(),
    };
    try {
      await writeOnce(root, file, JSON.stringify(identity, null, 2) + '\n', want.fsync);
    } catch (err) {
      // Another process created it first: every process must serve the brick under that one identity.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || retried) throw err;
      return establishIdentity(root, want, true);
    }
    return identity;
  }
  let identity: BrickIdentity;
  try {
    identity = JSON.parse(text) as BrickIdentity;
  } catch (err) {
    throw new BrickIdentityMismatch(label, `${file} is not valid JSON (${(err as Error).message})`);
  }
  if (identity.volumeId !== want.volumeId) {
    throw new BrickIdentityMismatch(label,
      `${root} belongs to volume ${JSON.stringify(identity.volumeId)}, not ${JSON.stringify(want.volumeId)}`);
  }
  if (want.id !== undefined && identity.id !== want.id) {
    throw new BrickIdentityMismatch(label, `${root} is brick ${JSON.stringify(identity.id)}, not ${JSON.stringify(want.id)}`);
  }
  if (!(identity.formatVersion <= FORMAT_VERSION)) {
    throw new BrickIdentityMismatch(label, `${root} has format ${identity.formatVersion}; this code knows ${FORMAT_VERSION}`);
  }
  return identity;
}

/** Create `file` atomically and durably; fails (EEXIST) if another process created it meanwhile. */
async function writeOnce(root: string, file: string, text: string, fsync: boolean): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomUUID()}`;
  const fh = await fsp.open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(text);
    if (fsync) await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await fsp.link(tmp, file); // unlike rename, never replaces a brick.json another process wrote
  } finally {
    await fsp.unlink(tmp).catch(() => undefined);
  }
  if (fsync) await fsyncDir(root);
}
