/**
 * The object controller (Swift's proxy ObjectController): the bottom of the pipeline for
 * /v1/<account>/<container>/<object> paths. The proxy app has already split and validated the path
 * (UTF-8, no NUL, account/container names); this module checks everything else and talks to the
 * store.
 *
 * Contract for middlewares built on top (SLO, DLO, copy, versioning, symlink ...):
 * - Responses with a Readable body hold an open store reader: whoever drops such a response
 *   without sending it must destroy the body, or the reader is never closed.
 * - Object sysmeta (X-Object-Sysmeta-*) and X-Backend-* headers are returned on GET/HEAD for them;
 *   the gatekeeper strips them before the client sees them.
 * - Request headers honoured only from middlewares (gatekeeper strips them from clients):
 *   X-Object-Sysmeta-* on PUT, X-Backend-Etag-Is-At and X-Backend-Ignore-Range-If-Metadata-Present
 *   on GET/HEAD.
 * - Errors are returned as responses (SwiftHttpError and store errors are mapped here), so a
 *   subrequest never needs a catch.
 */
import { errorResponse, toLoggedSwiftError } from '../../errors.js';
import type { SwiftRequest, SwiftResponse } from '../../http.js';
import type { AppDeps } from '../../pipeline.js';
import type { ObjectTarget } from './common.js';
import { deleteObject } from './delete.js';
import { getOrHeadObject } from './get.js';
import { postObject } from './post.js';
import { putObject } from './put.js';

/** The methods Swift's object controller serves (its Allow header on 405; the proxy answers OPTIONS). */
const OBJECT_METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'] as const;

async function dispatch(req: SwiftRequest, target: ObjectTarget, deps: AppDeps): Promise<SwiftResponse> {
  switch (req.method) {
    case 'GET':
    case 'HEAD':
      return getOrHeadObject(req, target, deps);
    case 'PUT':
      return putObject(req, target, deps);
    case 'POST':
      return postObject(req, target, deps);
    case 'DELETE':
      return deleteObject(req, target, deps);
    default:
      return errorResponse(405, undefined, { allow: OBJECT_METHODS.join(', ') });
  }
}

/**
 * A HEAD response never has a body; Swift's proxy answers errors to HEAD with Content-Length: 0.
 * Success responses keep their Content-Length (the object's size).
 */
function forHead(res: SwiftResponse): SwiftResponse {
  if (res.status < 300 && res.status !== 204) return res;
  if (res.body !== undefined && typeof res.body !== 'string' && !Buffer.isBuffer(res.body)) res.body.destroy();
  return { status: res.status, headers: { ...res.headers, 'content-length': '0' }, body: '' };
}

export async function objectController(req: SwiftRequest, target: { account: string; container: string; object: string },
                                       deps: AppDeps): Promise<SwiftResponse> {
  let res: SwiftResponse;
  try {
    res = await dispatch(req, target, deps);
  } catch (err) {
    const mapped = toLoggedSwiftError(err, req.ctx.log);
    if (!mapped) throw err;
    res = mapped.toResponse();
  }
  return req.method === 'HEAD' ? forHead(res) : res;
}
