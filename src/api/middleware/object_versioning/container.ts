/**
 * Container requests with object versioning (Swift's ContainerContext):
 *
 * - PUT/POST with X-Versions-Enabled: enabling creates the hidden `\x00versions\x00<container>`
 *   container (same storage policy) and records it, and the flag, as sysmeta; disabling only
 *   records the flag. 400 'Cannot enable object versioning on a container that is already using
 *   the legacy versioned writes feature.' (or one that is a container-sync source).
 * - DELETE: refused with 409 'Delete all versions before deleting container.' while versions
 *   remain; otherwise the hidden container is deleted with it.
 * - GET/HEAD: X-Versions-Enabled shown; X-Container-Bytes-Used includes the versions' bytes;
 *   listings show our links with their version's size and etag (`version_symlink: true`) and, for
 *   plain listings, symlink_path as a `?version-id=` URL; `?versions` lists every version
 *   (list-versions.ts).
 */
import { httpError } from '../../errors.js';
import { subrequest, type SwiftRequest, type SwiftResponse } from '../../http.js';
import { getContainerInfo, invalidateInfo } from '../../info-cache.js';
import { hasParam } from '../../params.js';
import type { AppDeps } from '../../pipeline.js';
import { storagePolicies } from '../../policies.js';
import { pyDumps } from '../../pyjson.js';
import { readSmallBody, isSuccess } from '../common/body.js';
import { callBelow, drain, parseJson } from '../common/call-below.js';
import { isTrue } from '../common/options.js';
import { parseHeader } from '../common/parse-header.js';
import { pyQuote, pyUnquote } from '../common/quote.js';
import { ALLOW_RESERVED_NAMES } from '../common/reserved-names.js';
import { splitSwiftPath } from '../common/swift-path.js';
import type { Handler } from '../../http.js';
import { listVersions } from './list-versions.js';
import {
  CLIENT_VERSIONS_ENABLED, splitVersionFromName, SYSMETA_VERSIONS_CONT, SYSMETA_VERSIONS_ENABLED, versionsContainerName,
} from './names.js';
import { SOURCE } from './object.js';

export interface ContainerTarget { version: string; account: string; container: string }

function hiddenRequest(req: SwiftRequest, method: string, t: ContainerTarget, container: string,
                       headers: Record<string, string> = {}): SwiftRequest {
  return subrequest(req, {
    method, path: `/v1/${t.account}/${container}`, source: SOURCE, preAuthorized: true,
    headers: { ...headers, [ALLOW_RESERVED_NAMES]: 'true' },
  });
}

/** Show the sysmeta flag as X-Versions-Enabled. */
function withEnabledHeader(res: SwiftResponse): SwiftResponse {
  const v = res.headers[SYSMETA_VERSIONS_ENABLED];
  return v === undefined ? res : { ...res, headers: { ...res.headers, [CLIENT_VERSIONS_ENABLED]: v } };
}

export async function enableVersioning(req: SwiftRequest, next: Handler, deps: AppDeps, t: ContainerTarget): Promise<SwiftResponse> {
  const info = await getContainerInfo(req, deps.store, t.account, t.container);
  const meta = info?.metadata ?? {};
  if (meta['x-container-sysmeta-versions-location'] || meta['x-versions-location']) {
    throw httpError(400, 'Cannot enable object versioning on a container that is already using the legacy versioned writes feature.');
  }
  if (meta['x-container-sync-to']) {
    throw httpError(400, 'Cannot enable object versioning on a container configured as source of container syncing.');
  }
  const enabled = isTrue(req.headers[CLIENT_VERSIONS_ENABLED] ?? '');
  const headers: Record<string, string> = { ...req.headers, [SYSMETA_VERSIONS_ENABLED]: enabled ? 'True' : 'False' };
  const versions = versionsContainerName(t.container);
  let created = false;
  if (enabled) {
    const policy: Record<string, string> = {};
    if (info) policy['x-storage-policy'] = storagePolicies(deps.config).ofContainer(info.storagePolicy).name;
    else if (req.method === 'PUT' && req.headers['x-storage-policy'] !== undefined) policy['x-storage-policy'] = req.headers['x-storage-policy'];
    const res = await callBelow(next, hiddenRequest(req, 'PUT', t, versions, policy));
    drain(res);
    if (!isSuccess(res.status) && res.status !== 409) throw httpError(500, 'Error enabling object versioning');
    headers[SYSMETA_VERSIONS_CONT] = pyQuote(versions);
    created = true;
  }
  const res = await callBelow(next, { ...req, headers });
  invalidateInfo(req, t.account, t.container);
  if (!isSuccess(res.status) && created) {
    // The container itself could not be written: do not leave the hidden one behind.
    drain(await callBelow(next, hiddenRequest(req, 'DELETE', t, versions)));
  }
  return withEnabledHeader(res);
}

