/**
 * Object requests through the symlink middleware (Swift's SymlinkObjectContext.handle_object):
 *
 * - GET/HEAD `?symlink=get`: the link itself, its sysmeta shown as X-Symlink-Target(-Account,
 *   -Etag, -Bytes).
 * - GET/HEAD: follow links (follow.ts). Range is ignored on the link object itself (its whole,
 *   empty body is fetched) so a ranged GET of a link is answered by the target.
 * - PUT with X-Symlink-Target: zero-byte body only (400 'Symlink requests require a zero byte
 *   body'), validated headers (validate.ts), static links checked against their target (409 'X-
 *   Symlink-Target does not exist', etag mismatches), then stored as sysmeta plus the container
 *   listing's override etag `d41d8...; symlink_target=...[; symlink_target_account=...]
 *   [; symlink_target_etag=...; symlink_target_bytes=...]`.
 * - POST with X-Symlink-Target: 400 'A PUT request is required to set a symlink target'. A POST
 *   that lands on a link is applied to the link and answered 307 with Location = the target.
 * - DELETE, OPTIONS, other PUTs: unchanged.
 */
import { errorResponse, httpError } from '../../errors.js';
import { subrequest, type Handler, type SwiftRequest, type SwiftResponse } from '../../http.js';
import { getParam } from '../../params.js';
import { drain, hasBody, withHeaders, withoutBody } from '../common/call-below.js';
import { isSuccess } from '../common/body.js';
import { isTrue } from '../common/options.js';
import { pyQuote } from '../common/quote.js';
import { allowsReservedNames, ALLOW_RESERVED_NAMES } from '../common/reserved-names.js';
import { IGNORE_RANGE, csvAppend } from '../lo/subrequest.js';
import { SymlinkFollower } from './follow.js';
import {
  MD5_OF_EMPTY_STRING, OVERRIDE_ETAG, SYMLINK_OVERRIDE, symlinkSysmetaToUser, symlinkUserToSysmeta,
  TGT_ACCT_SYSMETA_SYMLINK_HDR, TGT_BYTES_SYMLINK_HDR, TGT_BYTES_SYSMETA_SYMLINK_HDR, TGT_ETAG_SYMLINK_HDR,
  TGT_ETAG_SYSMETA_SYMLINK_HDR, TGT_OBJ_SYMLINK_HDR, TGT_OBJ_SYSMETA_SYMLINK_HDR,
} from './headers.js';
import { validateSymlinkPut } from './validate.js';

export interface ObjectPath { version: string; account: string; container: string; object: string }

export async function handleSymlinkObject(req: SwiftRequest, p: ObjectPath, next: Handler,
                                          symloopMax: number): Promise<SwiftResponse> {
  if (req.method === 'GET' || req.method === 'HEAD') {
    if (getParam(req, 'symlink') === 'get') {
      const res = await next(req);
      return { ...res, headers: symlinkSysmetaToUser(res.headers) };
    }
    const ranged = withHeaders(req, { [IGNORE_RANGE]: csvAppend(req.headers[IGNORE_RANGE], TGT_OBJ_SYSMETA_SYMLINK_HDR) });
    return new SymlinkFollower(next, symloopMax).getHead(ranged);
  }
  if (req.method === 'PUT' && req.headers[TGT_OBJ_SYMLINK_HDR] !== undefined) return put(req, p, next, symloopMax);
  if (req.method === 'POST') return post(req, p, next);
  return next(req);
}

async function put(req: SwiftRequest, p: ObjectPath, next: Handler, symloopMax: number): Promise<SwiftResponse> {
  if (await hasBody(req)) {
    throw httpError(400, 'Symlink requests require a zero byte body', { 'content-type': 'text/plain' });
  }
  const headers = { ...req.headers };
  const target = validateSymlinkPut(headers, p);
  if (target.etag) await checkStaticTarget(req, headers, target.path, target.etag, next, symloopMax);
  symlinkUserToSysmeta(headers);
  delete headers[TGT_ETAG_SYMLINK_HDR];
  delete headers[TGT_BYTES_SYMLINK_HDR];
  delete headers[SYMLINK_OVERRIDE];
  // Swift keeps symlink info for listings in the (immutable) listing etag of the zero-byte object.
  const override = [headers[OVERRIDE_ETAG] ?? MD5_OF_EMPTY_STRING, `symlink_target=${headers[TGT_OBJ_SYSMETA_SYMLINK_HDR]!}`];
  if (headers[TGT_ACCT_SYSMETA_SYMLINK_HDR] !== undefined) {
    override.push(`symlink_target_account=${headers[TGT_ACCT_SYSMETA_SYMLINK_HDR]!}`);
  }
  if (headers[TGT_ETAG_SYSMETA_SYMLINK_HDR] !== undefined) {
    override.push(`symlink_target_etag=${headers[TGT_ETAG_SYSMETA_SYMLINK_HDR]!}`,
                  `symlink_target_bytes=${headers[TGT_BYTES_SYSMETA_SYMLINK_HDR] ?? ''}`);
  }
  headers[OVERRIDE_ETAG] = override.join('; ');
  return next(withoutBody({ ...req, headers }));
}

