/**
 * Single flight for account and container record reads (catalog.ts): concurrent reads of the same
 * record share one read of every brick, as long as nothing this process does could have changed the
 * record since that read started.
 *
 * The rule: a read may join an in-flight read of the same key only if no record change (a merge
 * through the catalog, a heal writing records, a swap of the replica sets) started or finished in
 * this process since the in-flight read started. Every such change bumps one process-wide counter
 * at its start and at its end, and a read remembers the counter's value when it starts. So a request
 * that begins after a change completed in this process never sees the state before it.
 *
 * Across processes (other workers, other gateways): a change another process completes while a read
 * is in flight can be missed by the requests that join that read — a window of one read, far
 * narrower than Swift's own container-info cache (60 s in memcache).
 *
 * Errors are shared by the reads that joined, never kept: the next read starts afresh. Results are
 * shared objects, typed Shared so no caller can change one.
 */

import type { TimestampedMetadata } from './brick/brick.js';
import type { Timestamp } from './timestamp.js';

let changes = 0;

/** Call at the start and at the end of anything that changes account/container records. */
export function noteRecordChange(): void {
  changes++;
}

/** The count of record change starts and ends so far: unchanged means nothing changed records here. */
export function recordChangesSoFar(): number {
  return changes;
}

/** Run `change`, noting a record change at its start and at its end (also when it fails). */
export async function recordChange<T>(change: () => Promise<T>): Promise<T> {
  noteRecordChange();
  try {
    return await change();
  } finally {
    noteRecordChange();
  }
}

interface Flight<T> { startedAt: number; promise: Promise<T> }

export class RecordFlights<T> {
  private readonly inflight = new Map<string, Flight<T>>();

  /** `read()` for `key`, or the in-flight read of `key` if it may be joined (see the module doc). */
  run(key: string, read: () => Promise<T>): Promise<T> {
    const current = this.inflight.get(key);
    if (current && current.startedAt === changes) return current.promise;
    const flight: Flight<T> = { startedAt: changes, promise: read() };
    this.inflight.set(key, flight);
    // Registered before any caller's reaction, so the flight is gone by the time a caller sees the
    // outcome: a read started after a failure (or a result) was seen starts afresh.
    const land = (): void => { if (this.inflight.get(key) === flight) this.inflight.delete(key); };
    flight.promise.then(land, land);
    return flight.promise;
  }

  /** How many reads are in flight (for tests). */
  get size(): number { return this.inflight.size; }
}

/** Metadata of a Shared record: neither the map nor its [value, timestamp] pairs may change. */
export type SharedMetadata = { readonly [key: string]: readonly [value: string, timestamp: Timestamp] };

/**
 * A record as single-flight reads hand it out: possibly the same object other requests got, so the
 * type allows no change to it (spread it into a new record to change anything). A type, not
 * Object.freeze: freezing cost 2-3 µs per read, more than the lookup it shares.
 */
export type Shared<R extends { metadata: TimestampedMetadata }> = {
  readonly [K in keyof R]: K extends 'metadata' ? SharedMetadata : R[K];
};
