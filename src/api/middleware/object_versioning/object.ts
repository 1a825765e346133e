/**
 * Object requests in a container with object versioning (Swift's ObjectContext.handle_request):
 *
 * - PUT (enabled): an unversioned current object is first moved into the versions container; the
 *   client's bytes go straight into the versions container as `\x00<obj>\x00<~ts>`, and the object
 *   name becomes a static symlink to that version (X-Object-Version-Id: ts in the answer).
 * - DELETE (enabled): the same archiving, then a delete marker version, then the link is deleted
 *   (X-Object-Version-Id: the marker's id).
 * - POST: applied to the link; its 307 (symlink middleware) is followed to the version itself when
 *   the link is one of ours.
 * - GET/HEAD: answered by the symlink below; X-Object-Version-Id says which version ('null' for an
 *   unversioned object) and Content-Location / X-Symlink-Target are shown as `?version-id=` URLs.
 * - While versioning is disabled, PUT and DELETE go through unversioned.
 */
import { Transform } from 'node:stream';
import { subrequest, type Handler, type SwiftRequest, type SwiftResponse } from '../../http.js';
import type { AppDeps } from '../../pipeline.js';
import { now, parse as parseTimestamp, withOffset } from '../../../storage/timestamp.js';
import { callBelow, drain, withoutBody } from '../common/call-below.js';
import { isSuccess } from '../common/body.js';
import { isTrue } from '../common/options.js';
import { pyQuote, pyUnquote } from '../common/quote.js';
import { ALLOW_RESERVED_NAMES } from '../common/reserved-names.js';
import { splitSwiftPath } from '../common/swift-path.js';
import '../common/content-type-override.js';
import {
  ALLOW_RESERVED_NAMES_SYSMETA, SYMLOOP_EXTEND, TGT_ACCT_SYMLINK_HDR, TGT_BYTES_SYSMETA_SYMLINK_HDR,
  TGT_ETAG_SYSMETA_SYMLINK_HDR, TGT_OBJ_SYMLINK_HDR,
} from '../symlink/headers.js';
import { COPY_FROM } from '../lo/subrequest.js';
import { copyVersion, headSourceObject } from '../versioned_writes/version-copy.js';
import { DELETE_MARKER_CONTENT_TYPE, SYSMETA_VERSIONS_SYMLINK, splitVersionFromName, versionsObjectName } from './names.js';
import { checkResponse, checkWriteAccess, versionsContainerMissing } from './respond.js';

export const SOURCE = 'OV';

/** Where an object request points, and its container's versioning state. */
export interface VersionedTarget {
  version: string;
  account: string;
  container: string;
  object: string;
  /** The hidden versions container ('' when versioning was never enabled). */
  versions: string;
  enabled: boolean;
}

export function objectPath(t: VersionedTarget, container: string, object: string): string {
  return `/${t.version}/${t.account}/${container}/${object}`;
}

/** Headers not carried from the client's request onto its version (the link keeps the expiry). */
function nonExpiry(headers: Record<string, string>): Record<string, string> {
  const out = { ...headers };
  delete out['x-delete-at'];
  delete out['x-delete-after'];
  return out;
}

/**
 * The request's X-Timestamp, set to now when it has none (swob's ensure_x_timestamp). Like Swift it
 * is written into the request's headers, so every write this request makes shares the instant.
 */
export function ensureTimestamp(req: SwiftRequest): string {
  const given = req.headers['x-timestamp'];
  const ts = (given !== undefined ? parseTimestamp(given) : undefined) ?? now();
  req.headers['x-timestamp'] = ts;
  return ts;
}

/** Counts the bytes of a client body on its way into the versions container. */
class ByteCounter extends Transform {
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null, data?: Buffer) => void): void {
    this.bytes += chunk.length;
    cb(null, chunk);
  }
}

export class ObjectVersioning {
  constructor(readonly next: Handler, readonly deps: AppDeps) {}

  async handle(req: SwiftRequest, t: VersionedTarget): Promise<SwiftResponse> {
    switch (req.method) {
      case 'PUT': return this.put(req, t);
      case 'POST': return this.post(req, t);
      case 'DELETE': return this.delete(req, t);
      default: return this.getHead(req, t);
    }
  }

