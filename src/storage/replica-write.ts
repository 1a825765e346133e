/**
 * The streaming object write of a replica set: AFR's write transaction with the body teed once to
 * every replica (DESIGN.md §5, STYLE.md §5.4).
 *
 * 1. Members marked down or short of free space miss the write (and will be blamed).
 * 2. Pre-op: markDirty on the rest; open one BrickWriter on each that took the mark.
 * 3. pump(body → FanOut) (pump.ts: pipeline's semantics, without its per-call cost): every chunk
 *    goes to every writer; the slowest healthy one sets the pace; a writer that errors or stalls for writeTimeoutMs is dropped (and aborted at once) while
 *    quorum holds. MD5 and length are computed on the way.
 * 4. Verify length and ETag; commit on the survivors; post-op settle (clear, or blame who missed it).
 * Every failure before commit aborts every writer (their tmp files go) and clears the dirty marks:
 * nothing becomes visible. Losing quorum *during* commit can leave the version on a minority of
 * replicas, as it can in GlusterFS; the pending marks tell the healer, and newest-wins makes it safe.
 */
import type { Readable } from 'node:stream';
import type { BrickWriter, ObjectRecord } from './brick/brick.js';
import { dataFileName } from './brick/records.js';
import { ChecksumMismatch, ClientDisconnected, Conflict, fromErrno, InsufficientStorage, SizeMismatch, StoreError, SupersededSet } from './errors.js';
import { FanOut } from './fan-out.js';
import { isBrickFailure } from './member.js';
import { pump } from './pump.js';
import { staleAmong, type ReplicaSet } from './replica-set.js';
import type { ObjectRef, Timestamp } from './store.js';

export interface WriteRequest {
  ref: ObjectRef;
  /** The version's timestamp (also its data timestamp). */
  timestamp: Timestamp;
  body: Readable;
  /** Declared length, checked against the bytes received. */
  contentLength?: number;
  /** Hex MD5 the bytes must have. */
  expectedEtag?: string;
  signal?: AbortSignal;
  /** On failure, leave the body undestroyed (PutObjectOptions.keepBody). */
  keepBody?: boolean;
  /** The record to commit, from what was measured. */
  describe(size: number, etag: string, dataFile: string): ObjectRecord;
}

export async function writeObject(set: ReplicaSet, req: WriteRequest): Promise<ObjectRecord> {
  const { ref, timestamp: ts } = req;
  const failed = new Map<number, StoreError>();
  set.assertCurrent(); // a reload replaced the set after the write chose it: run it on the new one

  // 1. Who takes part.
  const room = await Promise.all(set.members.map((m) => (m.up ? m.hasRoom() : Promise.resolve(false))));
  const candidates: number[] = [];
  set.members.forEach((m, i) => {
    if (!m.up) failed.set(i, set.downError(i));
    else if (!room[i]) failed.set(i, m.up ? new InsufficientStorage(`brick ${m.id} is below min-free-disk`) : set.downError(i));
    else candidates.push(i);
  });
  const none = set.quorumError(candidates, failed);
  if (none) throw none;
  // As Swift's object server: refuse a write that is not newer before reading its body. (The bricks
  // check again at commit; this also keeps a refused write from landing on a replica that lacks the
  // newer version, which would leave two contents under one timestamp.)
  const { newest } = await set.lookup(ref);
  if (newest && newest.timestamp >= ts) throw new Conflict(newest.timestamp, ts);

  // 2. Pre-op and writers.
  const marked = await set.markAll(ref, ts, candidates, failed);
  const writers = new Map<number, BrickWriter>();
  await Promise.all(marked.map(async (i) => {
    try {
      const w = await set.members[i]!.createWriter(ref, ts);
      writers.set(i, w);
    } catch (err) {
      failed.set(i, err as StoreError);
    }
  }));
  const order = [...writers.keys()].sort((a, b) => a - b);
  const aborted = new Set<number>();
  const abort = (i: number): Promise<void> => {
    if (aborted.has(i)) return Promise.resolve();
    aborted.add(i);
    const w = writers.get(i)!;
    return set.members[i]!.call(() => w.abort(), { markDown: false }).catch(() => undefined);
  };
  const abortAll = async (): Promise<void> => {
    await Promise.all(order.map(abort));
    await set.settleAll(ref, ts, marked, []);
  };
  // A brick server holding a newer layout refused a pre-op or writer: stop before any byte is read, so
  // the volume can adopt the newer layout and run the write again with the body untouched.
  // The set replaced by a reload while the writers opened: nothing was written yet, so run it again.
  const early = (set.superseded ? new SupersededSet(set.index) : undefined) ?? staleAmong(failed) ?? set.quorumError(order, failed);
  if (early) {
    await abortAll();
    throw early;
  }

  // 3. Stream.
  const drops: Array<Promise<void>> = [];
  const fan = new FanOut({
    targets: order.map((i) => writers.get(i)!.stream),
    check: (alive) => set.quorumError(alive.map((k) => order[k]!), failed),
    onDrop: (k, cause) => {
      const i = order[k]!;
      if (aborted.has(i)) return; // we closed it ourselves
      const m = set.members[i]!;
      const err = fromErrno(cause, m.id);
      if (isBrickFailure(err)) m.markDown(err);
      failed.set(i, err);
      drops.push(abort(i));
    },
    timeoutMs: set.opts.writeTimeoutMs,
    ...(req.contentLength !== undefined ? { expectedSize: req.contentLength } : {}),
  });
  try {
    await pump(req.body, fan, req.signal, req.keepBody);
  } catch (err) {
    // Decide the cause now: aborting the writers below makes their streams close, which the FanOut sees as drops.
    const cause = fan.failure ?? new ClientDisconnected({ cause: err });
    await Promise.all(drops);
    await abortAll();
    throw cause;
  }
  await Promise.all(drops);

  // 4. Verify, commit, settle.
  const size = fan.bytes;
  const etag = fan.etag;
  let mismatch: StoreError | undefined;
  if (req.contentLength !== undefined && size !== req.contentLength) mismatch = new SizeMismatch(req.contentLength, size);
  else if (req.expectedEtag !== undefined && req.expectedEtag.toLowerCase() !== etag) mismatch = new ChecksumMismatch(req.expectedEtag, etag);
  if (mismatch) {
    await abortAll();
    throw mismatch;
  }
  const record = req.describe(size, etag, dataFileName(ref, ts));
  const survivors = fan.survivors.map((k) => order[k]!);
  const ok: number[] = [];
  const conflicts: number[] = [];
  let conflict: Conflict | undefined;
  await Promise.all(survivors.map(async (i) => {
    try {
      await set.members[i]!.call(() => writers.get(i)!.commit(record));
      ok.push(i);
    } catch (err) {
      if (err instanceof Conflict) { conflicts.push(i); conflict ??= err; } else failed.set(i, err as StoreError);
      await abort(i);
    }
  }));
  ok.sort((a, b) => a - b);
  await set.postOp(ref, ts, ok, conflicts);
  if (set.hasQuorum(ok)) return record;
  if (conflict) throw conflict;
  throw set.quorumError(ok, failed)!;
}
