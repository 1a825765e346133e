/**
 * The object expirer (Swift's swift-object-expirer): objects whose X-Delete-At has passed are
 * deleted through the API pipeline, like Swift's expirer does through its internal client, so every
 * middleware and controller rule applies. Each delete is a pre-authorized DELETE carrying
 * X-If-Delete-At, so an object that was overwritten or given a new X-Delete-At since it was listed
 * is left alone (412).
 *
 * `runExpiryPass` does one bounded pass (the `cairn expire` CLI command); `startExpirer` runs passes
 * in the background every `intervalMs`, at most `tasksPerSecond` deletes a second.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { ObjectStore } from '../storage/store.js';
import { createContext } from './context.js';
import { emptyBody, encodePath, parseQuery, type Handler, type SwiftRequest } from './http.js';

export interface ExpirerDeps {
  store: ObjectStore;
  logger: Logger;
}

export interface ExpiryPassOptions {
  /** At most this many objects per pass (default 1000). */
  limit?: number;
  /** Unix seconds treated as now (default: the clock). */
  now?: number;
  /** Deletes per second, at most (Swift's tasks_per_second, default 50; 0 = unlimited). */
  tasksPerSecond?: number;
  /** Deletes in flight at once (default 1). */
  concurrency?: number;
  signal?: AbortSignal;
}

export interface ExpiryPassResult {
  /** Expired objects listed by the store. */
  found: number;
  /** Deleted now (2xx). */
  deleted: number;
  /** Already gone (404). */
  notFound: number;
  /** Changed since listing: a new X-Delete-At or a new version (412); left alone. */
  skipped: number;
  /** Any other answer; tried again next pass. */
  failed: number;
}

export interface ExpirerOptions extends ExpiryPassOptions {
  /** Pause between passes (default 300000 ms, Swift's interval of 300 s). */
  intervalMs?: number;
}

function txnId(): string {
  return `tx${randomBytes(11).toString('hex').slice(0, 21)}-${Math.floor(Date.now() / 1000).toString(16).padStart(10, '0')}`;
}

/** A pre-authorized DELETE request made from nothing (no client behind it). */
function deleteRequest(deps: ExpirerDeps, path: string, deleteAt: number, signal: AbortSignal): SwiftRequest {
  const id = txnId();
  const ctx = createContext({ txnId: id, log: deps.logger.child({ txn: id }), signal });
  ctx.preAuthorized = true;
  ctx.source = 'EX';
  return {
    method: 'DELETE', rawPath: encodePath(path), path, pathIsUtf8: true, rawQuery: '', query: parseQuery(''),
    headers: { 'x-if-delete-at': String(deleteAt), 'user-agent': 'object-expirer', 'content-length': '0' },
    body: emptyBody(), ctx,
  };
}

export async function runExpiryPass(handler: Handler, deps: ExpirerDeps,
                                    opts: ExpiryPassOptions = {}): Promise<ExpiryPassResult> {
  const now = opts.now ?? Date.now() / 1000;
  const limit = opts.limit ?? 1000;
  const rate = opts.tasksPerSecond ?? 50;
  const signal = opts.signal ?? new AbortController().signal;
  const result: ExpiryPassResult = { found: 0, deleted: 0, notFound: 0, skipped: 0, failed: 0 };
  const expired = await deps.store.listExpired(Math.floor(now), limit);
  result.found = expired.length;
  const started = Date.now();
  let issued = 0;
  let i = 0;
  const worker = async (): Promise<void> => {
    while (i < expired.length && !signal.aborted) {
      const info = expired[i++]!;
      if (rate > 0) {
        // Pace against the pass's start: the n-th delete is not issued before n/rate seconds.
        const due = started + (issued * 1000) / rate;
        issued += 1;
        const wait = due - Date.now();
        if (wait > 0) await sleep(wait, undefined, { signal }).catch(() => undefined);
        if (signal.aborted) return;
      }
      const path = `/v1/${info.account}/${info.container}/${info.object}`;
      try {
        const res = await handler(deleteRequest(deps, path, info.deleteAt ?? 0, signal));
        const body = res.body;
        if (body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body)) body.destroy();
        if (res.status >= 200 && res.status < 300) result.deleted += 1;
        else if (res.status === 404) result.notFound += 1;
        else if (res.status === 412) result.skipped += 1;
        else {
          result.failed += 1;
          deps.logger.warn({ path, status: res.status }, 'expirer: delete failed');
        }
      } catch (err) {
        result.failed += 1;
        deps.logger.error({ err, path }, 'expirer: delete threw');
      }
    }
  };
  const n = Math.max(1, Math.min(opts.concurrency ?? 1, expired.length || 1));
  await Promise.all(Array.from({ length: n }, worker));
  return result;
}

/** Run passes in the background until `stop()`, which resolves once the pass under way has ended. */
export function startExpirer(handler: Handler, deps: ExpirerDeps, opts: ExpirerOptions = {}): { stop(): Promise<void> } {
  const interval = opts.intervalMs ?? 300_000;
  const abort = new AbortController();
  const loop = (async () => {
    while (!abort.signal.aborted) {
      try {
        const r = await runExpiryPass(handler, deps, { ...opts, signal: abort.signal });
        if (r.found) deps.logger.info(r, 'expirer pass');
      } catch (err) {
        deps.logger.error({ err }, 'expirer pass failed');
      }
      await sleep(interval, undefined, { signal: abort.signal, ref: false }).catch(() => undefined);
    }
  })();
  return {
    async stop() {
      abort.abort();
      await loop;
    },
  };
}
