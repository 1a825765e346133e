/**
 * Object PUT, as Swift's proxy (ObjectController.PUT) and object server answer it:
 *
 *   400 If-None-Match other than '*' ("If-None-Match only supports *", before anything else)
 *   401/403 from the auth layer, 404 when the container does not exist
 *   411/413/400/501 from check_object_creation (plain-text bodies), 400 for X-Delete-At/After,
 *       metadata limits, a swift_* Content-Type parameter or a bad X-Timestamp
 *   412 If-None-Match: * and the object exists
 *   202 when the stored version is newer than this request's timestamp (Swift turns the object
 *       servers' 409 into 202 Accepted)
 *   413 a chunked body running past max_file_size; 422 ETag mismatch; 499 client gone or short body
 *   201 Created: Etag (unquoted), Last-Modified (request timestamp rounded up), Content-Length: 0
 *
 * The body streams straight from the request into store.putObject; in every error case the store
 * keeps nothing.
 */
import * as E from '../../../storage/errors.js';
import { toHttpDate } from '../../../storage/timestamp.js';
import { checkMetadata, checkObjectCreation } from '../../constraints.js';
import { errorResponse, httpError } from '../../errors.js';
import type { SwiftRequest, SwiftResponse } from '../../http.js';
import type { AppDeps } from '../../pipeline.js';
import { checkAccess, emptyResponse, objectRef, plainText, requestTimestamp, timestampSeconds,
         type ObjectTarget } from './common.js';
import { normalizeEtag, parseMatch } from './conditional.js';
import { contentTypeForPut } from './content-type.js';
import { deleteAtFromRequest } from './delete-at.js';
import { metadataFromRequest, systemMetadataFromRequest } from './object-headers.js';
import { fromHeader } from '../../headers.js';
import { copyPut, copySource, listingOverride } from './internal.js';
import { limitBody } from './upload-body.js';
import { isContentTypeOverridden } from '../../middleware/common/content-type-override.js';

/** Swift's check_content_type: the swift_* parameters are reserved for Swift's own use. */
function checkContentTypeParams(contentType: string): void {
  for (const param of contentType.split(';').slice(1)) {
    if (param.trim().toLowerCase().startsWith('swift_')) {
      throw httpError(400, 'Invalid Content-Type, swift_* is not a valid parameter name.');
    }
  }
}

/** The ETag the client promised, normalized (quotes off, lower case), or undefined. */
function expectedEtag(req: SwiftRequest): string | undefined {
  const raw = req.headers['etag'];
  if (!raw) return undefined;
  const etag = normalizeEtag(raw.trim()).toLowerCase();
  return etag || undefined;
}

export async function putObject(req: SwiftRequest, target: ObjectTarget, deps: AppDeps): Promise<SwiftResponse> {
  const ifNoneMatch = parseMatch(req.headers['if-none-match']);
  if (ifNoneMatch && !ifNoneMatch.has('*')) {
    throw httpError(400, 'If-None-Match only supports *', { 'content-type': 'text/plain' });
  }
  const access = await checkAccess(req, target, deps, 'write');
  if ('denial' in access) return access.denial;
  if (!access.container) return errorResponse(404);

  const rawContentType = contentTypeForPut(req.headers, target.object);
  const timestamp = requestTimestamp(req);
  const { length } = plainText(() => checkObjectCreation(req, target.object, deps.constraints));
  const deleteAt = deleteAtFromRequest(req.headers, timestampSeconds(timestamp));
  plainText(() => checkMetadata(req, 'object', deps.constraints));
  // A middleware that set Swift's own parameters (versioning's delete markers) is trusted with them.
  if (!isContentTypeOverridden(req)) checkContentTypeParams(rawContentType);
  const contentType = fromHeader(rawContentType);

  const ref = objectRef(target);
  if (ifNoneMatch) {
    // Swift asks the object servers before sending the body; any existing version fails the PUT.
    const exists = await deps.store.headObject(ref).then(() => true, (err: unknown) => {
      if (err instanceof E.ObjectNotFound) return false;
      throw err;
    });
    if (exists) return errorResponse(412);
  }

  // A server-side copy asked for by the copy middleware: no body, the store copies (internal.ts).
  const copyFrom = copySource(req.headers);
  if (copyFrom) {
    const etag = expectedEtag(req);
    return copyPut(copyFrom, ref, deps, {
      timestamp, contentType, metadata: metadataFromRequest(req.headers), systemMetadata: systemMetadataFromRequest(req.headers),
      ...(deleteAt !== undefined ? { deleteAt } : {}), ...listingOverride(req.headers), ...(etag !== undefined ? { expectedEtag: etag } : {}),
    });
  }

  const body = limitBody(req.body, deps.constraints.max_file_size, length);
  const etag = expectedEtag(req);
  try {
    const info = await deps.store.putObject(ref, body.stream, {
      timestamp,
      contentType,
      ...(length !== undefined ? { contentLength: length } : {}),
      ...(etag !== undefined ? { expectedEtag: etag } : {}),
      metadata: metadataFromRequest(req.headers),
      systemMetadata: systemMetadataFromRequest(req.headers),
      ...(deleteAt !== undefined ? { deleteAt } : {}),
      ...listingOverride(req.headers),
      signal: req.ctx.signal,
      keepBody: body.keepBody,
    });
    return emptyResponse(201, { etag: info.etag, 'last-modified': toHttpDate(timestamp) });
  } catch (err) {
    if (body.tooLarge) return errorResponse(413);
    if (req.ctx.signal.aborted || err instanceof E.ClientDisconnected || err instanceof E.SizeMismatch) {
      req.ctx.log.info({ bytes: body.bytes, expected: length, err: (err as Error).message },
        'object PUT: client disconnected before sending the whole body; nothing stored');
      return errorResponse(499);
    }
    if (err instanceof E.Conflict) return errorResponse(202);
    throw err;
  } finally {
    body.release();
  }
}
