/**
 * GET/HEAD of an object that may be an SLO manifest (Swift 2.30's handle_slo_get_or_head).
 *
 * The request goes down unchanged except for two internal headers: X-Backend-Etag-Is-At names the
 * SLO-etag sysmeta (so If-Match / If-None-Match are judged against the large object's etag) and
 * X-Backend-Ignore-Range-If-Metadata-Present names X-Static-Large-Object (so a manifest comes back
 * whole even for a Range request). A response without X-Static-Large-Object: True is passed through
 * untouched; otherwise:
 *
 * - ?multipart-manifest=get: the stored manifest itself as application/json; with &format=raw,
 *   converted back to the form that was PUT (Content-Length and Etag recomputed).
 * - HEAD, and conditional answers (304/412), of a manifest with SLO sysmeta: answered from the
 *   headers alone, Etag = the quoted SLO etag, Content-Length = the SLO size, X-Manifest-Etag = the
 *   manifest body's etag.
 * - Otherwise the whole manifest is read (fetched again without Range/conditions when what came back
 *   is not all of it) and the segments are streamed, with ranges and conditions applied to the large
 *   object (lo/respond.ts). A first segment that is missing or changed is a 409.
 */
import { createHash } from 'node:crypto';
import type { SwiftRequest, SwiftResponse } from '../../http.js';
import { subrequest } from '../../http.js';
import { conditionalStatus, parseHttpDate } from '../../controllers/object/conditional.js';
import { discardBody, isSuccess } from '../common/body.js';
import { isTrue } from '../common/options.js';
import { callBelow, withHeaders } from '../common/call-below.js';
import {
  ETAG_IS_AT, IGNORE_RANGE, csvAppend, inheritHeaders, queryParam, readBody,
} from '../lo/subrequest.js';
import { segmentChunks, type Segment } from '../lo/segmented.js';
import { rateLimited } from '../lo/ratelimit.js';
import { largeObjectResponse } from '../lo/respond.js';
import {
  SYSMETA_SLO_ETAG, SYSMETA_SLO_SIZE, annotate, computedAttrs, parseStoredManifest, toRawManifest,
} from './manifest.js';
import { SegmentLister } from './listing.js';
import type { SloEnv } from './env.js';

/** Stored manifests larger than this are refused (they could only come from a bigger max_manifest_size). */
const MAX_STORED_MANIFEST = 32 * 1024 * 1024;

export async function handleGetOrHead(req: SwiftRequest, env: SloEnv, version: string, account: string): Promise<SwiftResponse> {
  const manifestGet = queryParam(req, 'multipart-manifest') === 'get';
  const down = manifestGet ? req : withHeaders(req, {
    [ETAG_IS_AT]: csvAppend(req.headers[ETAG_IS_AT], SYSMETA_SLO_ETAG),
    [IGNORE_RANGE]: csvAppend(req.headers[IGNORE_RANGE], 'x-static-large-object'),
  });
  let res = await callBelow(env.next, down);
  if (!isTrue(res.headers['x-static-large-object'])) return res;
  if (manifestGet) return manifestResponse(req, res);

  const etag = res.headers[SYSMETA_SLO_ETAG];
  const size = res.headers[SYSMETA_SLO_SIZE];
  if (etag && size && /^\d+$/.test(size) && (req.method === 'HEAD' || res.status === 304 || res.status === 412)) {
    const headers = sloHeaders(res.headers, etag, Number(size));
    const lastModified = parseHttpDate(res.headers['last-modified']) ?? NaN;
    const cond = conditionalStatus(req.headers, { etag, lastModified });
    if (cond !== undefined) return { status: cond, headers: { ...headers, 'content-length': '0' }, body: '' };
    if (req.method === 'HEAD') {
      discardBody(res.body);
      return { status: 200, headers };
    }
    // A 304/412 our own check does not confirm judged the manifest's etag: read the manifest.
  }

  if (needsRefetch(req, res)) {
    discardBody(res.body);
    const headers = inheritHeaders(req);
    res = await callBelow(env.next, subrequest(req, { method: 'GET', path: req.path, query: req.rawQuery, headers, source: 'SLO' }));
    if (!isTrue(res.headers['x-static-large-object'])) {
      // It stopped being a manifest meanwhile: serve whatever is there now, conditions and all.
      discardBody(res.body);
      return callBelow(env.next, down);
    }
  }
  return largeObjectAnswer(req, env, version, account, res);
}

/** Does the response lack (part of) the manifest body? (Swift's _need_to_refetch_manifest, widened to any non-2xx.) */
function needsRefetch(req: SwiftRequest, res: SwiftResponse): boolean {
  if (req.method === 'HEAD') return true;
  if (!isSuccess(res.status)) return true;
  if (res.status === 206) {
    const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(res.headers['content-range'] ?? '');
    return !m || Number(m[1]) !== 0 || Number(m[2]) !== Number(m[3]) - 1;
  }
  return false;
}

/** The manifest's headers as the large object's: its own etag moves to X-Manifest-Etag. */
function sloHeaders(manifest: Record<string, string>, etag: string, size: number): Record<string, string> {
  const headers = { ...manifest };
  delete headers['content-range'];
  if (headers['etag'] !== undefined) headers['x-manifest-etag'] = headers['etag'];
  headers['etag'] = `"${etag}"`;
  headers['content-length'] = String(size);
  return headers;
}

async function largeObjectAnswer(req: SwiftRequest, env: SloEnv, version: string, account: string,
                                 res: SwiftResponse): Promise<SwiftResponse> {
  const segments = annotate(parseStoredManifest(await readBody(res, MAX_STORED_MANIFEST)));
  const computed = computedAttrs(segments);
  const sysEtag = res.headers[SYSMETA_SLO_ETAG];
  const sysSize = res.headers[SYSMETA_SLO_SIZE];
  const etag = sysEtag || computed.etag;
  const size = sysSize && /^\d+$/.test(sysSize) ? Number(sysSize) : computed.size;
  const headers = sloHeaders(res.headers, etag, size);
  const lister = new SegmentLister(req, env, version, account);
  const o = env.opts;
  return largeObjectResponse(req, {
    headers, size, etag,
    open: (range) => {
      const listing = lister.range(segments, range ? range.start : 0, range ? range.stop - 1 : computed.size - 1);
      const limited = rateLimited<Segment>(listing, o.rate_limit_segments_per_sec, o.rate_limit_after_segment,
        (s) => !('data' in s) && (s.size ?? 0) < o.rate_limit_under_size);
      return segmentChunks({ req, app: env.next, segments: limited, name: req.path, source: 'SLO', maxGetTime: o.max_get_time });
    },
  });
}

/** ?multipart-manifest=get: the manifest as stored (JSON), or as PUT (&format=raw). */
async function manifestResponse(req: SwiftRequest, res: SwiftResponse): Promise<SwiftResponse> {
  if (queryParam(req, 'format') !== 'raw') {
    return { ...res, headers: { ...res.headers, 'content-type': 'application/json; charset=utf-8' } };
  }
  // A HEAD has no body to convert: like Swift, it reports the raw form of an empty list.
  const raw = toRawManifest(parseStoredManifest(await readBody(res, MAX_STORED_MANIFEST)));
  return {
    ...res,
    headers: { ...res.headers, 'content-length': String(raw.length), etag: createHash('md5').update(raw).digest('hex') },
    body: raw,
  };
}
