/**
 * Object PUT/DELETE in a container with legacy versioning (Swift's VersionedWritesContext):
 *
 * - PUT (both modes): the current object, if any, is copied to
 *   `<archive>/<len(name) as 3 hex digits><name>/<its X-Timestamp>`, then the PUT proceeds.
 * - DELETE, history mode: the current object is archived the same way, a zero-byte delete marker
 *   (`application/x-deleted;swift_versions_deleted=1`) is written to the archive under the delete
 *   time, then the object is deleted.
 * - DELETE, stack mode: the newest archived version is copied back over the object and removed from
 *   the archive (the DELETE is redirected to it); a delete marker on top of the archive means the
 *   object is already deleted, so the version before the marker is restored and the marker removed.
 *   With nothing archived the object is simply deleted.
 *
 * Write access to the versioned container is checked before any backend request (the client's
 * token and the container's X-Container-Write). Copy failures: a client error below (archive
 * container missing, ...) is 412, anything else 503; the original request is then not made.
 */
import { SwiftHttpError } from '../../errors.js';
import '../common/content-type-override.js';
import { authorize } from '../../authorize.js';
import { subrequest, type Handler, type SwiftRequest, type SwiftResponse } from '../../http.js';
import { getContainerInfo } from '../../info-cache.js';
import type { AppDeps } from '../../pipeline.js';
import { now } from '../../../storage/timestamp.js';
import { callBelow, drain, retarget } from '../common/call-below.js';
import { isClientError, isSuccess } from '../common/body.js';
import { DELETE_MARKER_CONTENT_TYPE } from '../object_versioning/names.js';
import { versionsNewestFirst } from './legacy-listing.js';
import { copyVersion, headSourceObject } from './version-copy.js';

const SOURCE = 'VW';

export interface LegacyTarget {
  version: string;
  account: string;
  container: string;
  object: string;
  /** The archive container (already unquoted, first path segment only). */
  versions: string;
}

/** `%03x%s/`: the archive prefix of an object's versions (length in UTF-8 bytes, as Swift's WSGI strings). */
export function versionsPrefix(object: string): string {
  return `${Buffer.byteLength(object, 'utf8').toString(16).padStart(3, '0')}${object}/`;
}

/** Swift's Timestamp(ts).internal of a header value (X-Timestamp, or seconds of Last-Modified). */
function internalTs(value: string): string {
  const n = Number(value);
  if (!Number.isFinite(n)) return value;
  const units = Math.round(n * 100000);
  return `${String(Math.floor(units / 100000)).padStart(10, '0')}.${String(units % 100000).padStart(5, '0')}`;
}

/** Any failure of a subrequest that had to succeed: client errors are 412, the rest 503. */
function checkResponse(res: SwiftResponse): void {
  if (isSuccess(res.status)) return;
  drain(res);
  throw new SwiftHttpError(isClientError(res.status) ? 412 : 503);
}

export class LegacyVersioning {
  constructor(private readonly next: Handler, private readonly deps: AppDeps) {}

  private path(container: string, object: string, t: LegacyTarget): string {
    return `/${t.version}/${t.account}/${container}/${object}`;
  }

  /** Swift's write check before any backend request: the client must be able to write here. */
  private async checkWriteAccess(req: SwiftRequest, t: LegacyTarget): Promise<SwiftResponse | undefined> {
    const info = await getContainerInfo(req, this.deps.store, t.account, t.container);
    const acl = info?.metadata['x-container-write'];
    return authorize(req, { account: t.account, container: t.container, object: t.object, ...(acl ? { acl } : {}) });
  }

  /** Copy the current object (if any) into the archive; a denial response when the client may not write. */
  private async copyCurrent(req: SwiftRequest, t: LegacyTarget): Promise<SwiftResponse | undefined> {
    const denied = await this.checkWriteAccess(req, t);
    if (denied) return denied;
    const max = this.deps.constraints.max_file_size;
    const current = this.path(t.container, t.object, t);
    const got = await headSourceObject(req, this.next, current, SOURCE, max);
    if (got.status === 404) return undefined;
    checkResponse(got);
    const ts = got.headers['x-timestamp'] ?? String(Date.parse(got.headers['last-modified'] ?? '') / 1000);
    const archived = `${versionsPrefix(t.object)}${internalTs(ts)}`;
    const put = await copyVersion(req, this.next, current, this.path(t.versions, archived, t), got, SOURCE);
    checkResponse(put);
    drain(put);
    return undefined;
  }

