/**
 * Object PUT features only middlewares can ask for (the gatekeeper strips X-Backend-* and
 * X-Object-Sysmeta-* from clients):
 *
 * - X-Object-Sysmeta-Container-Update-Override-{Etag,Size,Content-Type}: what the container listing
 *   shows for the object instead of its own etag/size/type (Swift's container-update overrides;
 *   SLO lists a manifest with its total size and "<md5>; slo_etag=<etag>"). They are kept as sysmeta
 *   too, as in Swift.
 * - X-Backend-Copy-From: <account>/<container>/<object> (each part percent-encoded): the PUT has no
 *   body; the new object is a server-side copy of that source (store.copyObject: a hard link when
 *   both names land on the same brick, no bytes through the gateway otherwise either). The copy
 *   middleware sends it, with the source's etag as Etag, after it has read the source's headers;
 *   if the source changed meanwhile the etag no longer matches and the PUT fails with 422, as a
 *   streamed copy with a stale Etag would.
 */
import * as E from '../../../storage/errors.js';
import type { ListingOverride, Metadata, ObjectRef, Timestamp } from '../../../storage/store.js';
import { toHttpDate } from '../../../storage/timestamp.js';
import { errorResponse, httpError } from '../../errors.js';
import type { SwiftResponse } from '../../http.js';
import type { AppDeps } from '../../pipeline.js';
import { emptyResponse } from './common.js';
import { fromHeader } from '../../headers.js';

const OVERRIDE = 'x-object-sysmeta-container-update-override-';
export const COPY_FROM_HEADER = 'x-backend-copy-from';

/** The listing override a PUT's headers ask for, as a spreadable options fragment. */
export function listingOverride(headers: Record<string, string>): { listing?: ListingOverride } {
  const listing: ListingOverride = {};
  const etag = headers[`${OVERRIDE}etag`];
  const size = headers[`${OVERRIDE}size`];
  const type = headers[`${OVERRIDE}content-type`];
  if (etag !== undefined) listing.etag = fromHeader(etag);
  if (size !== undefined && /^\d+$/.test(size.trim())) listing.size = Number(size.trim());
  if (type !== undefined) listing.contentType = fromHeader(type);
  return Object.keys(listing).length ? { listing } : {};
}

/** The source named by X-Backend-Copy-From, or undefined when the PUT carries a body as usual. */
export function copySource(headers: Record<string, string>): ObjectRef | undefined {
  const value = headers[COPY_FROM_HEADER];
  if (value === undefined) return undefined;
  const parts = value.split('/').map((p) => decodeURIComponent(p));
  if (parts.length !== 3 || parts.some((p) => !p)) throw httpError(400, `Invalid ${COPY_FROM_HEADER}`);
  return { account: parts[0]!, container: parts[1]!, object: parts[2]! };
}

/** What the destination of a server-side copy gets (from the PUT's headers, as for a normal PUT). */
export interface CopyAttributes {
  timestamp: Timestamp;
  contentType: string;
  metadata: Metadata;
  systemMetadata: Metadata;
  deleteAt?: number;
  listing?: ListingOverride;
  /** The etag the source must still have. */
  expectedEtag?: string;
}

/** Make `dst` a server-side copy of `src`; answers like a PUT (201, or 404/422/202). */
export async function copyPut(src: ObjectRef, dst: ObjectRef, deps: AppDeps, attrs: CopyAttributes): Promise<SwiftResponse> {
  try {
    const info = await deps.store.copyObject(src, dst, {
      timestamp: attrs.timestamp,
      describe(source) {
        if (attrs.expectedEtag !== undefined && source.etag !== attrs.expectedEtag) {
          throw new E.ChecksumMismatch(attrs.expectedEtag, source.etag);
        }
        return {
          contentType: attrs.contentType,
          metadata: attrs.metadata,
          systemMetadata: attrs.systemMetadata,
          ...(attrs.deleteAt !== undefined ? { deleteAt: attrs.deleteAt } : {}),
          ...(attrs.listing !== undefined ? { listing: attrs.listing } : {}),
        };
      },
    });
    return emptyResponse(201, { etag: info.etag, 'last-modified': toHttpDate(attrs.timestamp) });
  } catch (err) {
    // Like a PUT that lost to a newer version (Swift turns the object servers' 409 into 202).
    if (err instanceof E.Conflict) return errorResponse(202);
    throw err;
  }
}
