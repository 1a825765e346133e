/**
 * symlink: symbolic links between objects (Swift's symlink middleware).
 *
 * A client PUTs a zero-byte object with `X-Symlink-Target: <container>/<object>` (and optionally
 * `X-Symlink-Target-Account`, and `X-Symlink-Target-Etag` for a static link). GET/HEAD on the link
 * answer with the target (Content-Location says which), `?symlink=get` answers with the link,
 * POST to a link is a 307 to the target, DELETE removes the link only, and JSON container listings
 * show `symlink_path` (and `symlink_etag`/`symlink_bytes` for static links). See object.ts,
 * follow.ts and listing.ts for the details and error answers.
 *
 * The store never learns what a symlink is: the link is an ordinary zero-byte object whose system
 * metadata (X-Object-Sysmeta-Symlink-*) names the target, and whose listing etag carries the
 * target for container listings.
 *
 * Options: `symloop_max` (default 2; values below 1 mean the default), the number of chained links
 * a GET/HEAD follows. /info: `symlink: {symloop_max, static_links: true}`.
 *
 * Pipeline position: below slo, dlo and versioned_writes (so they see the target's response, and
 * a link to an SLO manifest is served as the large object), above the proxy app; Swift's order
 * `... slo dlo versioned_writes symlink proxy-logging proxy-server`.
 */
import type { MiddlewareFactory } from '../../pipeline.js';
import type { Handler } from '../../http.js';
import { numberOption } from '../common/options.js';
import { splitSwiftPath } from '../common/swift-path.js';
import { DEFAULT_SYMLOOP_MAX } from './headers.js';
import { addSymlinkListingKeys } from './listing.js';
import { handleSymlinkObject } from './object.js';

export interface SymlinkOptions { symloop_max: number | string }

const NAME = 'symlink';

function symloopMax(opts: SymlinkOptions): number {
  const n = numberOption(NAME, 'symloop_max', opts.symloop_max, { integer: true });
  return n < 1 ? DEFAULT_SYMLOOP_MAX : n;
}

export const symlink: MiddlewareFactory<SymlinkOptions> = {
  name: NAME,
  defaults: { symloop_max: DEFAULT_SYMLOOP_MAX },
  validate(opts) { symloopMax(opts); },
  registerInfo(opts, info) { info.register(NAME, { symloop_max: symloopMax(opts), static_links: true }); },
  create(opts) {
    const max = symloopMax(opts);
    return (next: Handler): Handler => async (req) => {
      // Swift: req.split_path(3, 4, True); account-level and other paths pass through.
      const p = splitSwiftPath(req.path);
      if (!p?.container) return next(req);
      if (p.object) {
        return handleSymlinkObject(req, { version: p.version, account: p.account, container: p.container, object: p.object },
                                   next, max);
      }
      const res = await next(req);
      return addSymlinkListingKeys(req, res, p.version, p.account);
    };
  },
};
