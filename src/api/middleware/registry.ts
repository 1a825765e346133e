/**
 * Every middleware Cairn knows, by name. Add one line per middleware file; the order here does not
 * matter (config.pipeline gives the order).
 */
import type { MiddlewareFactory } from '../pipeline.js';
import { catchErrors } from './catch-errors.js';
import { gatekeeper } from './gatekeeper.js';
import { healthcheck } from './healthcheck.js';
import { proxyLogging } from './proxy-logging.js';
import { listingFormats } from './listing-formats.js';
import { tempauth } from './tempauth/index.js';
import { tempurl } from './tempurl/index.js';
import { formpost } from './formpost/index.js';
import { bulk } from './bulk/index.js';
import { staticweb } from './staticweb/index.js';
import { cors } from './cors.js';
import { crossdomain } from './crossdomain.js';
import { domainRemap } from './domain-remap.js';
import { containerQuotas } from './container-quotas.js';
import { accountQuotas } from './account-quotas.js';
import { ratelimit } from './ratelimit.js';
import { copy } from './copy/index.js';
import { slo } from './slo/index.js';
import { versionedWrites } from './versioned_writes/index.js';
import { symlink } from './symlink/index.js';
import { dlo } from './dlo.js';
import { etagQuoter } from './etag-quoter.js';
import { metrics } from './metrics.js';

export const MIDDLEWARES: ReadonlyArray<MiddlewareFactory<any>> = [
  // Required ones first: catch_errors must be inserted before gatekeeper is placed after it.
  catchErrors,
  gatekeeper,
  healthcheck,
  proxyLogging,
  listingFormats,
  tempauth,
  tempurl,
  formpost,
  bulk,
  staticweb,
  cors,
  crossdomain,
  domainRemap,
  containerQuotas,
  accountQuotas,
  ratelimit,
  // copy before dlo: dlo is inserted right after copy when both are missing.
  copy,
  slo,
  versionedWrites,
  symlink,
  dlo,
  etagQuoter,
  metrics,
];

export const REGISTRY: ReadonlyMap<string, MiddlewareFactory<any>> = new Map(MIDDLEWARES.map((m) => [m.name, m]));
