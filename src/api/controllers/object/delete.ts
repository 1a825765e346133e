/**
 * Object DELETE: writes a tombstone and answers 204 when a live version existed, 404 when none did
 * (Swift writes the tombstone either way). 409 when the stored version is newer than the request.
 *
 * X-If-Delete-At (sent by the object expirer) makes the delete conditional, as Swift's object
 * server checks it before writing anything: a non-integer value is 400 "Bad X-If-Delete-At header
 * value"; no object at all is 404; a value different from the object's X-Delete-At (0 when it has
 * none, or for a deleted object) is 412 "X-If-Delete-At and X-Delete-At do not match"; a match
 * deletes and answers 204, also for an object that has already expired.
 */
import * as E from '../../../storage/errors.js';
import { errorResponse, httpError } from '../../errors.js';
import type { SwiftRequest, SwiftResponse } from '../../http.js';
import type { AppDeps } from '../../pipeline.js';
import { checkAccess, emptyResponse, objectRef, requestTimestamp, type ObjectTarget } from './common.js';

type IfDeleteAt = 'match' | 'mismatch' | 'absent';

/**
 * How X-If-Delete-At compares with the object's X-Delete-At (Swift: `or 0` when it has none; a
 * deleted object has none; an expired object is compared by its expired version).
 *
 * The store hides expired objects (ObjectNotFound without a tombstone timestamp) and cannot show
 * their X-Delete-At, so a value that has already passed is taken to match such an object: that is
 * exactly what the expirer sends, and deleting an object nobody can read changes nothing a client
 * sees. Where Swift could tell "never existed" (404) from "expired, other X-Delete-At" (412), we
 * answer 404 for a value still in the future, and 204 for a never-written object with a past value.
 */
async function compareIfDeleteAt(deps: AppDeps, target: ObjectTarget, wanted: number): Promise<IfDeleteAt> {
  try {
    return ((await deps.store.headObject(objectRef(target))).deleteAt ?? 0) === wanted ? 'match' : 'mismatch';
  } catch (err) {
    if (!(err instanceof E.ObjectNotFound)) throw err;
    if (err.deletedAt !== undefined) return wanted === 0 ? 'match' : 'mismatch';
    return wanted > 0 && wanted <= Date.now() / 1000 ? 'match' : 'absent';
  }
}

export async function deleteObject(req: SwiftRequest, target: ObjectTarget, deps: AppDeps): Promise<SwiftResponse> {
  const access = await checkAccess(req, target, deps, 'write');
  if ('denial' in access) return access.denial;
  if (!access.container) return errorResponse(404);
  const timestamp = requestTimestamp(req);
  const ifDeleteAt = req.headers['x-if-delete-at'];
  let conditional = false;
  if (ifDeleteAt !== undefined) {
    const v = ifDeleteAt.trim();
    if (!/^[+-]?\d+(_\d+)*$/.test(v)) throw httpError(400, 'Bad X-If-Delete-At header value');
    const verdict = await compareIfDeleteAt(deps, target, Number(v.replace(/_/g, '')));
    if (verdict === 'absent') return errorResponse(404);
    if (verdict === 'mismatch') throw httpError(412, 'X-If-Delete-At and X-Delete-At do not match');
    conditional = true;
  }
  const { existed } = await deps.store.deleteObject(objectRef(target), { timestamp });
  // A verified X-If-Delete-At answers 204 even when the object had expired (Swift's "differentiate
  // success from no object at all").
  return existed || conditional ? emptyResponse(204) : errorResponse(404);
}