export async function deleteContainer(req: SwiftRequest, next: Handler, deps: AppDeps, t: ContainerTarget): Promise<SwiftResponse> {
  const info = await getContainerInfo(req, deps.store, t.account, t.container);
  const versions = pyUnquote(info?.metadata[SYSMETA_VERSIONS_CONT] ?? '');
  if (versions) {
    const head = await callBelow(next, hiddenRequest(req, 'HEAD', t, versions));
    drain(head);
    if (isSuccess(head.status) && Number(head.headers['x-container-object-count'] ?? 0) > 0) {
      throw httpError(409, 'Delete all versions before deleting container.');
    } else if (!isSuccess(head.status) && head.status !== 404) {
      throw httpError(500, 'Error deleting versioned container');
    } else {
      const del = await callBelow(next, hiddenRequest(req, 'DELETE', t, versions));
      drain(del);
      if (!isSuccess(del.status) && del.status !== 404) throw httpError(500, 'Error deleting versioned container');
    }
  }
  return next(req);
}

/** Any other container request: translate headers, count the versions' bytes, rewrite listings. */
export async function containerRequest(req: SwiftRequest, next: Handler, deps: AppDeps, t: ContainerTarget): Promise<SwiftResponse> {
  let res = withEnabledHeader(await next(req));
  let location = pyUnquote(res.headers[SYSMETA_VERSIONS_CONT] ?? '');
  if (location) {
    const used = res.headers['x-container-bytes-used'];
    if (used !== undefined) {
      const head = await callBelow(next, hiddenRequest(req, 'HEAD', t, location));
      drain(head);
      if (isSuccess(head.status)) {
        const total = Number(used) + Number(head.headers['x-container-bytes-used'] ?? 0);
        res = { ...res, headers: { ...res.headers, 'x-container-bytes-used': String(total) } };
      }
    }
  } else if (isSuccess(res.status)) {
    // Never (as far as we can tell) versioned; a ?versions listing still looks where versions would be.
    try {
      location = versionsContainerName(t.container);
    } catch {
      // An internal listing of a reserved-name container.
    }
  }
  if (!isSuccess(res.status) || req.method !== 'GET' || res.body === undefined) return res;
  const raw = await readSmallBody(res);
  const listing = parseJson(raw);
  if (!Array.isArray(listing)) return { ...res, body: raw };
  const versionsListing = hasParam(req, 'versions');
  for (const item of listing as Array<Record<string, unknown>>) markVersionLink(item, t, location, versionsListing);
  if (versionsListing) return listVersions(req, next, deps, { ...t, location }, res, listing as Array<Record<string, unknown>>);
  const body = pyDumps(listing);
  return { ...res, headers: { ...res.headers, 'content-length': String(Buffer.byteLength(body)) }, body };
}

/**
 * A link into our versions container is listed with its version's size and etag
 * (version_symlink: true), and outside ?versions its symlink_path is the object's ?version-id URL.
 */
function markVersionLink(item: Record<string, unknown>, t: ContainerTarget, location: string, versionsListing: boolean): void {
  if (!('symlink_path' in item && 'symlink_etag' in item && 'symlink_bytes' in item)) return;
  const p = splitSwiftPath(pyUnquote(String(item.symlink_path)));
  if (!p?.object || p.container !== location) return;
  const { params } = parseHeader(String(item.hash ?? ''));
  item.bytes = Number(item.symlink_bytes);
  delete item.symlink_bytes;
  item.version_symlink = true;
  item.hash = String(item.symlink_etag) + [...params].map(([k, v]) => `; ${k}=${v}`).join('');
  delete item.symlink_etag;
  const { name, version } = splitVersionFromName(p.object);
  if (version !== undefined && !versionsListing) {
    item.symlink_path = `${pyQuote(`/v1/${p.account}/${t.container}/${name}`)}?version-id=${version}`;
  }
}

