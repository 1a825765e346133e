/**
 * versioned_writes: Swift's versioning filter, both APIs (swift/common/middleware/versioned_writes).
 *
 * - Legacy versioned writes (X-Versions-Location stack mode, X-History-Location history mode):
 *   legacy-container.ts and legacy-object.ts. Option `allow_versioned_writes`: true enables it
 *   (and /info `versioned_writes: {allowed_flags: [x-versions-location, x-history-location]}`),
 *   false refuses the headers with 412; unset (null, Swift's default) leaves container headers to
 *   the container layer and still versions containers that have a plain X-Versions-Location
 *   (Swift's backwards compatibility with the container server's allow_versions).
 * - Object versioning (X-Versions-Enabled, ?versions, ?version-id): ../object_versioning, enabled by
 *   `allow_object_versioning: true` (/info `object_versioning: {}`); it requires the symlink
 *   middleware below it.
 *
 * Order inside the filter, as Swift builds it: legacy on top, object versioning below it.
 *
 * Pipeline position: after slo and dlo (so a manifest is versioned as a manifest) and above
 * symlink; Swift's order `... slo dlo versioned_writes symlink proxy-logging proxy-server`. copy
 * sits above, so a COPY to a versioned object is versioned like a PUT.
 */
import { ConfigError, type MiddlewareFactory } from '../../pipeline.js';
import type { Handler } from '../../http.js';
import { getContainerInfo } from '../../info-cache.js';
import { isTrue } from '../common/options.js';
import { pyUnquote } from '../common/quote.js';
import { splitSwiftPath } from '../common/swift-path.js';
import { objectVersioning } from '../object_versioning/index.js';
import { CLIENT_HISTORY_LOC, CLIENT_VERSIONS_LOC, legacyContainerRequest, SYSMETA_VERSIONS_LOC, SYSMETA_VERSIONS_MODE } from './legacy-container.js';
import { LegacyVersioning } from './legacy-object.js';

export interface VersionedWritesOptions {
  /** true / false, or null for Swift's "not set". */
  allow_versioned_writes: boolean | string | null;
  allow_object_versioning: boolean | string;
}

const NAME = 'versioned_writes';

/** true / false when set, undefined when unset (null or ''). */
function allowVersionedWrites(opts: VersionedWritesOptions): boolean | undefined {
  const v = opts.allow_versioned_writes;
  if (v === null || v === undefined || v === '') return undefined;
  return isTrue(v);
}

export const versionedWrites: MiddlewareFactory<VersionedWritesOptions> = {
  name: NAME,
  defaults: { allow_versioned_writes: null, allow_object_versioning: false },
  validate(opts) {
    for (const key of ['allow_versioned_writes', 'allow_object_versioning'] as const) {
      const v = opts[key];
      if (v !== null && typeof v !== 'boolean' && typeof v !== 'string') {
        throw new ConfigError(`middleware.${NAME}.${key}`, 'expected a boolean');
      }
    }
  },
  registerInfo(opts, info) {
    if (allowVersionedWrites(opts)) info.register(NAME, { allowed_flags: [CLIENT_VERSIONS_LOC, CLIENT_HISTORY_LOC] });
    if (isTrue(opts.allow_object_versioning)) info.register('object_versioning', {});
  },
  create(opts, deps) {
    const allow = allowVersionedWrites(opts);
    const withObjectVersioning = isTrue(opts.allow_object_versioning);
    return (next: Handler): Handler => {
      let below = next;
      if (withObjectVersioning) {
        // Checked here, when every middleware has registered its /info (Swift raises at load too).
        if (!deps.info.has('symlink')) {
          throw new ConfigError(`middleware.${NAME}.allow_object_versioning`, 'object versioning requires symlinks');
        }
        below = objectVersioning(deps)(next);
      }
      const legacy = new LegacyVersioning(below, deps);
      return async (req) => {
        // Swift: req.split_path(3, 4, True); anything above container level passes.
        const p = splitSwiftPath(req.path);
        if (!p?.container) return below(req);
        if (!p.object) {
          return allow === undefined ? below(req) : legacyContainerRequest(req, below, allow);
        }
        if (req.method !== 'PUT' && req.method !== 'DELETE') return below(req);
        const info = await getContainerInfo(req, deps.store, p.account, p.container);
        let location = info?.metadata[SYSMETA_VERSIONS_LOC] ?? '';
        const mode = info?.metadata[SYSMETA_VERSIONS_MODE] || 'stack';
        let enabled = allow === true;
        if (!location) {
          // Backwards compatibility: a plain X-Versions-Location kept by the container layer.
          location = info?.metadata[CLIENT_VERSIONS_LOC] ?? '';
          if (allow === undefined && location) enabled = true;
        }
        if (!enabled || !location) return below(req);
        const t = { version: p.version, account: p.account, container: p.container, object: p.object,
                    versions: pyUnquote(location).split('/')[0]! };
        if (req.method === 'PUT') return legacy.put(req, t);
        return mode === 'history' ? legacy.deletePush(req, t) : legacy.deletePop(req, t);
      };
    };
  },
};
