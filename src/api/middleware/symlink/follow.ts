/**
 * Following symlinks on GET/HEAD (Swift's SymlinkObjectContext._recursive_get_head).
 *
 * The request goes down as is; when the response carries X-Object-Sysmeta-Symlink-Target (whatever
 * its status: a conditional 304/412 on the zero-byte link still carries its sysmeta) the link's
 * body is dropped and the same method and headers are sent to the target, as a subrequest that the
 * target container's ACLs authorize (pre-authorized only for versioning's links, which point into
 * a reserved-name container no client may address). The final response gets Content-Location with
 * the last target path. More than `symloopMax` hops is a 409; links whose sysmeta says
 * symloop-extend (versioning's) do not count.
 *
 * Static links (with X-Symlink-Target-Etag) must find an object with that etag: the link's own
 * etag sysmeta when the target is itself a static link, else the final object's Etag; a mismatch
 * is a 409 naming both.
 */
import { httpError } from '../../errors.js';
import { subrequest, type Handler, type SwiftRequest, type SwiftResponse } from '../../http.js';
import { pyRepr } from '../../pyjson.js';
import { callBelow, drain } from '../common/call-below.js';
import { isTrue } from '../common/options.js';
import { pyQuote, pyUnquote } from '../common/quote.js';
import { ALLOW_RESERVED_NAMES } from '../common/reserved-names.js';
import { splitSwiftPath } from '../common/swift-path.js';
import { normalizeEtag } from '../../controllers/object/conditional.js';
import {
  ALLOW_RESERVED_NAMES_SYSMETA, SYMLOOP_EXTEND, TGT_ACCT_SYSMETA_SYMLINK_HDR,
  TGT_ETAG_SYSMETA_SYMLINK_HDR, TGT_OBJ_SYSMETA_SYMLINK_HDR,
} from './headers.js';

/** Thrown inside a traversal when it has gone past symloop_max (Swift's LinkIterError). */
class LinkIterError extends Error {}

export class SymlinkFollower {
  private loopCount = 0;
  /** The (quoted) path of the last target visited; shown as Content-Location. */
  lastTargetPath: string | undefined;

  constructor(private readonly next: Handler, private readonly symloopMax: number) {}

  /** GET/HEAD following links; 409 'Too many levels of symbolic links, ...' past the limit. */
  async getHead(req: SwiftRequest): Promise<SwiftResponse> {
    try {
      return await this.recurse(req, undefined, true, req);
    } catch (err) {
      if (!(err instanceof LinkIterError)) throw err;
      throw httpError(409, `Too many levels of symbolic links, maximum allowed is ${this.symloopMax}`,
                      { 'content-type': 'text/plain' });
    }
  }

  /**
   * One hop. `targetEtag` is the etag the previous static link requires; with `followSoftlinks`
   * false (checking a new static link at PUT) only static links are followed.
   */
  async recurse(req: SwiftRequest, targetEtag: string | undefined, followSoftlinks: boolean,
                origReq: SwiftRequest): Promise<SwiftResponse> {
    const res = await callBelow(this.next, req);
    const symlinkTarget = res.headers[TGT_OBJ_SYSMETA_SYMLINK_HDR];
    const respEtag = res.headers[TGT_ETAG_SYSMETA_SYMLINK_HDR];
    if (symlinkTarget && (respEtag || followSoftlinks)) {
      drain(res);
      const foundEtag = respEtag || normalizeEtag(res.headers['etag']);
      if (targetEtag && targetEtag !== foundEtag) {
        throw httpError(409, 'X-Symlink-Target-Etag headers do not match', this.locationHeaders());
      }
      if (this.loopCount >= this.symloopMax) throw new LinkIterError();
      const hop = this.traversalRequest(req, origReq, res.headers, symlinkTarget);
      if (!isTrue(res.headers[SYMLOOP_EXTEND] ?? '')) this.loopCount += 1;
      return this.recurse(hop, respEtag, true, req);
    }
    const finalEtag = normalizeEtag(res.headers['etag']);
    if (finalEtag && targetEtag && targetEtag !== finalEtag) {
      drain(res);
      throw httpError(409, `Object Etag ${pyRepr(finalEtag)} does not match X-Symlink-Target-Etag header ${pyRepr(targetEtag)}`,
                      this.locationHeaders());
    }
    if (this.lastTargetPath !== undefined) {
      // Only after at least one hop: it tells the client which object actually answered.
      return { ...res, headers: { ...res.headers, 'content-location': this.lastTargetPath } };
    }
    return res;
  }

  private locationHeaders(): Record<string, string> {
    const h: Record<string, string> = { 'content-type': 'text/plain' };
    if (this.lastTargetPath !== undefined) h['content-location'] = this.lastTargetPath;
    return h;
  }

  /** The request for the link's target: same method and headers, no query string. */
  private traversalRequest(req: SwiftRequest, origReq: SwiftRequest, linkHeaders: Record<string, string>,
                           symlinkTarget: string): SwiftRequest {
    const here = splitSwiftPath(req.path);
    const version = here?.version ?? 'v1';
    const account = linkHeaders[TGT_ACCT_SYSMETA_SYMLINK_HDR] || pyQuote(here?.account ?? '');
    // os.path.join('/', version, account, target.lstrip('/')), all still quoted.
    const targetPath = `/${version}/${account}/${symlinkTarget.replace(/^\/+/, '')}`;
    this.lastTargetPath = targetPath;
    const headers = { ...req.headers };
    delete headers['x-backend-storage-policy-index'];
    // A link that may point at reserved names was written by a middleware that authorized it
    // (object versioning); clients cannot reach those names, so the hop is pre-authorized.
    const reserved = isTrue(linkHeaders[ALLOW_RESERVED_NAMES_SYSMETA] ?? '');
    if (reserved) headers[ALLOW_RESERVED_NAMES] = 'true';
    return subrequest(origReq, {
      method: req.method, path: pyUnquote(targetPath), headers, source: 'SYM', preAuthorized: reserved,
    });
  }
}