  /**
   * Move an unversioned current object (written while versioning was off, or before it was ever
   * enabled) into the versions container. Our own links are left alone: their data is already there.
   */
  async copyCurrent(req: SwiftRequest, t: VersionedTarget): Promise<void> {
    await checkWriteAccess(req, this.deps, t.account, t.container, t.object);
    const current = objectPath(t, t.container, t.object);
    const got = await headSourceObject(req, this.next, current, SOURCE, this.deps.constraints.max_file_size);
    if (got.status === 404) return;
    checkResponse(got);
    if (got.headers[SYSMETA_VERSIONS_SYMLINK] === 'true') return;
    const ts = parseTimestamp(got.headers['x-timestamp'] ?? '')
      ?? parseTimestamp(String(Date.parse(got.headers['last-modified'] ?? '') / 1000)) ?? now();
    const path = objectPath(t, t.versions, versionsObjectName(t.object, ts.slice(0, 16)));
    const put = await copyVersion(req, this.next, current, path, got, SOURCE, { [ALLOW_RESERVED_NAMES]: 'true' });
    if (put.status === 404) {
      drain(put);
      throw versionsContainerMissing();
    }
    checkResponse(put);
    drain(put);
  }

  private async put(req: SwiftRequest, t: VersionedTarget): Promise<SwiftResponse> {
    if (!t.enabled) return this.next(req);
    await this.copyCurrent(req, t);
    const ts = ensureTimestamp(req).slice(0, 16);
    const versionName = versionsObjectName(t.object, ts);

    // The client's bytes go straight into the versions container.
    const headers = nonExpiry(req.headers);
    headers[ALLOW_RESERVED_NAMES] = 'true';
    const counter = new ByteCounter();
    req.body.on('error', (err) => counter.destroy(err));
    req.body.pipe(counter);
    const sub = subrequest(req, {
      method: 'PUT', path: objectPath(t, t.versions, versionName), headers, body: counter, source: SOURCE, preAuthorized: true,
    });
    if (req.ctx.contentTypeOverridden) sub.ctx.contentTypeOverridden = true;
    let res: SwiftResponse;
    try {
      res = await callBelow(this.next, sub);
    } finally {
      if (!counter.writableFinished) {
        // The PUT below gave up before reading the body: let the client's body drain elsewhere.
        req.body.unpipe(counter);
        counter.destroy();
      }
    }
    if (res.status === 404) {
      drain(res);
      throw versionsContainerMissing();
    }
    checkResponse(res);
    drain(res);
    const { bytes, contentType } = await this.versionFacts(req, t, versionName, counter.bytes);
    return this.putSymlinkToVersion(req, t, versionName, res.headers['etag'] ?? '',
                                    headers['x-object-sysmeta-slo-size'] ?? bytes, contentType);
  }

  /**
   * The new version's size and Content-Type without parameters (the link shows them in listings).
   * Swift counts the bytes it passed on and reads the type off its subrequest after the layers below
   * filled it in. Here the version is asked when the request alone cannot tell: no Content-Type
   * given (it was guessed below), or a server-side copy (the copy middleware's PUT carries no bytes).
   */
  private async versionFacts(req: SwiftRequest, t: VersionedTarget, versionName: string,
                             counted: number): Promise<{ bytes: string; contentType: string }> {
    const given = req.headers['content-type'];
    const copied = req.headers[COPY_FROM] !== undefined;
    if (given && !copied && !isTrue(req.headers['x-detect-content-type'] ?? '')) {
      return { bytes: String(counted), contentType: given.split(';')[0]!.trim() };
    }
    const head = subrequest(req, {
      method: 'HEAD', path: objectPath(t, t.versions, versionName), query: 'symlink=get', source: SOURCE,
      preAuthorized: true, headers: { [ALLOW_RESERVED_NAMES]: 'true' },
    });
    const res = await callBelow(this.next, head);
    drain(res);
    return {
      bytes: copied ? res.headers['content-length'] ?? '0' : String(counted),
      contentType: (res.headers['content-type'] ?? 'application/octet-stream').split(';')[0]!.trim(),
    };
  }

