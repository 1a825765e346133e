/**
 * tempurl: temporary URLs (Swift's tempurl middleware).
 *
 * A request carrying `temp_url_sig` and `temp_url_expires` is allowed without a token when the
 * signature is the HMAC of "METHOD\nEXPIRES\nPATH" (or "ip=RANGE\nMETHOD\nEXPIRES\nPATH" with
 * temp_url_ip_range; PATH is "prefix:/v1/a/c/PREFIX" for prefix-based URLs) under one of the keys
 * X-Account-Meta-Temp-URL-Key[-2] or X-Container-Meta-Temp-URL-Key[-2]. The digest is sha1, sha256 or
 * sha512 (hex, or "<algo>:<base64>"), limited by `allowed_digests`. A HEAD is also allowed by a GET,
 * POST or PUT signature. Anything wrong (bad or expired signature, no key, wrong method or path) is
 * answered 401 'Temp URL invalid'.
 *
 * A valid request is pre-authorized, scoped to the key's account or container, stripped of the
 * configured incoming headers, and may not set X-Object-Manifest or X-Symlink-Target. Successful
 * GET/HEAD responses get a Content-Disposition (filename / inline) and an Expires header; configured
 * outgoing headers (X-Object-Meta-* except X-Object-Meta-Public-*) are removed from every response.
 *
 * Pipeline position: before the auth middleware (Swift: ... bulk, tempurl, ratelimit, tempauth ...).
 */
import type { MiddlewareFactory } from '../../pipeline.js';
import { ConfigError } from '../../pipeline.js';
import type { Handler, SwiftRequest, SwiftResponse } from '../../http.js';
import type { Authorizer, RequestContext } from '../../context.js';
import { getAccountInfo, getContainerInfo } from '../../info-cache.js';
import { errorResponse } from '../../errors.js';
import { splitSwiftPath } from '../common/swift-path.js';
import { allowedDigests, constantTimeEqual, hmacHex, parseSignature, tempUrlKeys, type DigestName } from '../common/signatures.js';
import { listOption } from '../common/options.js';
import { clientAddress, type TempUrlGrant } from '../common/context-ext.js';
import { pyQuote } from '../common/quote.js';
import { readTempUrlParams, ipInRange } from './params.js';
import { chooseDisposition, DISALLOWED_INCOMING, filterHeaders, HeaderMatcher } from './headers.js';

export interface TempUrlOptions {
  methods: string | string[];
  incoming_remove_headers: string | string[];
  incoming_allow_headers: string | string[];
  outgoing_remove_headers: string | string[];
  outgoing_allow_headers: string | string[];
  allowed_digests: string | string[];
}

const NAME = 'tempurl';

function lists(opts: TempUrlOptions) {
  return {
    methods: listOption(NAME, 'methods', opts.methods).map((m) => m.toUpperCase()),
    incoming_remove_headers: listOption(NAME, 'incoming_remove_headers', opts.incoming_remove_headers),
    incoming_allow_headers: listOption(NAME, 'incoming_allow_headers', opts.incoming_allow_headers),
    outgoing_remove_headers: listOption(NAME, 'outgoing_remove_headers', opts.outgoing_remove_headers),
    outgoing_allow_headers: listOption(NAME, 'outgoing_allow_headers', opts.outgoing_allow_headers),
    allowed_digests: allowedDigests(opts.allowed_digests, `middleware.${NAME}.allowed_digests`,
      (key, msg) => { throw new ConfigError(key, msg); }),
  };
}

/** Swift's 401 for anything wrong with a temp URL (no body for HEAD). */
export function tempUrlInvalid(req: SwiftRequest, account?: string): SwiftResponse {
  const realm = account ?? splitSwiftPath(req.path)?.account ?? 'unknown';
  const headers = { 'www-authenticate': `Swift realm="${pyQuote(realm)}"` };
  if (req.method === 'HEAD') return { status: 401, headers: { ...headers, 'content-length': '0' } };
  return errorResponse(401, '401 Unauthorized: Temp URL invalid\n', headers);
}

/**
 * Authorize the temp URL request itself, and hold the subrequests middlewares make on its behalf
 * (DLO/SLO segments, copy sources, staticweb listings) to the key's scope, as Swift's
 * authorize_same_account / authorize_same_container do: the request is pre-authorized (so the auth
 * middleware below cannot refuse an anonymous caller), and every context derived from it without
 * an explicit pre-authorization is judged by `scoped` instead of being pre-authorized too.
 */
function scopeSubrequests(ctx: RequestContext, scoped: Authorizer): void {
  const inScope = new WeakSet<RequestContext>([ctx]);
  const baseDerive = ctx.derive;
  ctx.preAuthorized = true;
  ctx.authorize = scoped;
  ctx.derive = function derive(this: RequestContext, over) {
    const child = baseDerive.call(this, over);
    child.derive = derive;
    if (!over.preAuthorized && inScope.has(this)) {
      child.preAuthorized = false;
      child.authorize = scoped;
      inScope.add(child);
    }
    return child;
  };
}

