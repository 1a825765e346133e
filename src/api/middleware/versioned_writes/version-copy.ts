/**
 * Moving object versions around with subrequests, shared by legacy versioned writes and object
 * versioning (Swift's VersionedWritesContext / ObjectContext _get_source_object and
 * _put_versioned_obj). The body streams from the GET straight into the PUT; nothing is buffered.
 *
 * GETs use `?symlink=get`, so a symlink is versioned as a link, not as its target; the PUT carries
 * every header of the source response but X-Timestamp (metadata, sysmeta, X-Static-Large-Object,
 * X-Symlink-*), so the copy is the same object. Both are pre-authorized: the middleware checked the
 * client's write access to the versioned container first.
 */
import { Readable } from 'node:stream';
import { errorResponse } from '../../errors.js';
import { subrequest, type Handler, type ResponseBody, type SwiftRequest, type SwiftResponse } from '../../http.js';
import { callBelow, drain } from '../common/call-below.js';

/** Response headers never sent back down as request headers (transport, timing, backend-only). */
const NOT_COPIED = /^(x-timestamp|x-backend-.*|last-modified|date|accept-ranges|content-range|content-location|x-trans-id|x-openstack-request-id|vary|connection|transfer-encoding)$/;

/** The request headers of a PUT that recreates the object a GET answered with. */
export function copyableHeaders(source: SwiftResponse): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(source.headers)) if (!NOT_COPIED.test(k)) out[k] = v;
  return out;
}

/** A response body as a stream (subrequest bodies are streams or small strings/buffers). */
export function bodyStream(body: ResponseBody | undefined): Readable {
  if (body === undefined) return Readable.from([]);
  if (typeof body === 'string' || Buffer.isBuffer(body)) return Readable.from(body.length ? [Buffer.from(body)] : []);
  return body;
}

/**
 * GET `path?symlink=get` below, pre-authorized. A success without a Content-Length, or larger than
 * `maxFileSize`, is answered 413 (Swift refuses to copy what it cannot size); other statuses are
 * returned for the caller to judge.
 */
export async function getSourceObject(req: SwiftRequest, next: Handler, path: string, source: string,
                                      maxFileSize: number, extraHeaders: Record<string, string> = {}): Promise<SwiftResponse> {
  const get = subrequest(req, {
    method: 'GET', path, query: 'symlink=get', source, preAuthorized: true,
    headers: { 'x-newest': 'True', ...extraHeaders },
  });
  const res = await callBelow(next, get);
  if (res.status >= 200 && res.status < 300) {
    const length = res.headers['content-length'];
    if (length === undefined || !/^\d+$/.test(length) || Number(length) > maxFileSize) {
      // Consciously not drained: whatever it is, it is too big to copy.
      drain(res);
      return errorResponse(413);
    }
  }
  return res;
}

/** PUT the source response's bytes and headers to `path` below, pre-authorized. */
export async function putVersionedObject(req: SwiftRequest, next: Handler, path: string, sourceRes: SwiftResponse,
                                         source: string, extraHeaders: Record<string, string> = {}): Promise<SwiftResponse> {
  const headers = { ...copyableHeaders(sourceRes), ...extraHeaders };
  // A manifest's listing shows the large object's size: carry SLO's size over as the listing size
  // (Swift appends swift_bytes to the Content-Type for the same purpose).
  const sloSize = headers['x-object-sysmeta-slo-size'];
  if (sloSize && headers['x-object-sysmeta-container-update-override-size'] === undefined) {
    headers['x-object-sysmeta-container-update-override-size'] = sloSize;
  }
  const put = subrequest(req, { method: 'PUT', path, headers, body: bodyStream(sourceRes.body), source, preAuthorized: true });
  const res = await callBelow(next, put);
  // The PUT was responsible for reading the source; make sure it is released either way.
  drain(sourceRes);
  return res;
}
