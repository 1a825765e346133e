/**
 * The container controller (Swift's proxy ContainerController + container server).
 *
 * - PUT creates (201) or updates (202) the container, creating the account if needed
 *   (account_autocreate); POST changes metadata (204); DELETE removes an empty container (204,
 *   409 while objects remain); HEAD (204) / GET (200, JSON listing; listing_formats converts).
 * - Stored: X-Container-Meta-*, X-Container-Sysmeta-* (set by middlewares only: gatekeeper strips
 *   client sysmeta), X-Container-Read/-Write (cleaned as Swift's clean_acl), X-Container-Sync-Key/-To,
 *   X-Versions-Location/X-History-Location, and the storage policy (X-Storage-Policy at creation).
 * - Authorization: PUT/POST/DELETE are authorized up front without an ACL (only owners, reseller
 *   admins and account-ACL grants pass), GET/HEAD once the container's X-Container-Read is known
 *   (Swift's delay_denial), so a read ACL or referrer can let a non-owner list.
 * - Owner-only headers (ACLs, sync key, temp-url keys) are neither shown to nor accepted from
 *   non-owners (swift_owner_headers).
 */
import { ContainerNotEmpty, ContainerNotFound } from '../../storage/errors.js';
import type { ContainerInfo } from '../../storage/store.js';
import { now, toHttpDate, toInternal } from '../../storage/timestamp.js';
import { AclError, cleanAcl } from '../acl.js';
import { authorize } from '../authorize.js';
import { checkContainerName } from '../constraints.js';
import { errorResponse, httpError } from '../errors.js';
import {
  checkRequestMetadata, metadataHeaders, metadataUpdate, stripOwnerHeaders, validateMergedMetadata,
} from '../headers.js';
import type { SwiftRequest, SwiftResponse } from '../http.js';
import { getContainerInfo, invalidateInfo } from '../info-cache.js';
import { containerListingParams, objectListingJson } from '../listing.js';
import type { AppDeps } from '../pipeline.js';
import { storagePolicies, type StoragePolicies } from '../policies.js';
import { swobResponse } from '../swob.js';
import { listContainerPage } from './container-listing.js';
import { hideReservedNames } from '../middleware/common/reserved-names.js';

export const CONTAINER_METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'];

export interface ContainerTarget { account: string; container: string }

export async function containerController(req: SwiftRequest, t: ContainerTarget, deps: AppDeps): Promise<SwiftResponse> {
  switch (req.method) {
    case 'GET':
    case 'HEAD':
      return getOrHead(req, t, deps);
    case 'PUT':
      return put(req, t, deps);
    case 'POST':
      return post(req, t, deps);
    case 'DELETE':
      return del(req, t, deps);
    default:
      return errorResponse(405, undefined, { allow: CONTAINER_METHODS.join(', ') });
  }
}

/** The container server's HEAD/GET headers (gen_resp_headers + saved metadata + proxy additions). */
export function containerHeaders(info: ContainerInfo, policies: StoragePolicies): Record<string, string> {
  return {
    'x-container-object-count': String(info.objectCount),
    'x-container-bytes-used': String(info.bytesUsed),
    'x-timestamp': toInternal(info.createdAt).slice(0, 16),
    'x-put-timestamp': toInternal(info.timestamp).slice(0, 16),
    'last-modified': toHttpDate(info.timestamp),
    'accept-ranges': 'bytes',
    'x-storage-policy': policies.ofContainer(info.storagePolicy).name,
    ...metadataHeaders('container', info.metadata),
  };
}

async function getOrHead(req: SwiftRequest, t: ContainerTarget, deps: AppDeps): Promise<SwiftResponse> {
  // Swift validates listing parameters before the (delayed) authorization.
  const params = req.method === 'GET' ? containerListingParams(req, deps.constraints) : undefined;
  const info = await getContainerInfo(req, deps.store, t.account, t.container, { counts: true });
  const acl = info?.metadata['x-container-read'];
  const denied = await authorize(req, { account: t.account, container: t.container, ...(acl ? { acl } : {}) });
  if (denied) return denied;
  if (!info) return errorResponse(404);
  const headers: Record<string, string> = { ...containerHeaders(info, storagePolicies(deps.config)), 'content-type': 'application/json; charset=utf-8' };
  if (!req.ctx.swiftOwner) stripOwnerHeaders(headers);
  if (req.method === 'HEAD') return { status: 204, headers: { ...headers, 'content-length': '0' } };
  let entries;
  try {
    // Reserved names (hidden versions) only for internal requests that ask for them.
    entries = await listContainerPage(deps.store, t.account, t.container, hideReservedNames(req, params!));
  } catch (err) {
    if (err instanceof ContainerNotFound) return errorResponse(404);
    throw err;
  }
  const body = objectListingJson(entries);
  return { status: 200, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, body };
}