export const tempurl: MiddlewareFactory<TempUrlOptions> = {
  name: NAME,
  defaults: {
    methods: 'GET HEAD PUT POST DELETE',
    incoming_remove_headers: 'x-timestamp',
    incoming_allow_headers: '',
    outgoing_remove_headers: 'x-object-meta-*',
    outgoing_allow_headers: 'x-object-meta-public-*',
    allowed_digests: 'sha1 sha256 sha512',
  },
  validate(opts) { lists(opts); },
  registerInfo(opts, info) { info.register(NAME, lists(opts)); },
  create(opts, deps) {
    const conf = lists(opts);
    const incomingRemove = new HeaderMatcher(conf.incoming_remove_headers);
    const incomingAllow = new HeaderMatcher(conf.incoming_allow_headers);
    const outgoingRemove = new HeaderMatcher(conf.outgoing_remove_headers);
    const outgoingAllow = new HeaderMatcher(conf.outgoing_allow_headers);
    const methods = new Set(conf.methods);
    const digests = new Set<string>(conf.allowed_digests);

    return (next: Handler): Handler => async (req) => {
      if (req.method === 'OPTIONS') return next(req);
      const p = readTempUrlParams(req.query);
      if (p.sig === undefined && p.expires === undefined) return next(req);
      if (!p.sig || !p.expires) return tempUrlInvalid(req);

      const parsed = parseSignature(p.sig);
      if (!parsed || !digests.has(parsed.algorithm)) return tempUrlInvalid(req);
      const algorithm = parsed.algorithm as DigestName;

      const sp = splitSwiftPath(req.path);
      if (!methods.has(req.method) || !sp || sp.version !== 'v1' || !sp.container) return tempUrlInvalid(req);
      // A prefix-based GET/HEAD URL may also name the container itself: that is for staticweb's
      // listings only, so it is not authorized below (see containerOnly).
      const containerOnly = !sp.object?.replace(/\//g, '');
      if (containerOnly && (p.prefix === undefined || (req.method !== 'GET' && req.method !== 'HEAD'))) {
        return tempUrlInvalid(req);
      }
      const { account, container } = sp;
      const object = sp.object ?? '';

      if (p.ipRange !== undefined) {
        const addr = clientAddress(req);
        if (addr === undefined || ipInRange(addr, p.ipRange) !== true) return tempUrlInvalid(req, account);
      }

      const accountInfo = await getAccountInfo(req, deps.store, account);
      const containerInfo = await getContainerInfo(req, deps.store, account, container);
      const keys: Array<[string, 'account' | 'container']> = [
        ...tempUrlKeys(accountInfo?.metadata, 'account').map((k): [string, 'account'] => [k, 'account']),
        ...tempUrlKeys(containerInfo?.metadata, 'container').map((k): [string, 'container'] => [k, 'container']),
      ];
      if (keys.length === 0) return tempUrlInvalid(req, account);

      let path: string;
      if (p.prefix === undefined) {
        path = `/v1/${account}/${container}/${object}`;
      } else {
        if (!object.startsWith(p.prefix)) return tempUrlInvalid(req, account);
        path = `prefix:/v1/${account}/${container}/${p.prefix}`;
      }
      const signedMethods = req.method === 'HEAD' ? ['HEAD', 'GET', 'POST', 'PUT'] : [req.method];
      let scope: 'account' | 'container' | undefined;
      // Every candidate is computed and compared in constant time; stopping at a match leaks nothing
      // an attacker does not already have (a valid signature).
      outer: for (const method of signedMethods) {
        for (const [key, keyScope] of keys) {
          const body = p.ipRange !== undefined
            ? `ip=${p.ipRange}\n${method}\n${p.expires}\n${path}`
            : `${method}\n${p.expires}\n${path}`;
          if (constantTimeEqual(parsed.hex, hmacHex(algorithm, key, body))) {
            scope = keyScope;
            break outer;
          }
        }
      }
      if (scope === undefined) return tempUrlInvalid(req, account);

      if (!['GET', 'HEAD', 'OPTIONS'].includes(req.method)) {
        for (const h of DISALLOWED_INCOMING) {
          if (req.headers[h] !== undefined) {
            const title = h.replace(/(^|-)([a-z])/g, (_m, s: string, c: string) => s + c.toUpperCase());
            return errorResponse(400, `The header '${title}' is not allowed in this tempurl`);
          }
        }
      }
      req.headers = filterHeaders(req.headers, incomingRemove, incomingAllow);

      const grant: TempUrlGrant = {
        scope, account, container, sig: parsed.hex, containerOnly,
        expires: p.expires, inline: p.inline,
        ...(p.prefix !== undefined ? { prefix: p.prefix } : {}),
        ...(p.ipRange !== undefined ? { ipRange: p.ipRange } : {}),
      };
      req.ctx.tempUrl = grant;
      if (!containerOnly) scopeSubrequests(req.ctx, async (r, target) => {
        if (target.account !== account) return tempUrlInvalid(r, account);
        if (scope === 'container' && target.container !== container) return tempUrlInvalid(r, account);
        return undefined;
      });
      // Swift rewrites the query to the temp URL parameters only: nothing else reaches the app.
      const qs = new URLSearchParams();
      qs.set('temp_url_sig', parsed.hex);
      qs.set('temp_url_expires', String(p.expires));
      if (p.prefix !== undefined) qs.set('temp_url_prefix', p.prefix);
      if (p.filename) qs.set('filename', p.filename);
      req.rawQuery = qs.toString();
      req.query = qs;

      const res = await next(req);
      res.headers = filterHeaders(res.headers, outgoingRemove, outgoingAllow);
      // Pages staticweb generates (listings) are shown, not downloaded: no attachment disposition.
      const generated = res.headers['x-backend-content-generator'] === 'staticweb';
      if ((req.method === 'GET' || req.method === 'HEAD') && res.status >= 200 && res.status < 300 && !generated) {
        const existing = res.headers['content-disposition'];
        res.headers['content-disposition'] = chooseDisposition({
          inline: p.inline, path: req.path,
          ...(p.filename ? { filename: p.filename } : {}),
          ...(existing ? { existing } : {}),
        });
        res.headers['expires'] = new Date(p.expires * 1000).toUTCString();
      }
      return res;
    };
  },
};
