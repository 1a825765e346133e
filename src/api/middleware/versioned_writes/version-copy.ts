/**
 * Moving object versions around with subrequests, shared by legacy versioned writes and object
 * versioning (Swift's VersionedWritesContext / ObjectContext _get_source_object and
 * _put_versioned_obj). Swift streams the source through the proxy; Cairn asks the object layer for
 * a server-side copy instead (X-Backend-Copy-From, the copy middleware's contract), so versioning a
 * large object moves no bytes through the gateway.
 *
 * The source is read with `?symlink=get`, so a symlink is versioned as a link, not as its target;
 * the PUT carries every header of the source but X-Timestamp (metadata, sysmeta,
 * X-Static-Large-Object, X-Symlink-*), so the copy is the same object. Both are pre-authorized: the
 * middleware checked the client's write access to the versioned container first.
 */
import { errorResponse } from '../../errors.js';
import { subrequest, type Handler, type SwiftRequest, type SwiftResponse } from '../../http.js';
import { pyQuote } from '../common/quote.js';
import { splitSwiftPath } from '../common/swift-path.js';
import { callBelow, drain } from '../common/call-below.js';
import { COPY_FROM } from '../lo/subrequest.js';

/** Response headers never sent back down as request headers (transport, timing, backend-only). */
const NOT_COPIED = /^(x-timestamp|x-backend-.*|last-modified|date|accept-ranges|content-range|content-location|x-trans-id|x-openstack-request-id|vary|connection|transfer-encoding)$/;

/** The request headers of a PUT that recreates the object a GET answered with. */
export function copyableHeaders(source: SwiftResponse): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(source.headers)) if (!NOT_COPIED.test(k)) out[k] = v;
  return out;
}

/**
 * HEAD `path?symlink=get` below, pre-authorized: what a version copy needs to know of the source.
 * A success without a Content-Length, or larger than `maxFileSize`, is answered 413 (Swift refuses
 * to copy what it cannot size); other statuses are returned for the caller to judge.
 */
export async function headSourceObject(req: SwiftRequest, next: Handler, path: string, source: string,
                                       maxFileSize: number, extraHeaders: Record<string, string> = {}): Promise<SwiftResponse> {
  const head = subrequest(req, {
    method: 'HEAD', path, query: 'symlink=get', source, preAuthorized: true,
    headers: { 'x-newest': 'True', ...extraHeaders },
  });
  const res = await callBelow(next, head);
  drain(res);
  if (res.status >= 200 && res.status < 300) {
    const length = res.headers['content-length'];
    if (length === undefined || !/^\d+$/.test(length) || Number(length) > maxFileSize) return errorResponse(413);
  }
  return res;
}

/**
 * Recreate the object `sourceRes` describes (from `headSourceObject` of `fromPath`) at `toPath`,
 * pre-authorized, with every header of the source but X-Timestamp. The bytes never pass through
 * the gateway: the object layer copies them in the store (a hard link on the same brick), and the
 * source's Etag guards against it changing meanwhile. A symlink is recreated as a link (its
 * X-Symlink-* headers go through the symlink middleware below), as Swift does.
 */
export async function copyVersion(req: SwiftRequest, next: Handler, fromPath: string, toPath: string,
                                  sourceRes: SwiftResponse, source: string,
                                  extraHeaders: Record<string, string> = {}): Promise<SwiftResponse> {
  const headers = { ...copyableHeaders(sourceRes), ...extraHeaders };
  // A manifest's listing shows the large object's size: carry SLO's size over as the listing size
  // (Swift appends swift_bytes to the Content-Type for the same purpose).
  const sloSize = headers['x-object-sysmeta-slo-size'];
  if (sloSize && headers['x-object-sysmeta-container-update-override-size'] === undefined) {
    headers['x-object-sysmeta-container-update-override-size'] = sloSize;
  }
  if (headers['x-symlink-target'] === undefined) {
    const p = splitSwiftPath(fromPath);
    if (p?.container && p.object) {
      headers[COPY_FROM] = [p.account, p.container, p.object].map((x) => pyQuote(x, '')).join('/');
    }
  }
  const put = subrequest(req, { method: 'PUT', path: toPath, headers, source, preAuthorized: true });
  return callBelow(next, put);
}
