/**
 * Request authentication between gateways (RemoteBrick) and brick servers (src/brickd/): every request
 * carries an HMAC-SHA256, keyed by the volume's shared secret, of
 *
 *     METHOD \n PATH-WITH-QUERY \n DATE \n VOLUME-ID [\n LAYOUT-COMMIT]
 *
 * in `Authorization: Cairn-HMAC-SHA256 <hex>`, with `X-Cairn-Date` (unix milliseconds) and
 * `X-Cairn-Volume`. A gateway that follows the volume's definition also sends `X-Cairn-Layout-Commit`,
 * the layout commit it places data by (the brick server refuses writes under an older commit than the
 * one it holds); it is signed too, so nobody on the path can make a write look current. The server recomputes it and compares in constant time; a date further than
 * `maxSkewMs` from its clock is refused (so a captured request is only replayable inside that window).
 *
 * What it does not cover, on purpose: request and response bodies (streamed object data cannot be
 * signed before it is sent without buffering it). It keeps strangers out of a brick; it is not
 * confidentiality or integrity against someone on the path: run brick traffic on a trusted network
 * (or behind TLS, which `https://` brick URLs use).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidArgument } from '../errors.js';

export const AUTH_SCHEME = 'Cairn-HMAC-SHA256';
export const DATE_HEADER = 'x-cairn-date';
export const VOLUME_HEADER = 'x-cairn-volume';
export const COMMIT_HEADER = 'x-cairn-layout-commit';
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

function mac(secret: string, method: string, path: string, date: string, volume: string, commit: string | undefined): Buffer {
  const tail = commit === undefined ? '' : `\n${commit}`;
  return createHmac('sha256', secret).update(`${method.toUpperCase()}\n${path}\n${date}\n${volume}${tail}`, 'utf8').digest();
}

/**
 * The headers that authenticate one request (`path` exactly as sent, query included); `commit` is the
 * layout commit the request acts under, when the sender follows the volume's definition.
 */
export function authHeaders(secret: string, method: string, path: string, volume: string, now = Date.now(),
                            commit?: number): Record<string, string> {
  const date = String(now);
  const c = commit === undefined ? undefined : String(commit);
  return {
    authorization: `${AUTH_SCHEME} ${mac(secret, method, path, date, volume, c).toString('hex')}`,
    [DATE_HEADER]: date,
    [VOLUME_HEADER]: volume,
    ...(c !== undefined ? { [COMMIT_HEADER]: c } : {}),
  };
}

/** `commit`: the layout commit the request acts under, when it named one. */
export type AuthVerdict = { ok: true; volume: string; commit?: number } | { ok: false; reason: string };

/** Check a request's authentication headers; never throws. */
export function verifyRequest(secret: string, method: string, path: string,
                              headers: Record<string, string | string[] | undefined>,
                              opts: { now?: number; maxSkewMs?: number } = {}): AuthVerdict {
  const auth = single(headers.authorization);
  const date = single(headers[DATE_HEADER]);
  const volume = single(headers[VOLUME_HEADER]) ?? '';
  const commit = single(headers[COMMIT_HEADER]);
  if (auth === undefined) return { ok: false, reason: 'missing Authorization header' };
  const [scheme, given] = auth.split(' ', 2);
  if (scheme !== AUTH_SCHEME || given === undefined || !/^[0-9a-f]{64}$/.test(given)) {
    return { ok: false, reason: `Authorization must be "${AUTH_SCHEME} <hex HMAC>"` };
  }
  if (date === undefined || !/^\d{1,16}$/.test(date)) return { ok: false, reason: `missing or malformed ${DATE_HEADER}` };
  if (commit !== undefined && !/^\d{1,15}$/.test(commit)) return { ok: false, reason: `malformed ${COMMIT_HEADER}` };
  const skew = Math.abs((opts.now ?? Date.now()) - Number(date));
  const max = opts.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  if (skew > max) return { ok: false, reason: `request date is ${Math.round(skew / 1000)} s away from the server clock (max ${max / 1000} s)` };
  const want = mac(secret, method, path, date, volume, commit);
  if (!timingSafeEqual(want, Buffer.from(given, 'hex'))) return { ok: false, reason: 'signature does not match (wrong secret?)' };
  return { ok: true, volume, ...(commit !== undefined ? { commit: Number(commit) } : {}) };
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
