/** Small helpers shared by the ObjectStore tests. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { compareNames, type ObjectReader, type ObjectStore, type VolumeSpec } from '../../../src/storage/store.js';
import { now } from '../../../src/storage/timestamp.js';
import { openVolume, type Volume, type VolumeOptions } from '../../../src/storage/volume.js';

export const ts = now;

export function md5(data: string | Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

/** A body stream of `data` in chunks of at most 16 KiB (so multi-chunk paths are exercised). */
export function body(data: string | Buffer): Readable {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  const chunks: Buffer[] = [];
  for (let i = 0; i < buf.length; i += 16384) chunks.push(buf.subarray(i, i + 16384));
  return Readable.from(chunks);
}

/** Read a whole object (and close the reader). */
export async function readObject(reader: ObjectReader): Promise<string> {
  try {
    return await text(reader.read());
  } finally {
    reader.close();
  }
}

export async function getText(store: ObjectStore, account: string, container: string, object: string): Promise<string> {
  return readObject(await store.getObject({ account, container, object }));
}

export async function putText(store: ObjectStore, account: string, container: string, object: string, data: string,
                              extra: Partial<Parameters<ObjectStore['putObject']>[2]> = {}) {
  const info = await store.putObject({ account, container, object }, body(data), {
    timestamp: ts(), contentType: 'text/plain', contentLength: Buffer.byteLength(data), ...extra,
  });
  assert.equal(info.size, Buffer.byteLength(data), `stored size of ${object}`);
  assert.equal(info.etag, md5(data), `stored ETag of ${object}`);
  return info;
}

export interface VolumeShape { sets: number; replica: number }

export function shapeName(s: VolumeShape): string { return `${s.sets}x${s.replica}`; }

let volumeSeq = 0;

/** A memory-brick volume of the given shape. */
export async function memoryVolume(shape: VolumeShape, extra: Partial<VolumeSpec> = {}, options: VolumeOptions = {}): Promise<Volume> {
  const n = ++volumeSeq;
  const bricks = Array.from({ length: shape.sets * shape.replica }, (_x, i) => `memory:v${n}-b${i}`);
  const volume = await openVolume({ id: `vol-${n}`, bricks, replica: shape.replica, ...extra }, options);
  assert.equal(volume.sets.length, shape.sets, 'replica sets of the volume');
  return volume;
}

/** A LocalBrick volume in a fresh temp dir; `cleanup` closes it and removes the dir. */
export async function localVolume(shape: VolumeShape, extra: Partial<VolumeSpec> = {}, options: VolumeOptions = {}):
    Promise<{ volume: Volume; dir: string; cleanup: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-vol-'));
  const bricks = Array.from({ length: shape.sets * shape.replica }, (_x, i) => join(dir, `b${i}`));
  const volume = await openVolume({ id: `local-${++volumeSeq}`, bricks, replica: shape.replica, fsync: false, ...extra }, options);
  assert.equal(volume.sets.length, shape.sets, 'replica sets of the volume');
  return {
    volume, dir,
    cleanup: async () => {
      await volume.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Names that differ in UTF-8 vs UTF-16 order, with delimiters, spaces and percent signs. */
export const ODD_NAMES = ['a', 'a/b', 'a/b/c', 'a/c', 'ab', 'b', 'B', 'é', 'éa', 'z', '\u{E000}', '\u{FFFD}x', '😀', '😀/1', '日本', 'x y', 'a%20b', '&+-é"'];

export interface RefQuery { marker?: string; endMarker?: string; prefix?: string; delimiter?: string; limit: number; reverse?: boolean }

/**
 * Swift's listing rules written the slow, obvious way (sort everything, filter, roll up), as the
 * reference the store's merged cursors are checked against. Subdirs are shown as `[subdir]`.
 */
export function referenceList(all: Iterable<string>, q: RefQuery): string[] {
  const sorted = [...all].sort(compareNames);
  if (q.reverse) sorted.reverse();
  const prefix = q.prefix ?? '';
  const out: string[] = [];
  let lastSub: string | undefined;
  for (const n of sorted) {
    if (out.length >= q.limit) break;
    if (q.marker && (q.reverse ? compareNames(n, q.marker) >= 0 : compareNames(n, q.marker) <= 0)) continue;
    if (q.endMarker && (q.reverse ? compareNames(n, q.endMarker) <= 0 : compareNames(n, q.endMarker) >= 0)) continue;
    if (!n.startsWith(prefix)) continue;
    if (q.delimiter) {
      const at = n.indexOf(q.delimiter, prefix.length);
      if (at >= 0) {
        const sub = n.slice(0, at + q.delimiter.length);
        if (sub === lastSub) continue;
        lastSub = sub;
        if (sub !== q.marker) out.push(`[${sub}]`);
        continue;
      }
    }
    out.push(n);
  }
  return out;
}
