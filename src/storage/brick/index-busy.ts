/**
 * Waiting for a brick index's lock off the event loop.
 *
 * Processes that share a brick (cluster workers, a rebalance, `cairn brick` beside a gateway) each
 * hold a connection to its index, and SQLite lets one write at a time. SQLite's own busy handler
 * waits by sleeping on the calling thread, which for a BrickIndex is the event loop: with two
 * workers writing one brick, every collision stalled all of a worker's requests for 1 ms or more, and
 * two workers wrote fewer objects per second than one. So the connection does not wait
 * (busy_timeout 0 once open) and LocalBrick runs index calls through `retryBusy`, which tries again
 * after a short timer instead. A call that fails with SQLITE_BUSY changed nothing (write
 * transactions take the lock at BEGIN IMMEDIATE), so running it again is safe.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** How long a call keeps trying before the busy error goes to the caller (SQLite's wait was 5 s too). */
export const BUSY_LIMIT_MS = 5000;
/** Longest pause between tries: a write transaction holds the lock for well under a millisecond. */
const MAX_PAUSE_MS = 20;

/** Whether `err` is SQLite's "another connection holds the lock" (SQLITE_BUSY and its extended codes). */
export function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/** `fn()`, tried again after a timer while it fails busy, for at most `limitMs`; its first try runs synchronously. */
export async function retryBusy<T>(fn: () => T, limitMs = BUSY_LIMIT_MS): Promise<T> {
  const start = Date.now();
  for (let pause = 1; ; pause = Math.min(pause * 2, MAX_PAUSE_MS)) {
    try {
      return fn();
    } catch (err) {
      if (!isBusy(err) || Date.now() - start >= limitMs) throw err;
    }
    await sleep(pause);
  }
}
