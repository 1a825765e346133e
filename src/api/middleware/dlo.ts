/**
 * dlo: Dynamic Large Objects (Swift 2.30's dlo middleware).
 *
 * A manifest is any object with `X-Object-Manifest: <container>/<prefix>`; a GET or HEAD of it is
 * answered with the concatenation of the objects in <container> whose names start with <prefix>, in
 * listing order, found with container-listing subrequests (paged by marker past the listing limit).
 *
 * - Content-Length is the sum of the segment sizes and Etag the quoted MD5 of their concatenated
 *   etags, when the first listing page is the whole listing (fewer than container_listing_limit
 *   entries); otherwise the size is unknown (the body is sent chunked, the manifest's own Etag stays)
 *   and only a Range inside the first page is honoured.
 * - A single Range is served 206 (416 when unsatisfiable); several ranges are ignored (200), as Swift.
 * - Conditional headers are judged against the large object's etag and Last-Modified.
 * - ?multipart-manifest=get returns the manifest object itself.
 * - A PUT with a malformed X-Object-Manifest is refused with 400.
 *
 * Segments are read with ?multipart-manifest=get and checked against their own etag (lo/segmented.ts);
 * a bad first segment is a 409, a later one cuts the connection. After rate_limit_after_segment
 * segments, at most rate_limit_segments_per_sec segments are started per second.
 *
 * Pipeline position: a required filter, inserted right after copy when the pipeline lacks it
 * (Swift: ... copy container-quotas account-quotas slo dlo versioned_writes symlink).
 * /info: "dlo" with max_get_time.
 */
import { createHash } from 'node:crypto';
import type { MiddlewareFactory } from '../pipeline.js';
import type { Handler, SwiftRequest, SwiftResponse } from '../http.js';
import { subrequest } from '../http.js';
import { errorResponse, httpError } from '../errors.js';
import { parseRange, rangesForLength } from '../controllers/object/ranges.js';
import { numberOption } from './common/options.js';
import { splitSwiftPath } from './common/swift-path.js';
import { pyQuote } from './common/quote.js';
import { discardBody, isSuccess } from './common/body.js';
import { IGNORE_RANGE, csvAppend, inheritHeaders, queryParam, readBody, unquoteHeader } from './lo/subrequest.js';
import { normalizeEtag } from '../controllers/object/conditional.js';
import { callBelow, withHeaders } from './common/call-below.js';
import { ListingIterError, segmentChunks, type ObjectSegment } from './lo/segmented.js';
import { rateLimited } from './lo/ratelimit.js';
import { largeObjectResponse } from './lo/respond.js';

const NAME = 'dlo';

export interface DloOptions {
  /** Seconds a GET of a DLO may take before the connection is cut. */
  max_get_time: number;
  /** Segments served before rate limiting starts. */
  rate_limit_after_segment: number;
  /** Segments started per second after that (0 = no limit). */
  rate_limit_segments_per_sec: number;
}

/** A container listing entry, as the JSON listing gives it. */
interface ListingEntry { name: string; bytes: number; hash: string }

/** Largest listing page body read (10000 entries of long names). */
const MAX_LISTING_BODY = 64 * 1024 * 1024;

function normalize(opts: DloOptions): DloOptions {
  return {
    max_get_time: numberOption(NAME, 'max_get_time', opts.max_get_time, { min: 0 }),
    rate_limit_after_segment: numberOption(NAME, 'rate_limit_after_segment', opts.rate_limit_after_segment, { min: 0, integer: true }),
    rate_limit_segments_per_sec: numberOption(NAME, 'rate_limit_segments_per_sec', opts.rate_limit_segments_per_sec, { min: 0 }),
  };
}

export const dlo: MiddlewareFactory<DloOptions> = {
  name: NAME,
  defaults: { max_get_time: 86400, rate_limit_after_segment: 10, rate_limit_segments_per_sec: 1 },
  requiredAfter: 'copy',
  validate(opts) { normalize(opts); },
  registerInfo(opts, info) { info.register(NAME, { max_get_time: normalize(opts).max_get_time }); },
  create(opts, deps) {
    const o = normalize(opts);
    const env = { opts: o, limit: deps.constraints.container_listing_limit };
    return (next: Handler): Handler => async (req) => {
      const p = splitSwiftPath(req.path);
      if (!p || !p.container || !p.object) return next(req);
      if ((req.method === 'GET' || req.method === 'HEAD') && queryParam(req, 'multipart-manifest') !== 'get') {
        return getOrHead(req, { ...env, next }, p.version, p.account);
      }
      if (req.method === 'PUT') checkManifestHeader(req);
      return next(req);
    };
  },
};

interface DloEnv { opts: DloOptions; limit: number; next: Handler }

/** Swift's _validate_x_object_manifest_header. */
function checkManifestHeader(req: SwiftRequest): void {
  const value = req.headers['x-object-manifest'];
  if (value === undefined) return;
  const slash = value.indexOf('/');
  const container = slash < 0 ? '' : value.slice(0, slash);
  const prefix = slash < 0 ? '' : value.slice(slash + 1);
  if (!container || !prefix || value.includes('?') || value.includes('&') || prefix.startsWith('/')) {
    throw httpError(400, 'X-Object-Manifest must be in the format container/prefix');
  }
}

