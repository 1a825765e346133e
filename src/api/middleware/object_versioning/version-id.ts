/**
 * `?version-id=<id>` requests (Swift's ObjectContext.handle_versioned_request):
 *
 * - POST: 400 'POST to a specific version is not allowed'. Any id but 'null' in a container that
 *   was never versioned: 400 'version-aware operations require that the container is versioned'.
 *   An id that is not a timestamp: 400 'Invalid version parameter'.
 * - GET/HEAD: the version itself, read from the versions container (authorized as the hidden
 *   container, so only the account's owners); a delete marker is 404 with its id and content type.
 *   `null` is the current object only when it is not one of our links.
 * - DELETE: removes that version; when it is the current one, the link goes too. `null` deletes the
 *   unversioned current object. X-Object-Current-Version-Id tells what is current afterwards.
 * - PUT (zero-byte body): makes that version the current one again (a new link to it).
 */
import { errorResponse, httpError } from '../../errors.js';
import { subrequest, type SwiftRequest, type SwiftResponse } from '../../http.js';
import { getContainerInfo } from '../../info-cache.js';
import { callBelow, drain, hasBody, retarget, withHeaders } from '../common/call-below.js';
import { isSuccess } from '../common/body.js';
import { pyUnquote } from '../common/quote.js';
import { ALLOW_RESERVED_NAMES, getReservedName } from '../common/reserved-names.js';
import { TGT_OBJ_SYMLINK_HDR } from '../symlink/headers.js';
import { DELETE_MARKER_CONTENT_TYPE, parseVersionId, splitVersionFromName, SYSMETA_VERSIONS_SYMLINK, versionsObjectName } from './names.js';
import { objectPath, SOURCE, type ObjectVersioning, type VersionedTarget } from './object.js';
import { checkResponse, versionsContainerMissing } from './respond.js';

/** Answer a request with a non-empty version-id parameter. */
export async function handleVersionedRequest(ov: ObjectVersioning, req: SwiftRequest, t: VersionedTarget,
                                             version: string): Promise<SwiftResponse> {
  if (req.method === 'POST') throw httpError(400, 'POST to a specific version is not allowed');
  if (!t.versions && version !== 'null') {
    throw httpError(400, 'version-aware operations require that the container is versioned');
  }
  let id = version;
  if (version !== 'null') {
    const parsed = parseVersionId(version);
    if (parsed === undefined) throw httpError(400, 'Invalid version parameter');
    id = parsed;
  }
  if (req.method === 'DELETE') return deleteVersion(ov, req, t, version, id);
  if (req.method === 'PUT') {
    // There is no "null" version to point a link at.
    if (version === 'null') throw httpError(400, 'Invalid version parameter');
    return putVersion(ov, req, t, id);
  }
  if (version === 'null') {
    const res = await ov.next(req);
    if (!isSuccess(res.status)) return res;
    if (pyUnquote(res.headers['content-location'] ?? '').includes(getReservedName('versions', ''))) {
      // The current object is a real version, and the client asked for the unversioned one.
      drain(res);
      return errorResponse(404);
    }
    return { ...res, headers: { ...res.headers, 'x-object-version-id': 'null' } };
  }
  const res = await ov.next(withHeaders(
    retarget(req, { path: objectPath(t, t.versions, versionsObjectName(t.object, id)) }),
    { [ALLOW_RESERVED_NAMES]: 'true' },
  ));
  const headers = isSuccess(res.status) ? { ...res.headers, 'x-object-version-id': version } : res.headers;
  const type = res.headers['x-backend-content-type'] ?? res.headers['content-type'];
  if (type === DELETE_MARKER_CONTENT_TYPE) {
    drain(res);
    return errorResponse(404, undefined, { 'x-object-version-id': version, 'content-type': DELETE_MARKER_CONTENT_TYPE });
  }
  return { ...res, headers };
}

/** What the current name holds: nothing (a tombstone), or, when it is our link, its target. */
async function checkHead(ov: ObjectVersioning, req: SwiftRequest, t: VersionedTarget): Promise<{ tombstone: boolean; target?: string }> {
  const headers: Record<string, string> = { 'x-newest': 'True' };
  if (req.headers['x-auth-token'] !== undefined) headers['x-auth-token'] = req.headers['x-auth-token'];
  const head = subrequest(req, {
    method: 'HEAD', path: objectPath(t, t.container, t.object), query: 'symlink=get', headers, source: SOURCE, preAuthorized: true,
  });
  const res = await callBelow(ov.next, head);
  if (res.status === 404) {
    drain(res);
    return { tombstone: true };
  }
  checkResponse(res);
  drain(res);
  const target = res.headers[SYSMETA_VERSIONS_SYMLINK] === 'true' ? res.headers[TGT_OBJ_SYMLINK_HDR] : undefined;
  return target === undefined ? { tombstone: false } : { tombstone: false, target };
}

async function deleteVersion(ov: ObjectVersioning, req: SwiftRequest, t: VersionedTarget, version: string,
                             id: string): Promise<SwiftResponse> {
  // The unversioned object is simply whatever the name holds: the request goes through as is.
  if (version === 'null') return ov.next(req);
  const { tombstone, target } = await checkHead(ov, req, t);
  const versionName = versionsObjectName(t.object, id);
  const versionPath = objectPath(t, t.versions, versionName);
  let current: string;
  if (tombstone || !target || pyUnquote(target) !== `${t.versions}/${versionName}`) {
    // Not the current version: only that version goes.
    current = 'null';
    if (!tombstone && target) current = splitVersionFromName(pyUnquote(target).split('/').slice(1).join('/')).version ?? 'null';
  } else {
    // The current version: first the link, then its data.
    const link = await callBelow(ov.next, retarget(req, { query: '' }));
    checkResponse(link);
    drain(link);
    current = 'null';
  }
  const res = await ov.next(withHeaders(retarget(req, { path: versionPath }), { [ALLOW_RESERVED_NAMES]: 'true' }));
  return { ...res, headers: { ...res.headers, 'x-object-version-id': version, 'x-object-current-version-id': current } };
}

async function putVersion(ov: ObjectVersioning, req: SwiftRequest, t: VersionedTarget, id: string): Promise<SwiftResponse> {
  if (await hasBody(req)) {
    throw httpError(400, 'PUT version-id requests require a zero byte body', { 'content-type': 'text/plain' });
  }
  const versionName = versionsObjectName(t.object, id);
  const head = subrequest(req, {
    method: 'HEAD', path: objectPath(t, t.versions, versionName), query: 'symlink=get', source: SOURCE,
    preAuthorized: true, headers: { [ALLOW_RESERVED_NAMES]: 'true' },
  });
  const res = await callBelow(ov.next, head);
  if (res.status === 404) {
    drain(res);
    const versions = await getContainerInfo(req, ov.deps.store, t.account, t.versions);
    if (versions) throw httpError(404, 'The specified version does not exist', { 'content-type': 'text/plain' });
    throw versionsContainerMissing();
  }
  checkResponse(res);
  drain(res);
  return ov.putSymlinkToVersion(req, t, versionName, res.headers['etag'] ?? '', res.headers['content-length'] ?? '0',
                                res.headers['content-type'] ?? 'application/octet-stream');
}
