/**
 * Steps every object operation shares: find the container and authorize against its ACL (in
 * Swift's order), take the request's timestamp, and answer constraint errors as Swift does.
 */
import type { ContainerSettings, ObjectRef } from '../../../storage/store.js';
import { now, parse as parseTimestamp, type Timestamp } from '../../../storage/timestamp.js';
import { authorize } from '../../authorize.js';
import { httpError, SwiftHttpError } from '../../errors.js';
import type { SwiftRequest, SwiftResponse } from '../../http.js';
import { getContainerInfo } from '../../info-cache.js';
import type { AppDeps } from '../../pipeline.js';

export interface ObjectTarget { account: string; container: string; object: string }

export type Access = { denial: SwiftResponse } | { container: ContainerSettings | undefined };

/**
 * Swift's order for object requests: read the container's info (for its ACL), ask the auth layer
 * (shared `authorize`: skipped for pre-authorized requests), and only then tell the caller whether the container
 * exists (so a stranger gets 401/403, not a 404 that leaks existence). The ACL passed is the
 * container's X-Container-Read for reads and X-Container-Write for writes.
 */
export async function checkAccess(req: SwiftRequest, target: ObjectTarget, deps: AppDeps,
                                  access: 'read' | 'write'): Promise<Access> {
  const container = await getContainerInfo(req, deps.store, target.account, target.container);
  const acl = container?.metadata[access === 'read' ? 'x-container-read' : 'x-container-write'];
  const denial = await authorize(req, {
    account: target.account, container: target.container, object: target.object,
    ...(acl !== undefined ? { acl } : {}),
  });
  return denial ? { denial } : { container };
}

export function objectRef(target: ObjectTarget): ObjectRef {
  return { account: target.account, container: target.container, object: target.object };
}

/**
 * The timestamp of a write: the client's X-Timestamp when given (container sync sends one; Swift's
 * ensure_x_timestamp), else a fresh one. A malformed X-Timestamp is a 400, as in Swift.
 */
export function requestTimestamp(req: SwiftRequest): Timestamp {
  const given = req.headers['x-timestamp'];
  if (given === undefined) return now();
  const ts = parseTimestamp(given);
  if (ts === undefined) {
    throw httpError(400, `X-Timestamp should be a UNIX timestamp float value; was '${given}'`,
      { 'content-type': 'text/plain' });
  }
  return ts;
}

/** Seconds since the epoch of a timestamp (offset ignored). */
export function timestampSeconds(ts: Timestamp): number {
  return Number(ts.slice(0, 16));
}

/**
 * Run a constraint check and re-throw its errors with Content-Type text/plain: Swift's
 * check_object_creation and check_metadata answer with plain-text bodies.
 */
export function plainText<T>(check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof SwiftHttpError && err.body !== undefined) {
      throw httpError(err.status, err.body, { ...err.headers, 'content-type': 'text/plain' });
    }
    throw err;
  }
}

/** An empty-bodied response with Swift's default Content-Type (what swob sends for 201/204/304/412). */
export function emptyResponse(status: number, headers: Record<string, string> = {}): SwiftResponse {
  return { status, headers: { 'content-type': 'text/html; charset=UTF-8', ...headers, 'content-length': '0' }, body: '' };
}
