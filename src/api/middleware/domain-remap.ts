/**
 * domain_remap: virtual-host style access (Swift's domain_remap middleware).
 *
 * With storage_domain "example.com", a request for Host "c.AUTH-a.example.com" + /o is served as
 * /v1/AUTH_a/c/o, and Host "AUTH-a.example.com" + /c/o as /v1/AUTH_a/c/o. The account part's first
 * '-' becomes '_' when it has no '_', and a known reseller prefix gets its configured case; an
 * account without a known prefix gets default_reseller_prefix, or is left alone when there is none.
 * More than two labels before the storage domain is 400 "Bad domain in host header". Location and
 * Content-Location headers of the response are mapped back to the client's path.
 *
 * Pipeline position: very early (before anything that looks at the path), right after catch_errors
 * and gatekeeper.
 */
import type { MiddlewareFactory } from '../pipeline.js';
import type { Handler } from '../http.js';
import { encodePath } from '../http.js';
import { isTrue, listOption, stringOption } from './common/options.js';

export interface DomainRemapOptions {
  storage_domain: string | string[];
  path_root: string;
  reseller_prefixes: string | string[];
  default_reseller_prefix: string;
  mangle_client_paths: boolean | string;
}

const NAME = 'domain_remap';

export const domainRemap: MiddlewareFactory<DomainRemapOptions> = {
  name: NAME,
  defaults: {
    storage_domain: 'example.com', path_root: 'v1', reseller_prefixes: 'AUTH',
    default_reseller_prefix: '', mangle_client_paths: false,
  },
  validate(o) {
    listOption(NAME, 'storage_domain', o.storage_domain);
    listOption(NAME, 'reseller_prefixes', o.reseller_prefixes);
    stringOption(NAME, 'path_root', o.path_root);
    stringOption(NAME, 'default_reseller_prefix', o.default_reseller_prefix);
  },
  registerInfo(o, info) {
    info.register(NAME, { default_reseller_prefix: stringOption(NAME, 'default_reseller_prefix', o.default_reseller_prefix) });
  },
  create(opts) {
    const domains = listOption(NAME, 'storage_domain', opts.storage_domain).map((d) => (d.startsWith('.') ? d : `.${d}`));
    const pathRoot = `${stringOption(NAME, 'path_root', opts.path_root).replace(/^\/+|\/+$/g, '')}/`;
    const prefixes = listOption(NAME, 'reseller_prefixes', opts.reseller_prefixes);
    const prefixesLower = prefixes.map((p) => p.toLowerCase());
    const defaultPrefix = stringOption(NAME, 'default_reseller_prefix', opts.default_reseller_prefix);
    const mangle = isTrue(opts.mangle_client_paths);

    return (next: Handler): Handler => async (req) => {
      if (domains.length === 0) return next(req);
      let host = req.headers['host'] ?? '';
      const colon = host.lastIndexOf(':');
      if (colon >= 0 && !host.endsWith(']')) host = host.slice(0, colon);
      const domain = domains.find((d) => host.endsWith(d));
      if (!domain) return next(req);
      // Node hands header values over as latin-1 (one character per byte); Swift's WSGI strings
      // are the same bytes, which become the UTF-8 path below: decode the labels as UTF-8.
      let hostIsUtf8 = true;
      const labels = host.slice(0, -domain.length).replace(/^\.+|\.+$/g, '').split('.').map((label) => {
        const decoded = latin1ToUtf8(label);
        if (decoded === undefined) hostIsUtf8 = false;
        return decoded ?? Buffer.from(label, 'latin1').toString('utf8');
      });
      let container: string | undefined;
      let account: string;
      if (labels.length === 2) [container, account] = labels as [string, string];
      else if (labels.length === 1) account = labels[0]!;
      else {
        const body = 'Bad domain in host header';
        return { status: 400, headers: { 'content-type': 'text/plain', 'content-length': String(body.length) }, body };
      }
      if (!account) return next(req);
      if (prefixes.length > 0) {
        if (!account.includes('_') && account.includes('-')) account = account.replace('-', '_');
        const given = account.split('_', 1)[0]!.toLowerCase();
        const i = prefixesLower.indexOf(given);
        if (i >= 0) {
          const real = prefixes[i]!;
          if (!account.startsWith(real)) account = real + account.slice(real.length);
        } else if (defaultPrefix) {
          account = `${defaultPrefix}_${account}`;
        } else {
          return next(req);
        }
      }
      const requested = req.path;
      let rest = requested.slice(1);
      if (mangle && `${rest}/`.startsWith(pathRoot)) rest = rest.slice(pathRoot.length);
      const parts = ['', pathRoot.slice(0, -1), account];
      if (container) parts.push(container);
      parts.push(rest);
      const remapped = parts.join('/');
      req.path = remapped;
      req.rawPath = encodePath(remapped);
      // A Host that is not UTF-8 makes a path that is not either: the proxy answers 412, as Swift's.
      if (!hostIsUtf8) req.pathIsUtf8 = false;
      const res = await next(req);
      // Redirects and Content-Location speak of the remapped path; give the client back its own.
      const encodedRemapped = encodePath(remapped);
      for (const h of ['location', 'content-location']) {
        const v = res.headers[h];
        if (v === undefined) continue;
        for (const from of [encodedRemapped, remapped]) {
          const at = v.indexOf(from);
          if (at >= 0) {
            res.headers[h] = v.slice(0, at) + (from === remapped ? requested : encodePath(requested)) + v.slice(at + from.length);
            break;
          }
        }
      }
      return res;
    };
  },
};

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The UTF-8 text of a latin-1 header string's bytes, or undefined when they are not valid UTF-8. */
function latin1ToUtf8(s: string): string | undefined {
  if (/^[\x00-\x7f]*$/.test(s)) return s;
  try {
    return strictUtf8.decode(Buffer.from(s, 'latin1'));
  } catch {
    return undefined;
  }
}
