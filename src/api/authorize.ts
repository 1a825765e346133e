/**
 * How controllers ask the auth layer (Swift's `swift.authorize` callback). Every controller calls
 * `authorize(req, target)` once it knows the ACL that applies; it returns the denial response
 * (401/403) or undefined to go on. No auth middleware in the pipeline (ctx.authorize unset) and
 * pre-authorized subrequests (ctx.preAuthorized) are always allowed, as in Swift.
 */
import type { AuthTarget } from './context.js';
import type { SwiftRequest, SwiftResponse } from './http.js';

export async function authorize(req: SwiftRequest, target: AuthTarget): Promise<SwiftResponse | undefined> {
  if (req.ctx.preAuthorized || !req.ctx.authorize) return undefined;
  return req.ctx.authorize(req, target);
}
