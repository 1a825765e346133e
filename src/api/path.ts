/**
 * Swift's `split_path` (swift/common/utils.py), the one rule every layer uses to cut
 * `/v1/account/container/object` into parts. Kept exact because its corner cases decide answers:
 * `/v1/a/` is an account path (the empty container counts as absent), `/v1/a//o` is no valid path at
 * all (the proxy answers 412 'Bad URL'), and with `restWithLast` the last part keeps every further
 * '/' (object names may contain slashes).
 */

/** Thrown when a path does not have the shape asked for (Swift raises ValueError). */
export class InvalidPath extends Error {
  constructor(path: string) { super(`Invalid path: ${path}`); this.name = 'InvalidPath'; }
}

/**
 * Split `path` into between `minsegs` and `maxsegs` parts. Missing trailing parts are `undefined`;
 * empty parts after the first `minsegs` are '' (as in Swift, where callers test truthiness).
 * Throws InvalidPath exactly when Swift's split_path raises ValueError.
 */
export function splitPath(path: string, minsegs: number, maxsegs = minsegs,
                          restWithLast = false): Array<string | undefined> {
  if (minsegs > maxsegs) throw new Error(`minsegs > maxsegs: ${minsegs} > ${maxsegs}`);
  let segs: string[];
  const min = minsegs + 1;
  const max = maxsegs + 1;
  if (restWithLast) {
    segs = splitLimit(path, maxsegs);
    const count = segs.length;
    if (segs[0] || count < min || count > max || segs.slice(1, min).includes('')) throw new InvalidPath(path);
  } else {
    segs = splitLimit(path, max);
    const count = segs.length;
    if (segs[0] || count < min || count > max + 1 || segs.slice(1, min).includes('')
        || (count === max + 1 && segs[max])) throw new InvalidPath(path);
  }
  const out: Array<string | undefined> = segs.slice(1, max);
  while (out.length < max - 1) out.push(undefined);
  return out;
}

/** Python's str.split('/', limit): at most `limit` splits, the remainder kept whole. */
function splitLimit(s: string, limit: number): string[] {
  const out: string[] = [];
  let start = 0;
  while (out.length < limit) {
    const i = s.indexOf('/', start);
    if (i < 0) break;
    out.push(s.slice(start, i));
    start = i + 1;
  }
  out.push(s.slice(start));
  return out;
}

/** What the proxy routes on: the parts of /version/account[/container[/object]]. */
export interface SwiftPath {
  version: string;
  account?: string;
  container?: string;
  object?: string;
}

/** split_path(path, 1, 4, True) as the proxy's get_controller uses it; '' parts become undefined. */
export function parseSwiftPath(path: string): SwiftPath {
  const [version, account, container, object] = splitPath(path, 1, 4, true);
  const p: SwiftPath = { version: version ?? '' };
  if (account) p.account = account;
  if (container) p.container = container;
  if (object) p.object = object;
  return p;
}