async function getOrHead(req: SwiftRequest, env: DloEnv, version: string, account: string): Promise<SwiftResponse> {
  // A manifest is wanted whole, whatever Range the client sent.
  const down = withHeaders(req, { [IGNORE_RANGE]: csvAppend(req.headers[IGNORE_RANGE], 'x-object-manifest') });
  const res = await callBelow(env.next, down);
  const manifest = res.headers['x-object-manifest'];
  if (manifest === undefined) return res;
  discardBody(res.body);
  return largeObject(req, env, version, account, res.headers, unquoteHeader(manifest));
}

/** Swift's get_or_head_response. */
async function largeObject(req: SwiftRequest, env: DloEnv, version: string, account: string,
                           manifestHeaders: Record<string, string>, xObjectManifest: string): Promise<SwiftResponse> {
  const slash = xObjectManifest.indexOf('/');
  if (slash < 0) throw new Error(`malformed X-Object-Manifest ${JSON.stringify(xObjectManifest)}`);
  const container = xObjectManifest.slice(0, slash);
  const prefix = xObjectManifest.slice(slash + 1);
  const page = await listPage(req, env, version, account, container, prefix);
  if ('error' in page) return page.error;
  const segments = page.entries;
  const complete = segments.length < env.limit;
  const sum = segments.reduce((n, s) => n + Number(s.bytes), 0);

  // Only one range can be served, and only when the first page decides it.
  let rangeSize: number | undefined;
  const specs = parseRange(req.headers['range']);
  if (specs && specs.length === 1) {
    const spec = specs[0]!;
    const rangeEnd = spec.start === undefined || spec.end === undefined ? Infinity : spec.end + 1;
    if (complete || rangeEnd < sum) {
      if (rangesForLength(specs, sum).length === 0) {
        const err = errorResponse(416, undefined, { 'accept-ranges': 'bytes', ...(complete ? { 'content-range': `bytes */${sum}` } : {}) });
        return req.method === 'HEAD' ? { ...err, body: '' } : err;
      }
      rangeSize = sum;
    }
  }

  const headers = { ...manifestHeaders };
  delete headers['content-length'];
  delete headers['content-range'];
  let etag = normalizeEtag(headers['etag']);
  if (complete) {
    const md5 = createHash('md5');
    for (const s of segments) md5.update(normalizeEtag(String(s.hash)) ?? '', 'utf8');
    etag = md5.digest('hex');
    headers['etag'] = `"${etag}"`;
  }
  const size = rangeSize ?? (complete ? sum : undefined);
  const o = env.opts;
  return largeObjectResponse(req, {
    headers, size, etag,
    range: rangeSize === undefined ? undefined : req.headers['range'],
    open: (range) => {
      const listing = segmentListing(req, env, version, account, container, prefix, segments,
        range ? range.start : 0, range ? range.stop - 1 : Infinity);
      return segmentChunks({
        req, app: env.next, name: req.path, source: 'DLO', maxGetTime: o.max_get_time,
        segments: rateLimited(listing, o.rate_limit_segments_per_sec, o.rate_limit_after_segment),
        ...(range ? { responseBodyLength: range.stop - range.start } : size !== undefined ? { responseBodyLength: size } : {}),
      });
    },
  });
}

/** One page of the segment container's listing, or the error response to give instead. */
async function listPage(req: SwiftRequest, env: DloEnv, version: string, account: string, container: string,
                        prefix: string, marker?: string): Promise<{ entries: ListingEntry[] } | { error: SwiftResponse }> {
  let query = `prefix=${pyQuote(prefix)}`;
  if (marker) query += `&marker=${pyQuote(marker)}`;
  query += '&format=json';
  const headers = inheritHeaders(req);
  const res = await callBelow(env.next, subrequest(req, {
    method: 'GET', path: `/${version}/${account}/${container}`, query, headers, source: 'DLO',
  }));
  if (!isSuccess(res.status)) {
    if (req.method === 'HEAD') {
      discardBody(res.body);
      return { error: { ...res, body: '' } };
    }
    return { error: res };
  }
  const parsed: unknown = JSON.parse((await readBody(res, MAX_LISTING_BODY)).toString('utf8'));
  if (!Array.isArray(parsed)) throw new Error('container listing is not a JSON list');
  return { entries: parsed.filter((e): e is ListingEntry => typeof e === 'object' && e !== null && 'name' in e) };
}

/**
 * The segments holding bytes [first, last] (inclusive; last may be Infinity), starting from the
 * first listing page and fetching further pages by marker (Swift's _segment_listing_iterator).
 */
async function* segmentListing(req: SwiftRequest, env: DloEnv, version: string, account: string, container: string,
                               prefix: string, firstPage: ListingEntry[], first: number,
                               last: number): AsyncGenerator<ObjectSegment> {
  let segments = firstPage;
  for (;;) {
    for (const s of segments) {
      const len = Number(s.bytes);
      if (first >= len) {
        first = Math.max(first - len, -1);
        last = Math.max(last - len, -1);
        continue;
      }
      if (last < 0) break;
      // No etag or size given: DLO only cares that names match the prefix; each segment is still
      // checked against its own etag while it streams.
      yield {
        path: `/${version}/${account}/${container}/${s.name}`,
        ...(first > 0 ? { firstByte: first } : {}),
        ...(last < len - 1 ? { lastByte: last } : {}),
      };
      first = Math.max(first - len, -1);
      last = Math.max(last - len, -1);
    }
    if (segments.length < env.limit || last < 0) return;
    const page = await listPage(req, env, version, account, container, prefix, segments[segments.length - 1]!.name);
    if ('error' in page) {
      discardBody(page.error.body);
      throw new ListingIterError(`Got status ${page.error.status} listing container /${account}/${container}`);
    }
    segments = page.entries;
  }
}
