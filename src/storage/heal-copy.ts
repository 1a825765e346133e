/**
 * Copy one object version onto one replica that lacks it (the data part of a self-heal):
 * - a tombstone (or linkto), or a version whose data file the sink already holds (a POST-only
 *   change, or a re-stamped split-brain winner): just the record, `putRecord`;
 * - otherwise the data is streamed from a replica holding it into a BrickWriter on the sink
 *   (`pipeline`, never buffered), checked against the record's size and MD5 on the way, and committed
 *   with the source's record. A source whose bytes do not match is skipped and the next one tried.
 * Bricks keep newest-wins, so a copy racing a client write is safe: whichever is older is refused
 * (Conflict), which here means "the sink already holds something newer" and is not a failure.
 */
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DataHandle, ObjectRecord } from './brick/brick.js';
import { BrickUnavailable, ChecksumMismatch, Conflict, fromErrno, InsufficientStorage, SizeMismatch, Timeout } from './errors.js';
import type { Member } from './member.js';
import type { ObjectRef } from './store.js';
import { streamed } from './young-gc.js';

export interface CopyOptions {
  /** A copy that moves no bytes for this long is abandoned (a stalled source or sink). */
  stallMs: number;
}

/** 'copied': the sink now holds the version; 'newer': it already held something newer. */
export type CopyResult = 'copied' | 'newer';

const MD5_RE = /^[0-9a-f]{32}$/;

/**
 * Give `sink` the version `source`. `sinkHas` is the sink's current record (undefined: none);
 * `from` are members holding the version's data, tried in order, under the record `data` (default
 * `source`; a re-stamped split-brain winner names a data file nobody holds yet). Rejects with the
 * sink's error, or with the last source's error when no source could be read.
 */
export async function copyVersion(ref: ObjectRef, source: ObjectRecord, sink: Member, sinkHas: ObjectRecord | undefined,
                                  from: Member[], opts: CopyOptions, data: ObjectRecord = source): Promise<CopyResult> {
  const result = await copyOnce(ref, source, sink, sinkHas, from, opts, data);
  if (result === 'newer') {
    // A refusal means "something newer is stored" only if it is: a brick also refuses to place a data
    // file over another file of that name (another writer's bytes), which leaves the sink without the version.
    const now = await sink.call((b) => b.getRecord(ref));
    if (!now || now.timestamp < source.timestamp) throw new Conflict(now?.timestamp ?? '', source.timestamp);
  }
  return result;
}

async function copyOnce(ref: ObjectRef, source: ObjectRecord, sink: Member, sinkHas: ObjectRecord | undefined,
                        from: Member[], opts: CopyOptions, data: ObjectRecord): Promise<CopyResult> {
  if (source.deleted) return newerIsFine(sink.call((b) => b.putRecord(source)));
  if (sinkHas && !sinkHas.deleted && sinkHas.dataFile === data.dataFile && sinkHas.size === data.size && sinkHas.etag === data.etag) {
    // The sink holds these bytes: a record suffices, after a hard link when the name is new.
    try {
      const linked = data.dataFile === source.dataFile
        || await sink.call((b) => b.linkData(data, ref, source.dataTimestamp), { markDown: false }) === source.dataFile;
      if (linked) return await newerIsFine(sink.call((b) => b.putRecord(source), { markDown: false }));
    } catch {
      // A per-file failure (the data file is missing after all) says nothing about the brick: stream instead.
    }
  }
  let lastErr: unknown = new Error('no replica holds the data');
  for (const m of from) {
    let handle: DataHandle;
    try {
      handle = await m.call((b) => b.openData(data), { markDown: false });
    } catch (err) {
      lastErr = err;
      continue;
    }
    try {
      return await streamTo(ref, source, handle, sink, opts);
    } catch (err) {
      if (!(err instanceof SourceBad)) throw err;
      lastErr = err.cause;
    } finally {
      handle.close();
    }
  }
  throw lastErr;
}

/** A failure of the source replica (read error, wrong bytes): try the next one. */
class SourceBad extends Error {}

async function streamTo(ref: ObjectRef, source: ObjectRecord, handle: DataHandle, sink: Member, opts: CopyOptions): Promise<CopyResult> {
  const writer = await sink.createWriter(ref, source.dataTimestamp);
  const ac = new AbortController();
  const stalled = (): void => ac.abort(new Timeout(`heal copy of ${ref.object} made no progress for ${opts.stallMs} ms`));
  const timer = setTimeout(stalled, opts.stallMs);
  const md5 = createHash('md5');
  let bytes = 0;
  // Which side failed first: pipeline() then destroys every stream with that error, so each errors.
  let first: 'read' | 'write' | undefined;
  const reader = handle.read();
  reader.once('error', () => { first ??= 'read'; });
  writer.stream.once('error', () => { first ??= 'write'; });
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      md5.update(chunk);
      bytes += chunk.length;
      streamed(chunk.length);
      timer.refresh();
      cb(null, chunk);
    },
  });
  try {
    try {
      await pipeline(reader, meter, writer.stream, { signal: ac.signal });
    } catch (err) {
      if (first === 'read') throw new SourceBad('read failed', { cause: err });
      if (ac.signal.aborted) throw ac.signal.reason as Timeout;
      const e = fromErrno(err, sink.id);
      // The sink's stream failed like a dead disk: hold it out as any other failed call would.
      if (e instanceof BrickUnavailable || e instanceof InsufficientStorage) sink.markDown(e);
      throw e;
    }
    const etag = md5.digest('hex');
    if (bytes !== source.size) throw new SourceBad('short', { cause: new SizeMismatch(source.size, bytes) });
    if (MD5_RE.test(source.etag) && etag !== source.etag) {
      throw new SourceBad('corrupt', { cause: new ChecksumMismatch(source.etag, etag) });
    }
    clearTimeout(timer);
    await sink.call(() => writer.commit(source));
    return 'copied';
  } catch (err) {
    // Also after a refused commit: its temporary file is the writer's to remove.
    await writer.abort().catch(() => undefined);
    if (err instanceof Conflict) return 'newer';
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

async function newerIsFine(p: Promise<void>): Promise<CopyResult> {
  try {
    await p;
    return 'copied';
  } catch (err) {
    if (err instanceof Conflict) return 'newer';
    throw err;
  }
}
