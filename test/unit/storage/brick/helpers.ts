/** Small helpers shared by the brick tests: timestamps, records, writing and reading bodies. */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Brick, DataHandle, ObjectRecord } from '../../../../src/storage/brick/brick.js';
import type { ByteRange, ObjectRef } from '../../../../src/storage/store.js';

/** The n-th test timestamp (n < 100000), in normal form so it sorts in time order. */
export function ts(n: number): string {
  assert.ok(Number.isInteger(n) && n >= 0 && n < 100000, `test timestamp index ${n} out of range`);
  return `1700000000.${String(n).padStart(5, '0')}`;
}

export function ref(object: string, container = 'c', account = 'AUTH_test'): ObjectRef {
  return { account, container, object };
}

export function record(r: ObjectRef, timestamp: string, extra: Partial<ObjectRecord> = {}): ObjectRecord {
  return {
    account: r.account, container: r.container, name: r.object,
    timestamp, dataTimestamp: timestamp, deleted: false,
    size: 0, etag: 'd41d8cd98f00b204e9800998ecf8427e', contentType: 'application/octet-stream',
    metadata: {}, systemMetadata: {},
    ...extra,
  };
}

export function tombstone(r: ObjectRef, timestamp: string): ObjectRecord {
  return record(r, timestamp, { deleted: true, size: 0, etag: '' });
}

/** Write `body` as version `timestamp` of `r` and commit it; resolves with the stored record. */
export async function put(brick: Brick, r: ObjectRef, timestamp: string, body: Buffer | string,
                          extra: Partial<ObjectRecord> = {}): Promise<ObjectRecord> {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const w = await brick.createWriter(r, timestamp);
  try {
    await pipeline(Readable.from(chunks(bytes)), w.stream);
    assert.ok(w.dataFile, 'a writer names its data file');
    const rec = record(r, timestamp, { size: bytes.length, dataFile: w.dataFile, ...extra });
    await w.commit(rec);
    return rec;
  } catch (err) {
    await w.abort().catch(() => undefined);
    throw err;
  }
}

/** Split a body into 16 KiB chunks so writers see several writes. */
function* chunks(b: Buffer): Generator<Buffer> {
  for (let i = 0; i < b.length; i += 16384) yield b.subarray(i, i + 16384);
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer); // fine in tests: bodies are small
  return Buffer.concat(parts);
}

export async function readData(brick: Brick, rec: ObjectRecord, range?: ByteRange): Promise<Buffer> {
  const h: DataHandle = await brick.openData(rec);
  try {
    const data = await readAll(h.read(range));
    // A short or long read must fail here, not pass as a different body.
    assert.equal(data.length, range ? range.end - range.start + 1 : rec.size, 'bytes read');
    return data;
  } finally { h.close(); }
}

/** Deterministic pseudo-random bytes. */
export function bytes(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n);
  let x = seed * 2654435761 >>> 0;
  for (let i = 0; i < n; i++) { x = (x * 1103515245 + 12345) >>> 0; b[i] = x >>> 24; }
  return b;
}
