/**
 * Object versioning (Swift's ObjectVersioningMiddleware, the newer versioning API): enabled per
 * container with `X-Versions-Enabled: true`; every PUT keeps its data as a hidden version and the
 * object name becomes a static symlink to it; DELETE writes a delete marker; `?versions` lists and
 * `?version-id=` addresses versions. The store never learns what a version is: versions are
 * objects in a reserved-name container, links are the symlink middleware's objects.
 *
 * In Swift this is part of the `versioned_writes` filter (option `allow_object_versioning`), and so
 * it is here: versioned_writes/index.ts puts this handler below the legacy one. It needs the symlink
 * middleware below it.
 *
 * Files: container.ts (enable/disable, container DELETE, listings), list-versions.ts (?versions),
 * account.ts (account listings), object.ts (PUT/POST/DELETE/GET), version-id.ts (?version-id=),
 * names.ts (the hidden names).
 */
import type { Handler, SwiftRequest, SwiftResponse } from '../../http.js';
import { getContainerInfo } from '../../info-cache.js';
import { getParam } from '../../params.js';
import type { AppDeps } from '../../pipeline.js';
import { isTrue } from '../common/options.js';
import { pyUnquote } from '../common/quote.js';
import { isApiVersion, splitSwiftPath } from '../common/swift-path.js';
import { listContainers } from './account.js';
import { containerRequest, deleteContainer, enableVersioning } from './container.js';
import { CLIENT_VERSIONS_ENABLED, SYSMETA_VERSIONS_CONT, SYSMETA_VERSIONS_ENABLED } from './names.js';
import { ObjectVersioning } from './object.js';
import { RespondWith } from './respond.js';
import { handleVersionedRequest } from './version-id.js';

export function objectVersioning(deps: AppDeps): (next: Handler) => Handler {
  return (next) => {
    const ov = new ObjectVersioning(next, deps);
    return async (req) => {
      const p = splitSwiftPath(req.path);
      if (!p || !isApiVersion(p.version)) return next(req);
      try {
        if (!p.container) return req.method === 'GET' ? await listContainers(req, next, p.account) : await next(req);
        const c = { version: p.version, account: p.account, container: p.container };
        if (!p.object) {
          if ((req.method === 'PUT' || req.method === 'POST') && req.headers[CLIENT_VERSIONS_ENABLED] !== undefined) {
            return await enableVersioning(req, next, deps, c);
          }
          if (req.method === 'DELETE') return await deleteContainer(req, next, deps, c);
          return await containerRequest(req, next, deps, c);
        }
        return await objectRequest(ov, req, { ...c, object: p.object });
      } catch (err) {
        if (err instanceof RespondWith) return err.response;
        throw err;
      }
    };
  };
}

async function objectRequest(ov: ObjectVersioning, req: SwiftRequest,
                             o: { version: string; account: string; container: string; object: string }): Promise<SwiftResponse> {
  const info = await getContainerInfo(req, ov.deps.store, o.account, o.container);
  const stored = info?.metadata[SYSMETA_VERSIONS_CONT] ?? '';
  const versions = stored ? pyUnquote(stored).split('/')[0]! : '';
  const t = { ...o, versions, enabled: isTrue(info?.metadata[SYSMETA_VERSIONS_ENABLED] ?? '') };
  const version = getParam(req, 'version-id');
  if (version) return handleVersionedRequest(ov, req, t, version);
  if (versions) return ov.handle(req, t);
  return ov.next(req);
}