  async put(req: SwiftRequest, t: LegacyTarget): Promise<SwiftResponse> {
    const denied = await this.copyCurrent(req, t);
    if (denied) return denied;
    // Swift clears the query string of the request it goes on with.
    return this.next(retarget(req, { query: '' }));
  }

  /** History mode: archive, mark the deletion in the archive, then delete. */
  async deletePush(req: SwiftRequest, t: LegacyTarget): Promise<SwiftResponse> {
    const denied = await this.copyCurrent(req, t);
    if (denied) return denied;
    const markerPath = this.path(t.versions, `${versionsPrefix(t.object)}${now().slice(0, 16)}`, t);
    const headers: Record<string, string> = { 'content-type': DELETE_MARKER_CONTENT_TYPE, 'content-length': '0' };
    if (req.headers['x-auth-token'] !== undefined) headers['x-auth-token'] = req.headers['x-auth-token'];
    const marker = subrequest(req, { method: 'PUT', path: markerPath, headers, source: SOURCE, preAuthorized: true });
    // The swift_versions_deleted parameter is Swift's own; the object layer must not refuse it.
    marker.ctx.contentTypeOverridden = true;
    const res = await callBelow(this.next, marker);
    checkResponse(res);
    drain(res);
    return this.next(req);
  }

  /** Restore `archived` over the object; false when that version has gone meanwhile. */
  private async restore(req: SwiftRequest, t: LegacyTarget, archived: string): Promise<string | false> {
    const getPath = this.path(t.versions, archived, t);
    const got = await headSourceObject(req, this.next, getPath, SOURCE, this.deps.constraints.max_file_size);
    if (got.status === 404) return false;
    checkResponse(got);
    const put = await copyVersion(req, this.next, getPath, this.path(t.container, t.object, t), got, SOURCE);
    checkResponse(put);
    drain(put);
    return getPath;
  }

  /** A pre-authorized DELETE of `path` with only the client's token (Swift's redirected DELETE). */
  private deleteOf(req: SwiftRequest, path: string): SwiftRequest {
    const headers: Record<string, string> = {};
    if (req.headers['x-auth-token'] !== undefined) headers['x-auth-token'] = req.headers['x-auth-token'];
    return subrequest(req, { method: 'DELETE', path, headers, source: SOURCE, preAuthorized: true });
  }

  /** Stack mode: pop the newest archived version back in place of the object. */
  async deletePop(req: SwiftRequest, t: LegacyTarget): Promise<SwiftResponse> {
    const items = versionsNewestFirst(req, this.next, t.account, t.versions, versionsPrefix(t.object), SOURCE);
    let authed = false;
    let outgoing = req;
    for await (const previous of items) {
      if (!authed) {
        const denied = await this.checkWriteAccess(req, t);
        if (denied) return denied;
        authed = true;
      }
      if (previous.content_type === DELETE_MARKER_CONTENT_TYPE) {
        const head = subrequest(req, {
          method: 'HEAD', path: this.path(t.container, t.object, t), source: SOURCE, preAuthorized: true,
          headers: { 'x-newest': 'True', ...(req.headers['x-auth-token'] ? { 'x-auth-token': req.headers['x-auth-token'] } : {}) },
        });
        const hres = await callBelow(this.next, head);
        drain(hres);
        if (hres.status !== 404) {
          checkResponse(hres);
          // The object exists on top of the marker: just delete it (back to the marker state).
          break;
        }
        // The marker is current: restore the version before it (unless that is a marker too).
        for await (const toRestore of items) {
          if (toRestore.content_type === DELETE_MARKER_CONTENT_TYPE) break;
          const restored = await this.restore(req, t, toRestore.name);
          if (!restored) continue;
          const del = await callBelow(this.next, this.deleteOf(req, restored));
          drain(del);
          if (del.status !== 404) checkResponse(del);
          break;
        }
        outgoing = this.deleteOf(req, this.path(t.versions, previous.name, t));
      } else {
        const restored = await this.restore(req, t, previous.name);
        if (!restored) continue;
        // Redirect the client's DELETE to the archived copy just reinstated.
        outgoing = this.deleteOf(req, restored);
      }
      break;
    }
    return this.next(outgoing);
  }
}
