/**
 * Object DELETE: writes a tombstone and answers 204 when a live version existed, 404 when none did
 * (Swift writes the tombstone either way). X-If-Delete-At (sent by the object expirer) makes the
 * delete conditional on the object's current X-Delete-At: a mismatch, or a missing object with a
 * non-zero value, is 412 "X-If-Delete-At and X-Delete-At do not match"; a non-integer value is 400.
 * 409 when the stored version is newer than the request's timestamp.
 */
import * as E from '../../../storage/errors.js';
import { errorResponse, httpError } from '../../errors.js';
import type { SwiftRequest, SwiftResponse } from '../../http.js';
import type { AppDeps } from '../../pipeline.js';
import { checkAccess, emptyResponse, objectRef, requestTimestamp, type ObjectTarget } from './common.js';

/** The object's current X-Delete-At, 0 when it has none or does not exist (Swift's `or 0`). */
async function currentDeleteAt(deps: AppDeps, target: ObjectTarget): Promise<number> {
  try {
    return (await deps.store.headObject(objectRef(target))).deleteAt ?? 0;
  } catch (err) {
    if (err instanceof E.ObjectNotFound) return 0;
    throw err;
  }
}

export async function deleteObject(req: SwiftRequest, target: ObjectTarget, deps: AppDeps): Promise<SwiftResponse> {
  const access = await checkAccess(req, target, deps, 'write');
  if ('denial' in access) return access.denial;
  if (!access.container) return errorResponse(404);
  const timestamp = requestTimestamp(req);
  const ifDeleteAt = req.headers['x-if-delete-at'];
  if (ifDeleteAt !== undefined) {
    const v = ifDeleteAt.trim();
    if (!/^[+-]?\d+(_\d+)*$/.test(v)) throw httpError(400, 'Bad X-If-Delete-At header value');
    if (Number(v.replace(/_/g, '')) !== await currentDeleteAt(deps, target)) {
      throw httpError(412, 'X-If-Delete-At and X-Delete-At do not match');
    }
  }
  const { existed } = await deps.store.deleteObject(objectRef(target), { timestamp });
  return existed ? emptyResponse(204) : errorResponse(404);
}
