/**
 * What state a brick is in, as `/healthcheck`, `cairn volume status`, metrics and the healer see it:
 * one health() call through the Member (bounded by its timeout), turned into "up", "down and why",
 * "read-only" or "full".
 *
 * - No answer, an error, or an answer slower than the call timeout: the Member marks the brick down
 *   (member.ts) and it is skipped until its retry time, then tried again.
 * - Not ok or read-only (an unmounted disk, a filesystem remounted read-only, brick.json gone): marked
 *   down here too, so writes stop trying it (they would fail one by one, each leaving a dirty mark).
 * - Full (free space below min-free-disk): kept *up*, unlike a dead disk. It still serves reads and
 *   still takes tombstones and POSTs (records, no new data), which is how an operator frees space;
 *   `Member.hasRoom` keeps new object data off it, and it is reported as out for writes. (Swift
 *   error-limits a 507 device entirely; GlusterFS's min-free-disk only steers new files away. For a
 *   brick that must take deletes to recover, the GlusterFS behaviour is the useful one.)
 */
import { BrickUnavailable, type StoreError } from './errors.js';
import type { Member } from './member.js';

export interface MemberStatus {
  id: string;
  /** Answering and not marked down. */
  up: boolean;
  readOnly: boolean;
  /** Below min-free-disk: takes no new object data. */
  full: boolean;
  freeBytes?: number;
  totalBytes?: number;
  /** Why the brick is out (down, read-only or full); absent when it is fully in service. */
  detail?: string;
}

/** A one-line description of a store error and its cause (the cause says what really happened). */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? err.cause.message : undefined;
  return cause && !err.message.includes(cause) ? `${err.message}: ${cause}` : err.message;
}

/** Probe one member now (see the module doc for what is marked down). Never rejects. */
export async function probeMember(m: Member, minFreeDiskPercent: number): Promise<MemberStatus> {
  let h;
  try {
    h = await m.call((b) => b.health());
  } catch (err) {
    return { id: m.id, up: false, readOnly: false, full: false, detail: describeError(err) };
  }
  const space = { freeBytes: h.freeBytes, totalBytes: h.totalBytes };
  if (!h.ok || h.readOnly) {
    const why = h.detail ?? (h.readOnly ? 'read-only' : 'not ok');
    m.markDown(new BrickUnavailable(m.id, { cause: new Error(why) }));
    return { id: m.id, up: false, readOnly: h.readOnly, full: false, ...space, detail: why };
  }
  const freePct = h.totalBytes > 0 ? (h.freeBytes / h.totalBytes) * 100 : 100;
  const full = freePct < minFreeDiskPercent;
  if (!m.up) {
    // It answered, but an earlier failure still holds it out until its retry time.
    const why = m.downReason as StoreError | undefined;
    return { id: m.id, up: false, readOnly: false, full, ...space, detail: why ? describeError(why) : 'marked down' };
  }
  if (full) {
    return { id: m.id, up: true, readOnly: false, full, ...space,
      detail: `full: ${freePct.toFixed(1)}% free, below min-free-disk ${minFreeDiskPercent}%` };
  }
  return { id: m.id, up: true, readOnly: false, full: false, ...space };
}
