/**
 * staticweb: serve a container as a web site (Swift's staticweb middleware).
 *
 * Container metadata drives it: X-Container-Meta-Web-Index (index file), -Web-Listings (HTML
 * listings), -Web-Listings-CSS, -Web-Listings-Label, -Web-Error (custom error pages
 * <status><suffix>, e.g. 404error.html) and -Web-Directory-Type (objects of this type and at most one
 * byte are directory markers, default application/directory). It acts on GET/HEAD from anonymous
 * users (whose access is still judged by the container's read ACL: `.r:*` to read, `.rlistings` to
 * list), temp URL users, and authenticated users who send X-Web-Mode: true.
 *
 * Pipeline position: after the auth middleware, which must have set ctx.authorize
 * (Swift: ... tempauth, staticweb, copy ...).
 */
import type { MiddlewareFactory } from '../../pipeline.js';
import type { ObjectStore } from '../../../storage/store.js';
import { subrequest, type Handler, type SwiftRequest, type SwiftResponse } from '../../http.js';
import { errorResponse } from '../../errors.js';
import { getContainerInfo } from '../../info-cache.js';
import { discardBody, isRedirection, isSuccess, readSmallBody } from '../common/body.js';
import { isTrue, stringOption } from '../common/options.js';
import { pyQuote } from '../common/quote.js';
import { splitSwiftPath } from '../common/swift-path.js';
import '../common/context-ext.js';
import { disabledListingPage, listingPage, type ListingItem } from './listing.js';

export interface StaticWebOptions {
  /** "scheme://host" used in redirects instead of the request's (Swift's url_base). */
  url_base: string;
}

interface WebConfig {
  index: string;
  error: string;
  listings: string;
  listingsLabel: string;
  css: string;
  dirType: string;
  readAcl: string | undefined;
}

const NAME = 'staticweb';

class Site {
  private cfg: WebConfig | undefined;
  constructor(private readonly req: SwiftRequest, private readonly next: Handler, private readonly deps: { store: ObjectStore },
              private readonly account: string, private readonly container: string,
              private readonly obj: string | undefined, private readonly urlBase: { scheme?: string; host?: string }) {}

  private get containerPath(): string { return `/${splitSwiftPath(this.req.path)!.version}/${this.account}/${this.container}`; }

  private async config(): Promise<WebConfig> {
    if (this.cfg) return this.cfg;
    const info = await getContainerInfo(this.req, this.deps.store, this.account, this.container);
    const m = info?.metadata ?? {};
    const get = (k: string): string => (m[`x-container-meta-${k}`] ?? '').trim();
    this.cfg = {
      index: get('web-index'), error: get('web-error'), listings: get('web-listings'),
      listingsLabel: get('web-listings-label'), css: get('web-listings-css'), dirType: get('web-directory-type'),
      readAcl: info ? m['x-container-read'] : undefined,
    };
    return this.cfg;
  }

  /** A temp URL granted for this container (staticweb then acts with the grant's authority). */
  private get granted(): boolean {
    const g = this.req.ctx.tempUrl;
    return g !== undefined && g.account === this.account && g.container === this.container;
  }

  private sub(method: string, path: string, query = ''): SwiftRequest {
    const headers: Record<string, string> = { ...this.req.headers };
    delete headers['content-length'];
    delete headers['transfer-encoding'];
    headers['user-agent'] = `${this.req.headers['user-agent'] ?? ''} StaticWeb`.trim();
    // Only a container-only grant (a prefix URL naming the container, which tempurl leaves
    // unauthorized for staticweb to honour) pre-authorizes: any other temp URL already scopes the
    // subrequests derived from it to the key's account or container, and pre-authorizing them
    // would let a DLO index page list and read segments outside that scope.
    return subrequest(this.req, { method, path, query, headers, source: 'SW',
                                  preAuthorized: this.granted && this.req.ctx.tempUrl?.containerOnly === true });
  }

  /** Swift's _error_response: the custom page <status><web-error> under the original status, if it exists. */
  private async errorResponse(resp: SwiftResponse): Promise<SwiftResponse> {
    const cfg = await this.config();
    if (!cfg.error) return resp;
    const page = await this.next(this.sub('GET', `${this.containerPath}/${resp.status}${cfg.error}`));
    if (isSuccess(page.status)) {
      discardBody(resp.body);
      return { ...page, status: resp.status };
    }
    discardBody(page.body);
    return resp;
  }

  private redirectWithSlash(): SwiftResponse {
    const scheme = this.urlBase.scheme ?? 'http';
    const host = this.urlBase.host ?? this.req.headers['host'];
    const path = `${pyQuote(this.req.path)}/`;
    const location = host ? `${scheme}://${host}${path}` : path;
    return { ...errorResponse(301), headers: { ...errorResponse(301).headers, location } };
  }

  async handleContainer(): Promise<SwiftResponse> {
    const cfg = await this.config();
    if (!this.req.ctx.preAuthorized && !this.granted && this.req.ctx.authorize) {
      const denied = await this.req.ctx.authorize(this.req, {
        account: this.account, container: this.container, ...(cfg.readAcl !== undefined ? { acl: cfg.readAcl } : {}),
      });
      if (denied) return this.errorResponse(denied);
    }
    if (!cfg.listings && !cfg.index) {
      if (isTrue(this.req.headers['x-web-mode'] ?? 'f')) return errorResponse(404);
      return this.next(this.req);
    }
    if (!this.req.path.endsWith('/')) return this.redirectWithSlash();
    if (!cfg.index) return this.listing('');
    const resp = await this.next(this.sub(this.req.method, this.req.path + cfg.index, this.req.rawQuery));
    if (resp.status === 404) {
      discardBody(resp.body);
      return this.listing('');
    }
    if (!isSuccess(resp.status) && !isRedirection(resp.status)) return this.errorResponse(resp);
    return resp;
  }

