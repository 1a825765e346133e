/**
 * cors: Cross-Origin Resource Sharing for containers and objects, as Swift's proxy does it
 * (Controller.OPTIONS and the cors_validation decorator in proxy/controllers/base.py), made a
 * middleware so it also covers responses that other middlewares produce.
 *
 * - Preflight (OPTIONS with Origin on a container or object): 200 with Allow,
 *   Access-Control-Allow-Origin ('*' or the origin), Vary, Access-Control-Max-Age,
 *   Access-Control-Allow-Methods and the requested Access-Control-Allow-Headers when the origin is in
 *   X-Container-Meta-Access-Control-Allow-Origin (space separated, '*' for all) or in the
 *   `cors_allow_origin` option, and the requested method is allowed; otherwise 401. Account paths and
 *   OPTIONS without Origin go to the proxy (no auth is asked for a preflight, as tempauth never does).
 * - Actual requests with Origin: the response gets Access-Control-Expose-Headers (simple headers,
 *   etag, x-timestamp, x-trans-id, x-openstack-request-id, the `cors_expose_headers` option, the
 *   response's X-Container-Meta-* / X-Object-Meta-*, and X-Container-Meta-Access-Control-Expose-Headers)
 *   and Access-Control-Allow-Origin, unless `strict_cors_mode` (default true) and the origin is not
 *   allowed.
 *
 * Pipeline position: early, after catch_errors/gatekeeper/proxy-logging and before the middlewares
 * that answer by themselves (formpost, tempurl, staticweb) and before auth.
 */
import type { MiddlewareFactory } from '../pipeline.js';
import type { Handler, SwiftRequest, SwiftResponse } from '../http.js';
import { getContainerInfo } from '../info-cache.js';
import { CONTAINER_METHODS } from '../controllers/container.js';
import { OBJECT_METHODS } from '../proxy.js';
import { isTrue, listOption } from './common/options.js';
import { splitSwiftPath, isApiVersion } from './common/swift-path.js';

export interface CorsOptions {
  /** Origins allowed for every container, in addition to each container's own list. */
  cors_allow_origin: string | string[];
  /** Headers exposed on every CORS response, in addition to Swift's defaults. */
  cors_expose_headers: string | string[];
  /** Only answer actual requests with CORS headers when the origin is allowed. */
  strict_cors_mode: boolean | string;
}

interface CorsInfo { allowOrigin?: string; maxAge?: string; exposeHeaders?: string }

const NAME = 'cors';
const DEFAULT_EXPOSE = ['cache-control', 'content-language', 'content-type', 'expires', 'last-modified',
  'pragma', 'etag', 'x-timestamp', 'x-trans-id', 'x-openstack-request-id'];

function originAllowed(cors: CorsInfo, globalOrigins: string[], origin: string): boolean {
  const allowed = new Set(globalOrigins);
  for (const o of (cors.allowOrigin ?? '').split(' ')) if (o.trim()) allowed.add(o.trim());
  return allowed.has(origin) || allowed.has('*');
}

export const cors: MiddlewareFactory<CorsOptions> = {
  name: NAME,
  defaults: { cors_allow_origin: '', cors_expose_headers: '', strict_cors_mode: true },
  validate(o) {
    listOption(NAME, 'cors_allow_origin', o.cors_allow_origin);
    listOption(NAME, 'cors_expose_headers', o.cors_expose_headers);
  },
  // Swift publishes its proxy's strict_cors_mode in the "swift" section of /info.
  registerInfo(o, info) { info.register('swift', { strict_cors_mode: isTrue(o.strict_cors_mode) }); },
  create(opts, deps) {
    const globalOrigins = listOption(NAME, 'cors_allow_origin', opts.cors_allow_origin);
    const globalExpose = listOption(NAME, 'cors_expose_headers', opts.cors_expose_headers).map((h) => h.toLowerCase());
    const strict = isTrue(opts.strict_cors_mode);
    const hasCopy = deps.config.pipeline.includes('copy');

    async function corsInfo(req: SwiftRequest, account: string, container: string): Promise<CorsInfo> {
      const info = await getContainerInfo(req, deps.store, account, container);
      const m = info?.metadata ?? {};
      const out: CorsInfo = {};
      const origin = m['x-container-meta-access-control-allow-origin'];
      const maxAge = m['x-container-meta-access-control-max-age'];
      const expose = m['x-container-meta-access-control-expose-headers'];
      if (origin !== undefined) out.allowOrigin = origin;
      if (maxAge !== undefined) out.maxAge = maxAge;
      if (expose !== undefined) out.exposeHeaders = expose;
      return out;
    }

    function preflight(req: SwiftRequest, info: CorsInfo, origin: string, allowed: string[]): SwiftResponse {
      const headers: Record<string, string> = { allow: allowed.join(', ') };
      const method = req.headers['access-control-request-method'];
      if (!originAllowed(info, globalOrigins, origin) || method === undefined || !allowed.includes(method)) {
        return { status: 401, headers: { ...headers, 'content-length': '0' }, body: '' };
      }
      headers['access-control-allow-origin'] = info.allowOrigin?.trim() === '*' ? '*' : origin;
      headers['vary'] = 'Origin';
      if (info.maxAge !== undefined) headers['access-control-max-age'] = info.maxAge;
      headers['access-control-allow-methods'] = allowed.join(', ');
      const requested = [...new Set((req.headers['access-control-request-headers'] ?? '')
        .split(',').map((h) => h.trim()).filter(Boolean))];
      if (requested.length) {
        headers['access-control-allow-headers'] = requested.join(', ');
        headers['vary'] += ', Access-Control-Request-Headers';
      }
      return { status: 200, headers: { ...headers, 'content-length': '0' }, body: '' };
    }

    return (next: Handler): Handler => async (req) => {
      const origin = req.headers['origin'];
      if (!origin) return next(req);
      const sp = splitSwiftPath(req.path);
      if (!sp || !sp.container || !isApiVersion(sp.version)) return next(req);
      const info = await corsInfo(req, sp.account, sp.container);
      if (req.method === 'OPTIONS') {
        const allowed = sp.object ? (hasCopy ? [...OBJECT_METHODS, 'COPY'] : OBJECT_METHODS) : CONTAINER_METHODS;
        return preflight(req, info, origin, allowed);
      }
      const res = await next(req);
      if (strict && !originAllowed(info, globalOrigins, origin)) return res;
      if (res.headers['access-control-expose-headers'] === undefined) {
        const expose = new Set([...DEFAULT_EXPOSE, ...globalExpose]);
        for (const h of Object.keys(res.headers)) {
          if (h.startsWith('x-container-meta') || h.startsWith('x-object-meta')) expose.add(h);
        }
        for (const h of (info.exposeHeaders ?? '').split(' ')) if (h.trim()) expose.add(h.trim().toLowerCase());
        res.headers['access-control-expose-headers'] = [...expose].join(', ');
      }
      if (res.headers['access-control-allow-origin'] === undefined) {
        if (info.allowOrigin?.trim() === '*') {
          res.headers['access-control-allow-origin'] = '*';
        } else {
          res.headers['access-control-allow-origin'] = origin;
          res.headers['vary'] = res.headers['vary'] ? `${res.headers['vary']}, Origin` : 'Origin';
        }
      }
      return res;
    };
  },
};

