/**
 * The account controller (Swift's proxy AccountController + account server): HEAD/GET show the
 * account's counts and metadata (GET adds the container listing, always as JSON here; the
 * listing_formats middleware converts it), POST changes metadata. PUT and DELETE are refused with 405
 * because Cairn runs with Swift's allow_account_management = false. A never-created account is
 * presented as an empty one (account_autocreate = true): it comes into being on the first POST or
 * container PUT.
 *
 * Authorization comes first, as in Swift's handle_request; X-Account-Access-Control is only shown to
 * the account's owner (swift_owner).
 */
import type { AccountInfo } from '../../storage/store.js';
import { now, toInternal } from '../../storage/timestamp.js';
import { ACCOUNT_ACL_SYSMETA, formatAclV2, parseAclV2 } from '../acl.js';
import { authorize } from '../authorize.js';
import { checkAccountName } from '../constraints.js';
import { errorResponse, httpError } from '../errors.js';
import {
  checkRequestMetadata, metadataHeaders, metadataUpdate, stripOwnerHeaders, validateMergedMetadata,
} from '../headers.js';
import type { SwiftRequest, SwiftResponse } from '../http.js';
import { getAccountInfo, invalidateInfo } from '../info-cache.js';
import { accountListingParams, containerListingJson } from '../listing.js';
import type { AppDeps } from '../pipeline.js';
import { storagePolicies, type StoragePolicies } from '../policies.js';
import { swobResponse } from '../swob.js';
import { hideReservedNames } from '../middleware/common/reserved-names.js';

/** Methods the account controller answers, as Swift lists them in Allow. */
export const ACCOUNT_METHODS = ['GET', 'HEAD', 'OPTIONS', 'POST'];

export async function accountController(req: SwiftRequest, account: string, deps: AppDeps): Promise<SwiftResponse> {
  const denied = await authorize(req, { account });
  if (denied) return denied;
  switch (req.method) {
    case 'GET':
    case 'HEAD':
      return getOrHead(req, account, deps);
    case 'POST':
      return post(req, account, deps);
    case 'PUT':
      return errorResponse(405, undefined, { allow: ACCOUNT_METHODS.join(', ') });
    case 'DELETE':
      // Swift refuses a query string on account DELETE before anything else (a typo'd bulk delete).
      if (req.rawQuery) throw httpError(400);
      return errorResponse(405, undefined, { allow: ACCOUNT_METHODS.join(', ') });
    default:
      return errorResponse(405, undefined, { allow: ACCOUNT_METHODS.join(', ') });
  }
}

/** The account server's response headers (swift/account/utils.py get_response_headers). */
export function accountHeaders(info: AccountInfo, policies: StoragePolicies): Record<string, string> {
  const h: Record<string, string> = {
    'x-account-container-count': String(info.containerCount),
    'x-account-object-count': String(info.objectCount),
    'x-account-bytes-used': String(info.bytesUsed),
    'x-timestamp': toInternal(info.createdAt).slice(0, 16),
    'x-put-timestamp': toInternal(info.timestamp).slice(0, 16),
  };
  // Per-policy stats exist once the account has had a container in the policy; a store without
  // policy stats has everything in the default policy.
  const stats = info.policyStats ?? (info.containerCount > 0 || info.objectCount > 0
    ? { [policies.default.name]: { containerCount: info.containerCount, objectCount: info.objectCount, bytesUsed: info.bytesUsed } }
    : {});
  for (const policy of policies.list) {
    const s = stats[policy.name];
    if (!s) continue;
    const p = `x-account-storage-policy-${policy.name.toLowerCase()}-`;
    h[`${p}container-count`] = String(s.containerCount);
    h[`${p}object-count`] = String(s.objectCount);
    h[`${p}bytes-used`] = String(s.bytesUsed);
  }
  return { ...h, ...metadataHeaders('account', info.metadata) };
}

/** FakeAccountBroker: what an autocreate account looks like before it exists. */
function fakeAccount(account: string): AccountInfo {
  const ts = now();
  return { account, createdAt: ts, timestamp: ts, containerCount: 0, objectCount: 0, bytesUsed: 0, metadata: {} };
}

/** Owner sees X-Account-Access-Control (re-serialised from sysmeta); others lose owner headers. */
function ownerView(req: SwiftRequest, headers: Record<string, string>, meta: Record<string, string>): void {
  if (req.ctx.swiftOwner) {
    const acl = parseAclV2(meta[ACCOUNT_ACL_SYSMETA]);
    if (acl && Object.keys(acl).length) headers['x-account-access-control'] = formatAclV2(acl);
  } else {
    stripOwnerHeaders(headers);
  }
}

async function getOrHead(req: SwiftRequest, account: string, deps: AppDeps): Promise<SwiftResponse> {
  checkAccountName(account, deps.constraints);
  const params = req.method === 'GET' ? accountListingParams(req, deps.constraints) : undefined;
  const stored = await getAccountInfo(req, deps.store, account, { counts: true });
  const info = stored ?? fakeAccount(account);
  const headers: Record<string, string> = {
    ...accountHeaders(info, storagePolicies(deps.config)),
    'accept-ranges': 'bytes',
    'content-type': 'application/json; charset=utf-8',
  };
  ownerView(req, headers, info.metadata);
  if (req.method === 'HEAD') return { status: 204, headers: { ...headers, 'content-length': '0' } };
  let body = '[]';
  if (params && stored) {
    const page = await deps.store.listContainers({ account }, hideReservedNames(req, {
      limit: params.limit,
      ...(params.marker !== undefined ? { marker: params.marker } : {}),
      ...(params.endMarker !== undefined ? { endMarker: params.endMarker } : {}),
      ...(params.prefix !== undefined ? { prefix: params.prefix } : {}),
      ...(params.delimiter !== undefined ? { delimiter: params.delimiter } : {}),
      reverse: params.reverse,
    })).catch((err: unknown) => {
      if (err instanceof Error && err.name === 'AccountNotFound') return { entries: [] };
      throw err;
    });
    body = containerListingJson(page.entries);
  }
  return { status: 200, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, body };
}

async function post(req: SwiftRequest, account: string, deps: AppDeps): Promise<SwiftResponse> {
  checkAccountName(account, deps.constraints);
  checkRequestMetadata(req, 'account', deps.constraints);
  const update = metadataUpdate(req, 'account');
  const existing = await getAccountInfo(req, deps.store, account);
  validateMergedMetadata('account', existing?.metadata ?? {}, update, deps.constraints);
  await deps.store.updateAccountMetadata({ account }, update, { timestamp: now() });
  invalidateInfo(req, account);
  return swobResponse(204);
}
