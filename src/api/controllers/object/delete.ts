/**
 * Object DELETE: writes a tombstone and answers 204 when a live version existed, 404 when none did
 * (Swift writes the tombstone either way). X-If-Delete-At (sent by the object expirer) makes the
 * delete conditional on the object's current X-Delete-At: a mismatch, or a missing object with a
 * non-zero value, is 412 "X-If-Delete-At and X-Delete-At do not match"; a non-integer value is 400;
 * an expired object is deleted with 404, as Swift's object server answers (see ifDeleteAtMatches).
 * 409 when the stored version is newer than the request's timestamp.
 */
import * as E from '../../../storage/errors.js';
import { errorResponse, httpError } from '../../errors.js';
import type { SwiftRequest, SwiftResponse } from '../../http.js';
import type { AppDeps } from '../../pipeline.js';
import { checkAccess, emptyResponse, objectRef, requestTimestamp, type ObjectTarget } from './common.js';

/**
 * Whether X-If-Delete-At matches the object's X-Delete-At (Swift compares with the stored value,
 * `or 0` when the object has none or does not exist; for an expired object, with the expired
 * version's value).
 *
 * The store hides expired objects (ObjectNotFound without a tombstone timestamp) and cannot show
 * their X-Delete-At, so a value that has already passed is taken to match such an object: that is
 * what the object expirer sends, and deleting an object nobody can read any more changes nothing a
 * client can see. The one divergence from Swift: a never-written object with a past X-If-Delete-At
 * gets 404 instead of 412.
 */
async function ifDeleteAtMatches(deps: AppDeps, target: ObjectTarget, wanted: number): Promise<boolean> {
  try {
    return ((await deps.store.headObject(objectRef(target))).deleteAt ?? 0) === wanted;
  } catch (err) {
    if (!(err instanceof E.ObjectNotFound)) throw err;
    if (err.deletedAt !== undefined) return wanted === 0;
    return wanted === 0 || wanted <= Date.now() / 1000;
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
    if (!await ifDeleteAtMatches(deps, target, Number(v.replace(/_/g, '')))) {
      throw httpError(412, 'X-If-Delete-At and X-Delete-At do not match');
    }
  }
  const { existed } = await deps.store.deleteObject(objectRef(target), { timestamp });
  return existed ? emptyResponse(204) : errorResponse(404);
}
