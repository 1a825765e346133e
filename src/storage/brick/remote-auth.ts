/**
 * Request authentication between gateways (RemoteBrick) and brick servers (src/brickd/): every request
 * carries an HMAC-SHA256, keyed by the volume's shared secret, of
 *
 *     METHOD \n PATH-WITH-QUERY \n DATE \n VOLUME-ID [\n LAYOUT-COMMIT [\n DEFINITION]]
 *
 * in `Authorization: Cairn-HMAC-SHA256 <hex>`, with `X-Cairn-Date` (unix milliseconds) and
 * `X-Cairn-Volume`. A gateway that follows the volume's definition also sends `X-Cairn-Layout-Commit`,
 * the layout commit it places data by, and `X-Cairn-Definition`, the rest of its definition's version
 * (`REVISION.DIGEST.PLACEMENT`, definition-version.ts): the brick server refuses writes placed by an
 * older definition than the one it holds. Both are signed, so nobody on the path can make a write
 * look current. The server recomputes the HMAC and compares in constant time; a date further than
 * `maxSkewMs` from its clock is refused (so a captured request is only replayable inside that window).
 *
 * What it does not cover, on purpose: request and response bodies (streamed object data cannot be
 * signed before it is sent without buffering it). It keeps strangers out of a brick; it is not
 * confidentiality or integrity against someone on the path: run brick traffic on a trusted network
 * (or behind TLS, which `https://` brick URLs use).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { WIRE_VERSION_RE } from '../definition-version.js';
import { InvalidArgument } from '../errors.js';

export const AUTH_SCHEME = 'Cairn-HMAC-SHA256';
export const DATE_HEADER = 'x-cairn-date';
export const VOLUME_HEADER = 'x-cairn-volume';
export const COMMIT_HEADER = 'x-cairn-layout-commit';
/** `REVISION.DIGEST.PLACEMENT` of the definition the request acts under; only sent with a commit. */
export const DEFINITION_HEADER = 'x-cairn-definition';
/** Shorter secrets are refused on both sides: they could be guessed. */
export const MIN_SECRET_LENGTH = 16;
/** How far a request's date may be from the server's clock (Swift's tempurl and S3 use minutes too). */
export const DEFAULT_MAX_SKEW_MS = 5 * 60_000;

/** Throw InvalidArgument (naming `where`) unless `secret` is long enough to be a secret. */
export function checkSecret(secret: string | undefined, where: string): asserts secret is string {
  if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
    throw new InvalidArgument(`${where}: the shared secret must be at least ${MIN_SECRET_LENGTH} characters`);
  }
}

function mac(secret: string, method: string, path: string, date: string, volume: string, commit: string | undefined,
             definition: string | undefined): Buffer {
  const tail = commit === undefined ? '' : `\n${commit}${definition === undefined ? '' : `\n${definition}`}`;
  return createHmac('sha256', secret).update(`${method.toUpperCase()}\n${path}\n${date}\n${volume}${tail}`, 'utf8').digest();
}

/**
 * The headers that authenticate one request (`path` exactly as sent, query included); `commit` is the
 * layout commit the request acts under, when the sender follows the volume's definition, and
 * `definition` the rest of that definition's version (formatWireVersion).
 */
export function authHeaders(secret: string, method: string, path: string, volume: string, now = Date.now(),
                            commit?: number, definition?: string): Record<string, string> {
  const date = String(now);
  const c = commit === undefined ? undefined : String(commit);
  const d = c === undefined ? undefined : definition;
  return {
    authorization: `${AUTH_SCHEME} ${mac(secret, method, path, date, volume, c, d).toString('hex')}`,
    [DATE_HEADER]: date,
    [VOLUME_HEADER]: volume,
    ...(c !== undefined ? { [COMMIT_HEADER]: c } : {}),
    ...(d !== undefined ? { [DEFINITION_HEADER]: d } : {}),
  };
}

/** `commit` and `definition`: the definition the request acts under, when it named one. */
export type AuthVerdict = { ok: true; volume: string; commit?: number; definition?: string } | { ok: false; reason: string };

/** Check a request's authentication headers; never throws. */
export function verifyRequest(secret: string, method: string, path: string,
                              headers: Record<string, string | string[] | undefined>,
                              opts: { now?: number; maxSkewMs?: number } = {}): AuthVerdict {
  const auth = single(headers.authorization);
  const date = single(headers[DATE_HEADER]);
  const volume = single(headers[VOLUME_HEADER]) ?? '';
  const commit = single(headers[COMMIT_HEADER]);
  const definition = commit === undefined ? undefined : single(headers[DEFINITION_HEADER]);
  if (auth === undefined) return { ok: false, reason: 'missing Authorization header' };
  const [scheme, given] = auth.split(' ', 2);
  if (scheme !== AUTH_SCHEME || given === undefined || !/^[0-9a-f]{64}$/.test(given)) {
    return { ok: false, reason: `Authorization must be "${AUTH_SCHEME} <hex HMAC>"` };
  }
  if (date === undefined || !/^\d{1,16}$/.test(date)) return { ok: false, reason: `missing or malformed ${DATE_HEADER}` };
  if (commit !== undefined && !/^\d{1,15}$/.test(commit)) return { ok: false, reason: `malformed ${COMMIT_HEADER}` };
  if (definition !== undefined && !WIRE_VERSION_RE.test(definition)) return { ok: false, reason: `malformed ${DEFINITION_HEADER}` };
  const skew = Math.abs((opts.now ?? Date.now()) - Number(date));
  const max = opts.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  if (skew > max) return { ok: false, reason: `request date is ${Math.round(skew / 1000)} s away from the server clock (max ${max / 1000} s)` };
  const want = mac(secret, method, path, date, volume, commit, definition);
  if (!timingSafeEqual(want, Buffer.from(given, 'hex'))) return { ok: false, reason: 'signature does not match (wrong secret?)' };
  return { ok: true, volume, ...(commit !== undefined ? { commit: Number(commit) } : {}), ...(definition !== undefined ? { definition } : {}) };
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