  async handleObject(): Promise<SwiftResponse> {
    const obj = this.obj!;
    let resp = await this.next(this.sub(this.req.method, this.req.path, this.req.rawQuery));
    let status = resp.status;
    const cfg = await this.config();
    if (isSuccess(status) || isRedirection(status)) {
      const dirType = cfg.dirType || 'application/directory';
      const length = Number(resp.headers['content-length'] ?? '0') || 0;
      if (resp.headers['content-type'] !== dirType || length > 1) return resp;
      status = 404; // a directory marker: look for an index or a listing instead
    }
    if (status !== 404) return resp; // Swift uses custom pages for 404s only here
    if (!cfg.listings && !cfg.index) {
      if (resp.status === 404) return resp;
      discardBody(resp.body); // a directory marker is not a page
      return errorResponse(404);
    }
    discardBody(resp.body);
    if (cfg.index) {
      const base = this.req.path.endsWith('/') ? this.req.path : `${this.req.path}/`;
      resp = await this.next(this.sub(this.req.method, base + cfg.index, this.req.rawQuery));
      if (isSuccess(resp.status) || isRedirection(resp.status)) {
        if (!this.req.path.endsWith('/')) {
          discardBody(resp.body);
          return this.redirectWithSlash();
        }
        return resp;
      }
      if (resp.status !== 404) return resp;
      discardBody(resp.body);
    }
    if (!this.req.path.endsWith('/')) {
      const probe = await this.next(this.sub('GET', this.containerPath,
        `limit=1&delimiter=/&format=json&prefix=${pyQuote(`${obj}/`)}`));
      const body = isSuccess(probe.status) ? await readSmallBody(probe) : (discardBody(probe.body), Buffer.alloc(0));
      const items = body.length ? JSON.parse(body.toString('utf8')) as unknown[] : [];
      if (!items.length) return this.errorResponse(errorResponse(404));
      return this.redirectWithSlash();
    }
    return this.listing(obj);
  }

  private async listing(prefix: string): Promise<SwiftResponse> {
    const cfg = await this.config();
    let label = this.req.path;
    if (cfg.listingsLabel) label = `${cfg.listingsLabel}/${this.req.path.split('/').slice(4).join('/')}`;
    if (!isTrue(cfg.listings)) {
      return this.errorResponse(errorResponse(404, disabledListingPage(label, cfg.css, prefix, cfg.index)));
    }
    let query = 'delimiter=/&format=json';
    if (prefix) query += `&prefix=${pyQuote(prefix)}`;
    const resp = await this.next(this.sub('GET', this.containerPath, query));
    if (!isSuccess(resp.status)) return this.errorResponse(resp);
    const body = await readSmallBody(resp);
    const items = (body.length ? JSON.parse(body.toString('utf8')) : []) as ListingItem[];
    if (prefix && !items.length) return this.errorResponse(errorResponse(404));

    let tempUrlQuery = '';
    let tempUrlPrefix = '';
    const grant = this.req.ctx.tempUrl;
    if (grant?.prefix !== undefined) {
      tempUrlPrefix = grant.prefix;
      const parts = [`temp_url_prefix=${pyQuote(grant.prefix)}`, `temp_url_expires=${pyQuote(String(grant.expires))}`,
        `temp_url_sig=${grant.sig}`];
      if (grant.ipRange !== undefined) parts.push(`temp_url_ip_range=${pyQuote(grant.ipRange)}`);
      if (grant.inline) parts.push('inline');
      tempUrlQuery = `?${parts.join('&amp;')}`;
    }
    const html = listingPage({ label, css: cfg.css, prefix, tempUrlPrefix, tempUrlQuery, items });
    return {
      status: 200,
      headers: { 'content-type': 'text/html; charset=UTF-8', 'x-backend-content-generator': 'staticweb',
                 'content-length': String(Buffer.byteLength(html)) },
      body: html,
    };
  }
}

export const staticweb: MiddlewareFactory<StaticWebOptions> = {
  name: NAME,
  defaults: { url_base: '' },
  registerInfo(_opts, info) { info.register(NAME, {}); },
  create(opts, deps) {
    const urlBase: { scheme?: string; host?: string } = {};
    const base = stringOption(NAME, 'url_base', opts.url_base);
    if (base) {
      const u = new URL(base);
      urlBase.scheme = u.protocol.replace(/:$/, '');
      urlBase.host = u.host;
    }
    return (next: Handler): Handler => async (req) => {
      // Without an auth middleware's verdict function there is nothing to judge anonymous access by.
      if (!req.ctx.authorize && !req.ctx.preAuthorized) return next(req);
      if (req.method !== 'GET' && req.method !== 'HEAD') return next(req);
      const sp = splitSwiftPath(req.path);
      if (!sp || !sp.container) return next(req);
      if (req.ctx.identity && !req.ctx.tempUrl && !isTrue(req.headers['x-web-mode'] ?? 'f')) return next(req);
      // A request pre-authorized for another reason (an internal subrequest) is not a web visitor.
      if (req.ctx.preAuthorized && !req.ctx.tempUrl) return next(req);
      const site = new Site(req, next, deps, sp.account, sp.container, sp.object, urlBase);
      return sp.object ? site.handleObject() : site.handleContainer();
    };
  },
};
