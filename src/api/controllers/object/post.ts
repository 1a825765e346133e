/**
 * Object POST (Swift's "fast-POST"): replaces the object's POST-replaceable metadata wholesale
 * (X-Object-Meta-*, transient sysmeta, Content-Disposition, Content-Encoding, X-Object-Manifest,
 * Cache-Control, Content-Language, Expires, X-Robots-Tag: whatever the request does not send is
 * gone), sets or clears X-Delete-At (a POST without X-Delete-At/After removes it), and changes the
 * Content-Type when one is given. System metadata and the data are kept.
 *
 * 202 Accepted with Swift's default body (and the object's X-Object-Sysmeta-* headers); 404 when the object (or container) is missing or expired;
 * 400 for metadata limits and X-Delete-At/After; 409 when the stored version is newer.
 */
import * as E from '../../../storage/errors.js';
import { checkMetadata } from '../../constraints.js';
import { errorResponse } from '../../errors.js';
import type { SwiftRequest, SwiftResponse } from '../../http.js';
import type { AppDeps } from '../../pipeline.js';
import { checkAccess, objectRef, plainText, requestTimestamp, timestampSeconds, type ObjectTarget } from './common.js';
import { deleteAtFromRequest } from './delete-at.js';
import { metadataFromRequest } from './object-headers.js';
import { fromHeader, toHeader } from '../../headers.js';

export async function postObject(req: SwiftRequest, target: ObjectTarget, deps: AppDeps): Promise<SwiftResponse> {
  const access = await checkAccess(req, target, deps, 'write');
  if ('denial' in access) return access.denial;
  if (!access.container) return errorResponse(404);
  plainText(() => checkMetadata(req, 'object', deps.constraints));
  const timestamp = requestTimestamp(req);
  const deleteAt = deleteAtFromRequest(req.headers, timestampSeconds(timestamp));
  const contentType = req.headers['content-type'];
  let sysmeta: Record<string, string> = {};
  try {
    const info = await deps.store.postObject(objectRef(target), {
      timestamp,
      metadata: metadataFromRequest(req.headers),
      ...(contentType ? { contentType: fromHeader(contentType) } : {}),
      deleteAt: deleteAt ?? null,
    });
    sysmeta = sysmetaHeaders(info.systemMetadata);
  } catch (err) {
    if (err instanceof E.ObjectNotFound) return errorResponse(404);
    throw err;
  }
  // Like Swift's object server, the 202 carries the object's sysmeta: middlewares above learn what
  // the POST landed on (symlink answers 307 for a link); the gatekeeper hides it from clients.
  return errorResponse(202, undefined, sysmeta);
}

/** The X-Object-Sysmeta-* items of an object, as response headers. */
function sysmetaHeaders(systemMetadata: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(systemMetadata)) if (k.startsWith('x-object-sysmeta-')) out[k] = toHeader(v);
  return out;
}