  /**
   * Turn the client's request into the PUT of a static link to `versionName` (Swift's
   * _put_symlink_to_version), answered with the version's etag and id.
   */
  async putSymlinkToVersion(req: SwiftRequest, t: VersionedTarget, versionName: string, etag: string,
                            bytes: string, contentType: string): Promise<SwiftResponse> {
    const ts = ensureTimestamp(req);
    const headers: Record<string, string> = { ...req.headers };
    // Inch the link's timestamp past the version's, just in case.
    headers['x-timestamp'] = withOffset(ts, 1);
    headers[TGT_ETAG_SYSMETA_SYMLINK_HDR] = etag;
    headers[TGT_BYTES_SYSMETA_SYMLINK_HDR] = bytes;
    headers['content-type'] = contentType;
    headers[TGT_OBJ_SYMLINK_HDR] = pyQuote(`${t.versions}/${versionName}`);
    headers[SYSMETA_VERSIONS_SYMLINK] = 'true';
    headers[SYMLOOP_EXTEND] = 'true';
    headers[ALLOW_RESERVED_NAMES_SYSMETA] = 'true';
    headers[ALLOW_RESERVED_NAMES] = 'true';
    // A client's X-Symlink-Target-Etag stays: the link is then checked (and recorded) against the
    // final target through the version, which is itself a static link (Swift keeps it too).
    for (const h of ['etag', 'x-if-delete-at', TGT_ACCT_SYMLINK_HDR, 'x-object-manifest', 'x-static-large-object',
                     'x-object-sysmeta-slo-etag', 'x-object-sysmeta-slo-size']) delete headers[h];
    const link = withoutBody({ ...req, method: 'PUT', headers });
    const res = await this.next(link);
    const version = splitVersionFromName(versionName).version!;
    return { ...res, headers: { ...res.headers, etag, 'x-object-version-id': version } };
  }

  private async delete(req: SwiftRequest, t: VersionedTarget): Promise<SwiftResponse> {
    if (!t.enabled) return this.next(req);
    await this.copyCurrent(req, t);
    const ts = ensureTimestamp(req).slice(0, 16);
    const markerName = versionsObjectName(t.object, ts);
    const headers: Record<string, string> = {
      'content-type': DELETE_MARKER_CONTENT_TYPE, 'content-length': '0',
      [ALLOW_RESERVED_NAMES]: 'true', 'x-timestamp': ts,
    };
    if (req.headers['x-auth-token'] !== undefined) headers['x-auth-token'] = req.headers['x-auth-token'];
    const marker = subrequest(req, { method: 'PUT', path: objectPath(t, t.versions, markerName), headers, source: SOURCE, preAuthorized: true });
    marker.ctx.contentTypeOverridden = true;
    const mres = await callBelow(this.next, marker);
    checkResponse(mres);
    drain(mres);
    // Marker written: now it is safe to delete the link (or unversioned object).
    const res = await callBelow(this.next, req);
    drain(res);
    if (isSuccess(res.status) || res.status === 404) {
      return { ...res, headers: { ...res.headers, 'x-object-version-id': splitVersionFromName(markerName).version!,
                                  'x-backend-content-type': DELETE_MARKER_CONTENT_TYPE } };
    }
    return res;
  }

  /** POST lands on the link; follow the symlink middleware's 307 to our version. */
  private async post(req: SwiftRequest, t: VersionedTarget): Promise<SwiftResponse> {
    const headers = nonExpiry(req.headers);
    headers[ALLOW_RESERVED_NAMES] = 'true';
    const res = await callBelow(this.next, req);
    if (res.status !== 307 || !isTrue(res.headers[SYSMETA_VERSIONS_SYMLINK] ?? 'false')) return res;
    const loc = pyUnquote(res.headers['location'] ?? '');
    const p = splitSwiftPath(loc);
    if (!p || p.account !== t.account || p.container !== t.versions || !p.object) return res;
    drain(res);
    return this.next(subrequest(req, { method: 'POST', path: loc, headers, source: SOURCE, preAuthorized: true }));
  }

  private async getHead(req: SwiftRequest, t: VersionedTarget): Promise<SwiftResponse> {
    const res = await this.next(req);
    const headers: Record<string, string> = { ...res.headers, 'x-object-version-id': 'null' };
    const loc = pyUnquote(res.headers['content-location'] ?? '');
    if (loc) {
      const p = splitSwiftPath(loc);
      if (p?.object && p.account === t.account && p.container === t.versions) {
        const { version } = splitVersionFromName(p.object);
        if (version !== undefined) {
          headers['x-object-version-id'] = version;
          headers['content-location'] = `${pyQuote(objectPath(t, t.container, t.object))}?version-id=${version}`;
        }
      }
    }
    const target = pyUnquote(res.headers[TGT_OBJ_SYMLINK_HDR] ?? '');
    if (target) {
      const slash = target.indexOf('/');
      if (slash > 0 && target.slice(0, slash) === t.versions) {
        const { version } = splitVersionFromName(target.slice(slash + 1));
        if (version !== undefined) {
          headers['x-object-version-id'] = version;
          headers[TGT_OBJ_SYMLINK_HDR] = `${pyQuote(`${t.container}/${t.object}`)}?version-id=${version}`;
        }
      }
    }
    return { ...res, headers };
  }
}

