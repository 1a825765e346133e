/**
 * TempAuth's refusals. Every 401 carries `Www-Authenticate: Swift realm="<account>"` as swob adds it
 * (realm "unknown" when the path names no account).
 */
import { errorResponse } from '../../errors.js';
import type { SwiftRequest, SwiftResponse } from '../../http.js';
import { splitPath } from '../../path.js';
import { pyQuote } from '../../pyjson.js';

export function realmOf(path: string): string {
  try {
    const realm = splitPath(path, 2, 3, true)[1]!;
    return realm === 'v1.0' || realm === 'auth' ? 'unknown' : realm;
  } catch {
    return 'unknown';
  }
}

export function unauthorized(realm: string): SwiftResponse {
  return errorResponse(401, undefined, { 'www-authenticate': `Swift realm="${pyQuote(realm)}"` });
}

/** Swift's denied_response: 403 for an authenticated user, 401 for an anonymous one. */
export function deniedResponse(req: SwiftRequest): SwiftResponse {
  if (req.ctx.identity) return errorResponse(403);
  return unauthorized(realmOf(req.path));
}
