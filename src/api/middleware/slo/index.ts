/**
 * slo: Static Large Objects (Swift 2.30's slo middleware).
 *
 * A manifest object lists segment objects (and inline data); a GET of the manifest streams the
 * segments in order as one object. SLO sends subrequests down the pipeline for everything (the store
 * never learns what a manifest is); a manifest is a plain object carrying X-Static-Large-Object: True
 * and the sysmeta X-Object-Sysmeta-Slo-Etag / -Slo-Size.
 *
 *   PUT    ?multipart-manifest=put      validate segments, store the manifest           (put.ts)
 *   GET/HEAD                            the large object; ?multipart-manifest=get the
 *                                       manifest itself, &format=raw as it was PUT      (get.ts)
 *   DELETE ?multipart-manifest=delete   segments, then the manifest, bulk-delete body   (delete.ts)
 *   GET    container                    listings get "slo_etag" for manifests           (container.ts)
 *   other requests carrying X-Static-Large-Object are refused (400).
 *
 * Pipeline position: after copy and the quota middlewares, before dlo, versioned_writes and
 * symlink (Swift: ... copy container-quotas account-quotas slo dlo versioned_writes symlink).
 * Copy must sit above SLO so that copying a manifest copies the assembled object.
 *
 * /info: "slo" with max_manifest_segments, max_manifest_size, yield_frequency, min_segment_size (1)
 * and allow_async_delete (false: async deletes need the object expirer's queue).
 */
import type { MiddlewareFactory } from '../../pipeline.js';
import { ConfigError } from '../../pipeline.js';
import type { Handler, SwiftRequest, SwiftResponse } from '../../http.js';
import { httpError } from '../../errors.js';
import { queryParam as param } from '../lo/subrequest.js';
import { isTrue, numberOption } from '../common/options.js';
import { splitSwiftPath } from '../common/swift-path.js';
import type { SloEnv, SloOptions } from './env.js';
import { handleManifestPut } from './put.js';
import { handleGetOrHead } from './get.js';
import { handleMultipartDelete } from './delete.js';
import { handleContainerListing } from './container.js';

const NAME = 'slo';

const NUMERIC: Array<[keyof SloOptions, number]> = [
  ['max_manifest_segments', 1], ['max_manifest_size', 1], ['yield_frequency', 0], ['max_get_time', 0],
  ['rate_limit_under_size', 0], ['rate_limit_after_segment', 0], ['rate_limit_segments_per_sec', 0],
  ['concurrency', 0], ['delete_concurrency', 0],
];

/** Options as typed numbers/booleans (YAML may give strings, as paste.deploy always does). */
function normalize(opts: SloOptions): SloOptions {
  const out = { ...opts };
  for (const [key, min] of NUMERIC) {
    (out[key] as number) = numberOption(NAME, key, opts[key], { min, integer: key !== 'yield_frequency' });
  }
  // Swift clamps the pile sizes to 1..1000.
  out.concurrency = Math.min(1000, Math.max(1, out.concurrency));
  out.delete_concurrency = Math.min(1000, Math.max(1, out.delete_concurrency));
  out.allow_async_delete = isTrue(opts.allow_async_delete);
  if (out.allow_async_delete) {
    throw new ConfigError(`middleware.${NAME}.allow_async_delete`, 'async SLO deletes are not supported');
  }
  return out;
}

export const slo: MiddlewareFactory<SloOptions> = {
  name: NAME,
  defaults: {
    max_manifest_segments: 1000,
    max_manifest_size: 8 * 1024 * 1024,
    yield_frequency: 10,
    max_get_time: 86400,
    rate_limit_under_size: 1024 * 1024,
    rate_limit_after_segment: 10,
    rate_limit_segments_per_sec: 1,
    concurrency: 2,
    delete_concurrency: 2,
    allow_async_delete: false,
  },
  validate(opts) { normalize(opts); },
  registerInfo(opts, info) {
    const o = normalize(opts);
    info.register(NAME, {
      max_manifest_segments: o.max_manifest_segments,
      max_manifest_size: o.max_manifest_size,
      yield_frequency: o.yield_frequency,
      // No longer configurable in Swift; published as 1 for clients that still read it.
      min_segment_size: 1,
      allow_async_delete: o.allow_async_delete,
    });
  },
  create(opts) {
    const o = normalize(opts);
    return (next: Handler): Handler => {
      const env: SloEnv = { opts: o, next, self: next };
      env.self = (req) => dispatch(req, env);
      return env.self;
    };
  },
};

async function dispatch(req: SwiftRequest, env: SloEnv): Promise<SwiftResponse> {
  const p = splitSwiftPath(req.path);
  if (!p || p.container === undefined) return env.next(req);
  if (p.object === undefined) {
    return req.method === 'GET' ? handleContainerListing(req, env) : env.next(req);
  }
  const mm = param(req, 'multipart-manifest');
  if (req.method === 'PUT' && mm === 'put') return handleManifestPut(req, env, p.version, p.account);
  if (req.method === 'DELETE' && mm === 'delete') {
    return handleMultipartDelete(req, env, p.version, p.account, p.container, p.object);
  }
  if (req.method === 'GET' || req.method === 'HEAD') return handleGetOrHead(req, env, p.version, p.account);
  if ('x-static-large-object' in req.headers) {
    throw httpError(400, 'X-Static-Large-Object is a reserved header. To create a static large object add query '
      + 'param multipart-manifest=put.');
  }
  return env.next(req);
}