/** Swift's clean_acls: only when an auth middleware is present (it provides swift.clean_acl). */
function cleanAcls(req: SwiftRequest): void {
  if (!req.ctx.authorize) return;
  for (const h of ['x-container-read', 'x-container-write']) {
    const v = req.headers[h];
    if (v === undefined) continue;
    try {
      req.headers[h] = cleanAcl(h, v);
    } catch (err) {
      if (err instanceof AclError) throw httpError(400, err.message);
      throw err;
    }
  }
}

/** Checks shared by PUT and POST, in Swift's order; returns the request's metadata change. */
async function prepareUpdate(req: SwiftRequest, deps: AppDeps): Promise<Record<string, string>> {
  cleanAcls(req);
  checkRequestMetadata(req, 'container', deps.constraints);
  if (!req.ctx.swiftOwner) stripOwnerHeaders(req.headers);
  return metadataUpdate(req, 'container');
}

async function put(req: SwiftRequest, t: ContainerTarget, deps: AppDeps): Promise<SwiftResponse> {
  const denied = await authorize(req, { account: t.account, container: t.container });
  if (denied) return denied;
  cleanAcls(req);
  checkRequestMetadata(req, 'container', deps.constraints);
  const policyName = req.headers['x-storage-policy'];
  const policies = storagePolicies(deps.config);
  const policy = policyName ? policies.byName(policyName) : undefined;
  if (policyName && !policy) {
    throw httpError(400, `Invalid X-Storage-Policy '${policyName}'`, { 'content-type': 'text/plain' });
  }
  if (!req.ctx.swiftOwner) stripOwnerHeaders(req.headers);
  checkContainerName(t.container, deps.constraints);
  const update = metadataUpdate(req, 'container');
  const existing = await getContainerInfo(req, deps.store, t.account, t.container);
  validateMergedMetadata('container', existing?.metadata ?? {}, update, deps.constraints);
  const res = await deps.store.createContainer({ account: t.account, container: t.container }, {
    timestamp: now(),
    metadata: update,
    ...(policy ? { storagePolicy: policy.name } : existing ? {} : { storagePolicy: policies.default.name }),
  });
  invalidateInfo(req, t.account, t.container);
  return swobResponse(res.created ? 201 : 202);
}

async function post(req: SwiftRequest, t: ContainerTarget, deps: AppDeps): Promise<SwiftResponse> {
  const denied = await authorize(req, { account: t.account, container: t.container });
  if (denied) return denied;
  const update = await prepareUpdate(req, deps);
  const existing = await getContainerInfo(req, deps.store, t.account, t.container);
  if (!existing) return errorResponse(404);
  validateMergedMetadata('container', existing.metadata, update, deps.constraints);
  try {
    await deps.store.updateContainerMetadata({ account: t.account, container: t.container }, update, { timestamp: now() });
  } catch (err) {
    if (err instanceof ContainerNotFound) return errorResponse(404);
    throw err;
  }
  invalidateInfo(req, t.account, t.container);
  return swobResponse(204);
}

async function del(req: SwiftRequest, t: ContainerTarget, deps: AppDeps): Promise<SwiftResponse> {
  const denied = await authorize(req, { account: t.account, container: t.container });
  if (denied) return denied;
  try {
    await deps.store.deleteContainer({ account: t.account, container: t.container }, { timestamp: now() });
  } catch (err) {
    // Swift's container server answers these with swob's default pages.
    if (err instanceof ContainerNotFound) return errorResponse(404);
    if (err instanceof ContainerNotEmpty) return errorResponse(409);
    throw err;
  }
  invalidateInfo(req, t.account, t.container);
  return swobResponse(204);
}
