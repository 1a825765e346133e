/**
 * PUT with X-Copy-From (Swift's ServerSideCopyMiddleware.handle_PUT).
 *
 * 1. The request must have no body (400 'Copy requests require a zero byte body'); X-Copy-From
 *    (and X-Copy-From-Account) must name /container/object (and an account): 412 otherwise.
 * 2. The source is fetched with a GET subrequest carrying the client's headers (so Range and
 *    If-* apply to the source) and query (multipart-manifest=get copies a manifest itself; SLO then
 *    answers in the raw PUT form). A failed GET is the answer; a source of unknown length or over
 *    max_file_size is 413.
 * 3. The destination is PUT with the source's metadata and sysmeta merged under the request's
 *    (X-Fresh-Metadata: true keeps only the source's sysmeta), the source's Content-Type unless the
 *    request sets one, and, when the source is a whole plain object, its Etag (so the copy is
 *    verified). Copying a manifest with multipart-manifest=get makes the PUT a manifest PUT.
 * 4. A whole plain object is not streamed: the PUT has no body and carries X-Backend-Copy-From
 *    (see lo/subrequest.ts), and the object controller copies it inside the store (hard link when
 *    it can). Anything else (large objects, symlinks, ranges, versions) streams through.
 * 5. A successful answer gains X-Copied-From, X-Copied-From-Account, X-Copied-From-Last-Modified
 *    (and X-Copied-From-Version-Id) and the new object's metadata headers.
 */
import { Readable } from 'node:stream';
import type { Handler, SwiftRequest, SwiftResponse } from '../../http.js';
import { emptyBody, subrequest } from '../../http.js';
import { errorResponse, httpError } from '../../errors.js';
import { contentLength } from '../../constraints.js';
import { hasParam, withParam, withoutParam } from '../../params.js';
import { textResponse, discardBody, isSuccess } from '../common/body.js';
import { isTrue } from '../common/options.js';
import { pyQuote } from '../common/quote.js';
import { splitSwiftPath } from '../common/swift-path.js';
import { COPY_FROM, queryParam, unquoteHeader } from '../lo/subrequest.js';
import { normalizeEtag } from '../../controllers/object/conditional.js';
import { callBelow } from '../common/call-below.js';

/** Source headers never copied to the destination: Swift's list, plus what only describes a response. */
const EXCLUDED = new Set([
  'x-static-large-object', 'x-object-manifest', 'etag', 'content-type', 'x-timestamp', 'x-backend-timestamp',
  'content-length', 'content-range', 'accept-ranges', 'last-modified', 'date', 'x-trans-id', 'x-openstack-request-id',
  'transfer-encoding', 'connection', 'x-manifest-etag', 'content-location', 'x-object-version-id', 'x-parts-count',
]);
const OVERRIDE_PREFIX = 'x-object-sysmeta-container-update-override-';

/** Swift's check_account_format. */
export function checkAccountFormat(name: string): string {
  if (!name) throw httpError(412, 'Account name cannot be empty');
  if (name.includes('/')) throw httpError(412, 'Account name cannot contain slashes');
  return name;
}

/** Swift's check_path_header(req, name, 2, ...): "/container/object" (percent-decoded) or 412. */
export function checkPathHeader(value: string, name: string): [string, string] {
  let hdr = unquoteHeader(value);
  if (!hdr.startsWith('/')) hdr = `/${hdr}`;
  const m = /^\/([^/]+)\/(.+)$/s.exec(hdr);
  if (!m) throw httpError(412, `${name} header must be of the form <container name>/<object name>`);
  return [m[1]!, m[2]!];
}

function isObjectMeta(k: string): boolean {
  return (k.startsWith('x-object-meta-') && k.length > 14) || (k.startsWith('x-object-sysmeta-') && k.length > 17);
}

function isSysmeta(k: string): boolean { return k.startsWith('x-object-sysmeta-') && k.length > 17; }

