/**
 * formpost: browser form uploads straight into a container (Swift's formpost middleware).
 *
 * A POST with Content-Type multipart/form-data is taken over: the form's fields redirect,
 * max_file_size, max_file_count, expires and signature (an HMAC over
 * "path\nredirect\nmax_file_size\nmax_file_count\nexpires" under one of the account's or the
 * container's Temp-URL keys, sha1/sha256/sha512 limited by allowed_digests) authorize streaming
 * each file part into a pre-authorized PUT of <path>/<filename>. Optional fields: x_delete_at,
 * x_delete_after, content-type. The answer is Swift's: a text body "<status>[\r\nFormPost: <Message>]"
 * or, with a redirect, 303 to redirect?status=<code>&message=<message>; 401 "FormPost: Invalid
 * Signature" / "FormPost: Form Expired"; 400 "FormPost: max_file_size exceeded" and the like.
 *
 * Pipeline position: before the auth middleware (Swift: ... tempurl, formpost, ratelimit, tempauth ...).
 */
import type { MiddlewareFactory } from '../../pipeline.js';
import { ConfigError } from '../../pipeline.js';
import type { Handler, SwiftResponse } from '../../http.js';
import { getAccountInfo, getContainerInfo } from '../../info-cache.js';
import { textResponse } from '../common/body.js';
import { allowedDigests, tempUrlKeys } from '../common/signatures.js';
import { pyQuote } from '../common/quote.js';
import { FormInvalid, FormUnauthorized, pyTitle } from './errors.js';
import { translateForm, type FormResult } from './form.js';

export interface FormPostOptions {
  allowed_digests: string | string[];
}

const NAME = 'formpost';

function digests(opts: FormPostOptions) {
  return allowedDigests(opts.allowed_digests, `middleware.${NAME}.allowed_digests`,
    (key, msg) => { throw new ConfigError(key, msg); });
}

/** Is this a multipart/form-data Content-Type with a boundary? */
function isForm(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const [type, ...params] = contentType.split(';');
  return type!.trim().toLowerCase() === 'multipart/form-data'
    && params.some((p) => p.trim().toLowerCase().startsWith('boundary='));
}

/** Swift's final answer for a processed form. */
export function formResponse(r: FormResult): SwiftResponse {
  if (!r.redirect) {
    const body = r.message ? `${r.status}\r\nFormPost: ${pyTitle(r.message)}` : r.status;
    const status = parseInt(r.status, 10);
    return textResponse(status, body, r.headers);
  }
  const code = r.status.split(' ', 1)[0]!;
  const location = `${r.redirect}${r.redirect.includes('?') ? '&' : '?'}status=${pyQuote(code)}&message=${pyQuote(r.message)}`;
  const body = `<html><body><p><a href="${location}">Click to continue...</a></p></body></html>`;
  return { status: 303, headers: { ...r.headers, location, 'content-length': String(Buffer.byteLength(body)) }, body };
}

export const formpost: MiddlewareFactory<FormPostOptions> = {
  name: NAME,
  defaults: { allowed_digests: 'sha1 sha256 sha512' },
  validate(opts) { digests(opts); },
  registerInfo(opts, info) { info.register(NAME, { allowed_digests: digests(opts) }); },
  create(opts, deps) {
    const allowed = new Set<string>(digests(opts));
    return (next: Handler): Handler => async (req) => {
      if (req.method !== 'POST' || !isForm(req.headers['content-type'])) return next(req);
      // Keys only for a /v1/<account>/<container>[/...] path (Swift's _get_keys).
      const parts = req.path.split('/');
      let keys: string[] = [];
      if (parts.length >= 4 && parts[0] === '' && parts[1] === 'v1' && parts[2] && parts[3]) {
        const account = parts[2];
        const container = parts[3];
        const ai = await getAccountInfo(req, deps.store, account);
        const ci = await getContainerInfo(req, deps.store, account, container);
        keys = [...tempUrlKeys(ai?.metadata, 'account'), ...tempUrlKeys(ci?.metadata, 'container')];
      }
      try {
        const result = await translateForm({
          req, next, boundaryContentType: req.headers['content-type']!, keys, allowedDigests: allowed,
        });
        return formResponse(result);
      } catch (err) {
        if (err instanceof FormUnauthorized) return textResponse(401, `FormPost: ${pyTitle(err.message)}`);
        if (err instanceof FormInvalid) return textResponse(400, `FormPost: ${err.message}`);
        throw err;
      }
    };
  },
};
