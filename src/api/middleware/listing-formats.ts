/**
 * listing_formats (Swift's swift/common/middleware/listing_formats.py): account and container
 * GET/HEAD are always answered by the controllers in JSON; this middleware picks the client's format
 * (format= query, else Accept; 406 when none of text/plain, application/json, application/xml,
 * text/xml is acceptable, 400 for a malformed Accept), asks the layers below for JSON, and converts
 * a 200/204 JSON answer to XML or plain text. An empty plain-text listing becomes 204. Without a
 * format= parameter the answer varies on Accept. HEAD gets the negotiated Content-Type and
 * Content-Length 0. Like Swift, it is required: a pipeline without it gets it inserted.
 */
import { Readable } from 'node:stream';
import type { SwiftRequest, SwiftResponse } from '../http.js';
import { accountToXml, containerToXml, listingContentType, listingToText } from '../listing.js';
import { hasParam, withParam } from '../params.js';
import { parseQuery } from '../http.js';
import { splitPath } from '../path.js';
import type { MiddlewareFactory } from '../pipeline.js';
import { pyDumps } from '../pyjson.js';
import './common/format-listing.js';

/** Listings larger than this are passed through untouched (Swift's MAX_CONTAINER_LISTING_CONTENT_LENGTH). */
const MAX_LISTING_LENGTH = 1024 * 10000 * 2;

function listingTarget(req: SwiftRequest): { account: string; container?: string } | undefined {
  // An object path (a fourth '/' with something after it) is what splitPath(path, 2, 3) refuses:
  // answer that without the exception (building its stack cost ~2% of the event loop on object requests).
  const p = req.path;
  let slash = -1;
  for (let n = 1; n <= 4; n++) {
    slash = p.indexOf('/', slash + 1);
    if (slash < 0) break;
    if (n === 4 && slash < p.length - 1) return undefined;
  }
  try {
    const [, account, container] = splitPath(req.path, 2, 3);
    return container ? { account: account!, container } : { account: account! };
  } catch {
    return undefined;
  }
}

async function readSmall(body: SwiftResponse['body']): Promise<Buffer> {
  if (body === undefined) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (Buffer.isBuffer(body)) return body;
  const chunks: Buffer[] = [];
  for await (const c of body as Readable) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

function varyOnAccept(headers: Record<string, string>): void {
  const v = headers['vary'];
  if (v === undefined) headers['vary'] = 'Accept';
  else if (!v.toLowerCase().split(',').map((s) => s.trim()).includes('accept')) headers['vary'] = `${v}, Accept`;
}

export const listingFormats: MiddlewareFactory<Record<string, never>> = {
  name: 'listing_formats',
  defaults: {},
  requiredAfter: 'proxy-logging',
  create(_opts, deps) {
    return (next) => async (req) => {
      const target = listingTarget(req);
      if (!target || (req.method !== 'GET' && req.method !== 'HEAD')) return next(req);
      const version = req.path.split('/')[1] ?? '';
      if (!deps.constraints.valid_api_versions.includes(version)) return next(req);
      const outType = listingContentType(req);
      const canVary = !hasParam(req, 'format');
      const rawQuery = withParam(req.rawQuery, 'format', 'json');
      // Swift's get_listing_content_type also sets the request's Accept from format= (req.accept =
      // FORMAT2CONTENT_TYPE[format]), so layers below that answer for themselves (object
      // versioning's JSON-only ?versions) see what the client asked for.
      const downHeaders = canVary ? req.headers : { ...req.headers, accept: outType };
      const res = await next({ ...req, rawQuery, query: parseQuery(rawQuery), headers: downHeaders });
      // A middleware below answered in a format of its own (Swift's swift.format_listing = False).
      if (req.ctx.formatListing === false) return res;
      if (res.status !== 200 && res.status !== 204) return res;
      const headers = { ...res.headers };
      if (canVary) varyOnAccept(headers);
      const ctype = (headers['content-type'] ?? '').split(';')[0]!.trim();
      if (ctype !== 'application/json') return { ...res, headers };
      if (req.method === 'HEAD') {
        return { ...res, headers: { ...headers, 'content-type': `${outType}; charset=utf-8`, 'content-length': '0' } };
      }
      const length = headers['content-length'];
      if (length === undefined || Number(length) > MAX_LISTING_LENGTH) return { ...res, headers };
      const raw = await readSmall(res.body);
      let listing: Array<Record<string, unknown>>;
      try {
        const parsed: unknown = JSON.parse(raw.toString('utf8'));
        if (!Array.isArray(parsed) || !parsed.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x))) {
          throw new Error('not a listing');
        }
        listing = parsed as Array<Record<string, unknown>>;
      } catch {
        return { ...res, headers, body: raw };
      }
      let body: string;
      if (outType.endsWith('/xml')) {
        body = target.container ? containerToXml(listing, target.container) : accountToXml(listing, target.account);
      } else if (outType === 'text/plain') {
        body = listingToText(listing);
      } else {
        body = pyDumps(listing);
      }
      const out = Buffer.from(body, 'utf8');
      return {
        status: out.length ? res.status : 204,
        headers: { ...headers, 'content-type': `${outType}; charset=utf-8`, 'content-length': String(out.length) },
        body: out,
      };
    };
  },
};