export async function handleCopyPut(req: SwiftRequest, next: Handler, maxFileSize: number): Promise<SwiftResponse> {
  if (contentLength(req)) return textResponse(400, 'Copy requests require a zero byte body');
  const p = splitSwiftPath(req.path)!;
  const fromAccount = req.headers['x-copy-from-account'];
  const srcAccount = fromAccount ? checkAccountFormat(unquoteHeader(fromAccount)) : p.account;
  const [srcContainer, srcObject] = checkPathHeader(req.headers['x-copy-from']!, 'X-Copy-From');
  const manifestGet = queryParam(req, 'multipart-manifest') === 'get';

  // The source, read as the client would read it (conditions, ranges and query apply to it).
  const getHeaders: Record<string, string> = { ...req.headers, 'x-newest': 'true', 'content-length': '0' };
  delete getHeaders['transfer-encoding'];
  delete getHeaders['x-backend-storage-policy-index'];
  const src = await callBelow(next, subrequest(req, {
    method: 'GET', path: `/${p.version}/${srcAccount}/${srcContainer}/${srcObject}`,
    query: manifestGet ? withParam(req.rawQuery, 'format', 'raw') : req.rawQuery, headers: getHeaders, source: 'SSC',
  }));
  if (src.status >= 300) return src;
  const srcLength = src.headers['content-length'] !== undefined && /^\d+$/.test(src.headers['content-length'])
    ? Number(src.headers['content-length'])
    : typeof src.body === 'string' || Buffer.isBuffer(src.body) ? Buffer.byteLength(src.body) : undefined;
  // Unknown length: a DLO past one listing page (Swift refuses those too).
  if (srcLength === undefined || srcLength > maxFileSize) {
    discardBody(src.body);
    return errorResponse(413);
  }

  const sink: Record<string, string> = {};
  if (isTrue(req.headers['x-fresh-metadata'] ?? 'false')) {
    Object.assign(sink, req.headers);
    for (const [k, v] of Object.entries(src.headers)) if (isSysmeta(k)) sink[k] = v;
    for (const [k, v] of Object.entries(req.headers)) if (isSysmeta(k)) sink[k] = v;
  } else {
    for (const [k, v] of Object.entries(src.headers)) {
      if (!EXCLUDED.has(k) && !k.startsWith('x-backend-')) sink[k] = v;
    }
    Object.assign(sink, req.headers);
  }

  let query = req.rawQuery;
  if (manifestGet) {
    if ('x-static-large-object' in src.headers) query = withParam(query, 'multipart-manifest', 'put');
    if ('x-object-manifest' in src.headers) {
      query = withoutParam(query, 'multipart-manifest');
      sink['x-object-manifest'] = src.headers['x-object-manifest']!;
    }
  }
  if (hasParam(req, 'version-id')) query = withoutParam(query, 'version-id');

  // The source etag verifies the copy, except where it is not the MD5 of the bytes being copied.
  const whole = src.status === 200 && !('x-static-large-object' in src.headers)
    && (!('x-object-manifest' in src.headers) || manifestGet);
  const srcEtag = normalizeEtag(src.headers['etag']);
  if (whole && srcEtag !== undefined) {
    sink['etag'] = srcEtag;
  } else {
    for (const k of Object.keys(sink)) if (k.startsWith(OVERRIDE_PREFIX)) delete sink[k];
  }
  delete sink['x-copy-from'];
  delete sink['x-copy-from-account'];
  delete sink['transfer-encoding'];
  if (!req.headers['content-type']) {
    if (src.headers['content-type'] !== undefined) sink['content-type'] = src.headers['content-type'];
    else delete sink['content-type'];
  }
  sink['content-length'] = String(srcLength);

  // A plain object (not a large object, symlink or old version) is copied inside the store.
  const inStore = whole && !('x-object-manifest' in src.headers) && !('x-symlink-target' in src.headers)
    && !('content-location' in src.headers) && !('x-object-version-id' in src.headers) && !hasParam(req, 'version-id');
  let body: Readable;
  if (inStore) {
    discardBody(src.body);
    sink[COPY_FROM] = [srcAccount, srcContainer, srcObject].map((s) => pyQuote(s, '')).join('/');
    body = emptyBody();
  } else {
    body = src.body instanceof Readable ? src.body : Readable.from(src.body === undefined ? [] : [Buffer.from(src.body)]);
  }

  let res: SwiftResponse;
  try {
    res = await callBelow(next, subrequest(req, { method: 'PUT', path: req.path, query, headers: sink, body, source: 'SSC' }));
  } finally {
    // A PUT that failed before reading the source leaves it open.
    discardBody(body);
  }
  if (isSuccess(res.status)) {
    const extra: Record<string, string> = {
      'x-copied-from-account': pyQuote(srcAccount),
      'x-copied-from': pyQuote(`${srcContainer}/${srcObject}`),
    };
    if (src.headers['last-modified'] !== undefined) extra['x-copied-from-last-modified'] = src.headers['last-modified'];
    if (src.headers['x-object-version-id'] !== undefined) extra['x-copied-from-version-id'] = src.headers['x-object-version-id'];
    for (const [k, v] of Object.entries(sink)) {
      if (isObjectMeta(k) || (k.startsWith('x-object-transient-sysmeta-') && k.length > 27) || k === 'x-delete-at') extra[k] = v;
    }
    res = { ...res, headers: { ...res.headers, ...extra } };
  }
  return res;
}