/**
 * Swift's _validate_etag_and_update_sysmeta: a static link must point at an existing object with
 * that etag (following only static links); its size (the SLO's total for a manifest) and, unless
 * given, its Content-Type are recorded. Updates `headers` in place.
 */
async function checkStaticTarget(req: SwiftRequest, headers: Record<string, string>, targetPath: string,
                                 etag: string, next: Handler, symloopMax: number): Promise<void> {
  if (isTrue(req.headers[SYMLINK_OVERRIDE] ?? '')) {
    // Copying a link as a link: the source link's recorded etag and size are taken as they are.
    headers[TGT_ETAG_SYSMETA_SYMLINK_HDR] = etag;
    headers[TGT_BYTES_SYSMETA_SYMLINK_HDR] = headers[TGT_BYTES_SYMLINK_HDR] ?? '';
    return;
  }
  const head = subrequest(req, {
    method: 'HEAD', path: targetPath, source: 'SYM',
    headers: allowsReservedNames(req) ? { [ALLOW_RESERVED_NAMES]: 'true' } : {},
  });
  const follower = new SymlinkFollower(next, symloopMax);
  follower.lastTargetPath = targetPath;
  const res = await follower.recurse(head, etag, false, head);
  drain(res);
  if (res.status === 404) {
    throw httpError(409, 'X-Symlink-Target does not exist',
                    { 'content-type': 'text/plain', 'content-location': follower.lastTargetPath ?? targetPath });
  }
  if (!isSuccess(res.status)) throw httpError(res.status);
  const h = res.headers;
  // Carry forward etag parameters of the target's own listing override (e.g. SLO's slo_etag).
  if (h[OVERRIDE_ETAG] !== undefined && headers[OVERRIDE_ETAG] === undefined) {
    const semi = h[OVERRIDE_ETAG]!.indexOf(';');
    if (semi >= 0) headers[OVERRIDE_ETAG] = MD5_OF_EMPTY_STRING + h[OVERRIDE_ETAG]!.slice(semi);
  }
  if (h['x-object-sysmeta-slo-etag'] !== undefined && headers[OVERRIDE_ETAG] === undefined) {
    headers[OVERRIDE_ETAG] = `${MD5_OF_EMPTY_STRING}; slo_etag=${h['x-object-sysmeta-slo-etag']}`;
  }
  headers[TGT_BYTES_SYSMETA_SYMLINK_HDR] = h['x-object-sysmeta-slo-size'] || h['content-length'] || '0';
  headers[TGT_ETAG_SYSMETA_SYMLINK_HDR] = etag;
  if (!headers['content-type'] && h['content-type']) headers['content-type'] = h['content-type'];
}

async function post(req: SwiftRequest, p: ObjectPath, next: Handler): Promise<SwiftResponse> {
  if (req.headers[TGT_OBJ_SYMLINK_HDR] !== undefined) {
    throw httpError(400, 'A PUT request is required to set a symlink target', { 'content-type': 'text/plain' });
  }
  const res = await next(req);
  if (!isSuccess(res.status)) return res;
  const target = res.headers[TGT_OBJ_SYSMETA_SYMLINK_HDR];
  if (!target) return res;
  drain(res);
  // The POST was applied to the link (the object layer cannot know it is one); tell the client
  // where the target is. Location stays relative, as Swift's swift.leave_relative_location.
  const account = res.headers[TGT_ACCT_SYSMETA_SYMLINK_HDR] || pyQuote(p.account);
  const headers: Record<string, string> = { location: `/${p.version}/${account}/${target}` };
  const etag = res.headers[TGT_ETAG_SYSMETA_SYMLINK_HDR];
  if (etag) headers[TGT_ETAG_SYMLINK_HDR] = etag;
  // Sysmeta goes back up so middlewares above (object versioning) can tell what kind of link it is.
  for (const [k, v] of Object.entries(res.headers)) if (k.startsWith('x-object-sysmeta-')) headers[k] = v;
  return errorResponse(307, 'The requested POST was applied to a symlink. POST directly to the target to apply requested metadata.', headers);
}

