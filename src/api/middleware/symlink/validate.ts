/**
 * Checking a symlink PUT's headers (Swift's symlink._validate_and_prep_request_headers and
 * constraints.check_path_header / check_account_format), with Swift's statuses and messages:
 *
 * - X-Symlink-Target must be `<container>/<object>` (percent-encoding allowed, no leading '/'):
 *   412 'X-Symlink-Target header must be of the form <container name>/<object name>'.
 * - X-Symlink-Target-Account must be non-empty and contain no '/': 412 'Account name cannot be
 *   empty' / 'Account name cannot contain slashes'.
 * - A link to itself: 400 'Symlink cannot target itself'.
 * - X-Symlink-Target-Etag may not contain ';', '"' or '\': 400 'Bad X-Symlink-Target-Etag format'.
 *
 * The target headers are rewritten in their canonical quoted form, and a dynamic link without a
 * Content-Type gets 'application/symlink'.
 */
import { httpError } from '../../errors.js';
import { pyQuote, pyUnquote } from '../common/quote.js';
import { TGT_ACCT_SYMLINK_HDR, TGT_ETAG_SYMLINK_HDR, TGT_OBJ_SYMLINK_HDR } from './headers.js';
import { normalizeEtag } from '../../controllers/object/conditional.js';
import { fromHeader } from '../../headers.js';

const FORM_ERROR = 'X-Symlink-Target header must be of the form <container name>/<object name>';

/** What a valid symlink PUT points at. */
export interface SymlinkTarget {
  /** Decoded `/v1/<account>/<container>/<object>` of the target. */
  path: string;
  /** The normalized X-Symlink-Target-Etag (static link), if any. */
  etag?: string;
}

/**
 * Validate the symlink headers of a PUT to `/<version>/<account>/<container>/<object>` and
 * normalize them in `headers` (a copy the caller owns). Throws the Swift error response.
 */
export function validateSymlinkPut(headers: Record<string, string>, self: { account: string; container: string; object: string }): SymlinkTarget {
  const raw = pyUnquote(fromHeader(headers[TGT_OBJ_SYMLINK_HDR] ?? ''));
  if (raw.startsWith('/')) throw httpError(412, FORM_ERROR, { 'content-type': 'text/plain' });
  // check_path_header: split_path('/' + value, 2, 2, rest_with_last=True)
  const slash = raw.indexOf('/');
  const container = slash < 0 ? raw : raw.slice(0, slash);
  const object = slash < 0 ? '' : raw.slice(slash + 1);
  if (!container || !object) throw httpError(412, FORM_ERROR);
  headers[TGT_OBJ_SYMLINK_HDR] = pyQuote(`${container}/${object}`);

  let account = self.account;
  if (headers[TGT_ACCT_SYMLINK_HDR] !== undefined) {
    const given = pyUnquote(fromHeader(headers[TGT_ACCT_SYMLINK_HDR]!));
    if (!given) throw httpError(412, 'Account name cannot be empty');
    if (given.includes('/')) throw httpError(412, 'Account name cannot contain slashes');
    account = given;
    headers[TGT_ACCT_SYMLINK_HDR] = pyQuote(account);
  }

  if (account === self.account && container === self.container && object === self.object) {
    throw httpError(400, 'Symlink cannot target itself', { 'content-type': 'text/plain' });
  }
  const etag = normalizeEtag(headers[TGT_ETAG_SYMLINK_HDR]);
  if (etag && /[;"\\]/.test(etag)) {
    throw httpError(400, 'Bad X-Symlink-Target-Etag format', { 'content-type': 'text/plain' });
  }
  if (!etag && !headers['content-type']) headers['content-type'] = 'application/symlink';
  const target: SymlinkTarget = { path: `/v1/${account}/${container}/${object}` };
  if (etag) target.etag = etag;
  return target;
}
