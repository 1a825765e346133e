/**
 * container-quotas: per-container limits set by the container's owner (Swift's container_quotas).
 *
 * X-Container-Meta-Quota-Bytes / -Quota-Count must be digits (400 "Invalid bytes quota." /
 * "Invalid count quota." on container PUT/POST). An object PUT that would take the container past
 * either quota is 413 "Upload exceeds quota." — unless the caller could not have written there at
 * all, in which case it gets the auth denial, so a quota never reveals a container to strangers.
 * Server-side copies arrive here as PUTs from the copy middleware with the source's length.
 *
 * Pipeline position: after auth and copy (Swift: ... tempauth, copy, container-quotas ...).
 */
import type { MiddlewareFactory } from '../pipeline.js';
import { subrequest, type Handler, type SwiftRequest, type SwiftResponse } from '../http.js';
import { discardBody } from './common/body.js';
import { errorResponse } from '../errors.js';
import { getContainerInfo } from '../info-cache.js';
import type { ContainerSettings } from '../../storage/store.js';
import { splitSwiftPath } from './common/swift-path.js';

const NAME = 'container-quotas';
const DIGITS = /^\d+$/;

async function overQuota(req: SwiftRequest, info: ContainerSettings): Promise<SwiftResponse> {
  if (!req.ctx.preAuthorized && req.ctx.authorize) {
    const acl = info.metadata['x-container-write'];
    const denied = await req.ctx.authorize(req, {
      account: info.account, container: info.container, ...(acl !== undefined ? { acl } : {}),
    });
    if (denied) return denied;
  }
  return errorResponse(413, 'Upload exceeds quota.');
}

/**
 * The container's bytes as the rest of the pipeline reports them (Swift's get_container_info is a
 * HEAD through the layers below): object versioning adds its hidden versions, as Swift counts
 * them against the quota. undefined when the HEAD does not say.
 */
async function bytesUsedBelow(req: SwiftRequest, next: Handler, account: string, container: string): Promise<number | undefined> {
  let res: SwiftResponse;
  try {
    res = await next(subrequest(req, { method: 'HEAD', path: `/${splitSwiftPath(req.path)!.version}/${account}/${container}`,
                                       source: 'CQ', preAuthorized: true }));
  } catch {
    return undefined;
  }
  discardBody(res.body);
  const used = res.headers['x-container-bytes-used'];
  return res.status >= 200 && res.status < 300 && used !== undefined && DIGITS.test(used) ? Number(used) : undefined;
}

function hasQuota(metadata: Record<string, string>): boolean {
  return metadata['x-container-meta-quota-bytes'] !== undefined || metadata['x-container-meta-quota-count'] !== undefined;
}

export const containerQuotas: MiddlewareFactory<Record<string, never>> = {
  name: NAME,
  defaults: {},
  registerInfo(_o, info) { info.register('container_quotas', {}); },
  create(_opts, deps) {
    return (next: Handler): Handler => async (req) => {
      const sp = splitSwiftPath(req.path);
      if (!sp || !sp.container) return next(req);
      if (!sp.object && (req.method === 'PUT' || req.method === 'POST')) {
        const bytes = req.headers['x-container-meta-quota-bytes'];
        if (bytes && !DIGITS.test(bytes)) return errorResponse(400, 'Invalid bytes quota.');
        const count = req.headers['x-container-meta-quota-count'];
        if (count && !DIGITS.test(count)) return errorResponse(400, 'Invalid count quota.');
        return next(req);
      }
      if (!sp.object || req.method !== 'PUT') return next(req);
      // The counts cost a read per replica set: only a container with a quota needs them.
      const settings = await getContainerInfo(req, deps.store, sp.account, sp.container);
      if (!settings || !hasQuota(settings.metadata)) return next(req); // a missing container will 404 below
      const info = await getContainerInfo(req, deps.store, sp.account, sp.container, { counts: true });
      if (!info) return next(req);
      const quotaBytes = info.metadata['x-container-meta-quota-bytes'];
      if (quotaBytes !== undefined && DIGITS.test(quotaBytes)) {
        const length = Number(req.headers['content-length'] ?? '0') || 0;
        const used = (await bytesUsedBelow(req, next, sp.account, sp.container)) ?? info.bytesUsed;
        if (Number(quotaBytes) < used + length) return overQuota(req, info);
      }
      const quotaCount = info.metadata['x-container-meta-quota-count'];
      if (quotaCount !== undefined && DIGITS.test(quotaCount)) {
        if (Number(quotaCount) < info.objectCount + 1) return overQuota(req, info);
      }
      return next(req);
    };
  },
};
