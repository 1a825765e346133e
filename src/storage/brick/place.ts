/**
 * Putting a finished temporary file in place under its data file name without ever replacing a file
 * that is already there.
 *
 * A data file's name is fixed by (object name, timestamp), so two writers only meet on one name when
 * they write one object with the same timestamp: two processes sharing the brick (`--workers`), whose
 * clocks agreed to 10 µs. A rename would let the second writer's bytes replace the first's under the
 * row the first commits (a record naming data that is not its own). A hard link instead fails when the
 * name is taken, and the taken name is kept: same bytes (a heal meeting an orphan of the version it
 * copies) are used as they are; different bytes mean another writer of that timestamp, and this one
 * loses, as the index's newest-wins rule has equal timestamps lose.
 */
import { promises as fsp } from 'node:fs';

export type Placement = 'placed' | 'same' | 'taken';

/** Codes for "this filesystem cannot hard-link here": then rename, the in-process lock being all there is. */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EMLINK']);

/**
 * Move `tmp` to `dest` unless `dest` exists. 'placed': it is there now; 'same': `dest` already held
 * identical bytes (tmp is removed); 'taken': `dest` holds other bytes (tmp is left for the caller).
 */
export async function placeNoClobber(tmp: string, dest: string): Promise<Placement> {
  try {
    await fsp.link(tmp, dest);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (NO_LINKS.has(code)) {
      await fsp.rename(tmp, dest);
      return 'placed';
    }
    if (code !== 'EEXIST') throw err;
    if (!await sameContent(tmp, dest)) return 'taken';
    await fsp.unlink(tmp);
    return 'same';
  }
  await fsp.unlink(tmp);
  return 'placed';
}

const CHUNK = 1 << 20;

/** Whether two files hold the same bytes (a missing file holds none). */
export async function sameContent(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([fsp.stat(a).catch(() => undefined), fsp.stat(b).catch(() => undefined)]);
  if (!sa || !sb || sa.size !== sb.size) return false;
  const [fa, fb] = await Promise.all([fsp.open(a, 'r'), fsp.open(b, 'r')]);
  try {
    const ba = Buffer.allocUnsafe(CHUNK);
    const bb = Buffer.allocUnsafe(CHUNK);
    for (let pos = 0; pos < sa.size; pos += CHUNK) {
      const len = Math.min(CHUNK, sa.size - pos);
      const [ra, rb] = await Promise.all([fa.read(ba, 0, len, pos), fb.read(bb, 0, len, pos)]);
      if (ra.bytesRead !== len || rb.bytesRead !== len || !ba.subarray(0, len).equals(bb.subarray(0, len))) return false;
    }
    return true;
  } finally {
    await Promise.all([fa.close(), fb.close()]);
  }
}
