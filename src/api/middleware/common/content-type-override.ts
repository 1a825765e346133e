/**
 * Swift's `swift.content_type_overridden` environ flag, as a typed context field: a middleware that
 * writes an object whose Content-Type carries Swift's own `swift_*` parameters (object versioning's
 * delete markers, `application/x-deleted;swift_versions_deleted=1`) sets it on its subrequest's
 * context, and the object PUT then skips its "swift_* is not a valid parameter name" check.
 * Clients cannot set it: it lives in the context, not in a header.
 */
import type { SwiftRequest } from '../../http.js';

declare module '../../context.js' {
  interface RequestContext {
    /** The Content-Type of this PUT was set by a middleware (Swift's swift.content_type_overridden). */
    contentTypeOverridden?: boolean;
  }
}

export function isContentTypeOverridden(req: SwiftRequest): boolean {
  return req.ctx.contentTypeOverridden === true;
}
