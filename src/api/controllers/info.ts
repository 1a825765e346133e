/**
 * GET/HEAD /info (Swift's InfoController): the capabilities document, json.dumps of every section
 * registered by the proxy ("swift") and by the middlewares in the pipeline. 403 when expose_info is
 * off. Admin (HMAC-signed) info is not offered: Cairn configures no admin_key, and Swift answers a
 * signed request without one with 403 too.
 */
import { errorResponse } from '../errors.js';
import type { SwiftRequest, SwiftResponse } from '../http.js';
import { getParam } from '../params.js';
import type { AppDeps } from '../pipeline.js';
import { pyDumps } from '../pyjson.js';

export const INFO_METHODS = ['GET', 'HEAD', 'OPTIONS'];

export async function infoController(req: SwiftRequest, deps: AppDeps): Promise<SwiftResponse> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return errorResponse(405, undefined, { allow: INFO_METHODS.join(', ') });
  }
  if (!deps.config.exposeInfo) return errorResponse(403);
  // A signed admin request needs an admin key, which Cairn never has.
  if (getParam(req, 'swiftinfo_sig') !== undefined || getParam(req, 'swiftinfo_expires') !== undefined) {
    return errorResponse(403);
  }
  const body = pyDumps(deps.info.toJSON());
  return {
    status: 200,
    headers: { 'content-type': 'application/json; charset=UTF-8', 'content-length': String(Buffer.byteLength(body)) },
    body,
  };
}
