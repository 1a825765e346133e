/**
 * The proxy application at the bottom of the pipeline (Swift's proxy-server app, proxy/server.py
 * handle_request + get_controller): checks the path, maps it to the info, account, container or
 * object controller, answers 405 (with Allow) for methods a controller does not have, and answers
 * OPTIONS (Swift's base Controller.OPTIONS; CORS preflight is the cors middleware's business).
 *
 * Path rules, as Swift: a path that is not valid UTF-8 or contains NUL -> 412 "Invalid UTF8 or
 * contains NULL"; "/info" -> info; a path split_path cannot cut -> 404; an account path with an
 * API version not in valid_api_versions -> 400; anything that is not /v/a, /v/a/c or /v/a/c/o
 * (e.g. "/", "/v1", "/v1/a//o") -> 412 "Bad URL".
 */
import { authorize } from './authorize.js';
import { ACCOUNT_METHODS, accountController } from './controllers/account.js';
import { CONTAINER_METHODS, containerController } from './controllers/container.js';
import { INFO_METHODS, infoController } from './controllers/info.js';
import { objectController } from './controllers/object/index.js';
import { errorResponse, httpError } from './errors.js';
import type { Handler, SwiftRequest, SwiftResponse } from './http.js';
import { InvalidPath, parseSwiftPath } from './path.js';
import type { AppDeps } from './pipeline.js';
import { storagePolicies } from './policies.js';
import { swobResponse } from './swob.js';
import { reservedPathAllowed } from './middleware/common/reserved-names.js';

/** The Swift release whose API Cairn speaks (published as /info swift.version). */
export const SWIFT_API_VERSION = '2.30.0';

export const OBJECT_METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'];

/** Register the proxy's own /info section (Swift's register_swift_info in proxy/server.py). */
export function registerProxyInfo(deps: AppDeps): void {
  const c = deps.constraints;
  deps.info.register('swift', {
    version: SWIFT_API_VERSION,
    strict_cors_mode: true,
    policies: storagePolicies(deps.config).info(),
    allow_account_management: false,
    account_autocreate: true,
    max_file_size: c.max_file_size,
    max_meta_name_length: c.max_meta_name_length,
    max_meta_value_length: c.max_meta_value_length,
    max_meta_count: c.max_meta_count,
    max_meta_overall_size: c.max_meta_overall_size,
    max_header_size: c.max_header_size,
    max_object_name_length: c.max_object_name_length,
    container_listing_limit: c.container_listing_limit,
    account_listing_limit: c.account_listing_limit,
    max_account_name_length: c.max_account_name_length,
    max_container_name_length: c.max_container_name_length,
    valid_api_versions: c.valid_api_versions,
    extra_header_count: c.extra_header_count,
  });
}

export function createProxyApp(deps: AppDeps): Handler {
  registerProxyInfo(deps);
  return (req) => handleRequest(req, deps);
}

async function handleRequest(req: SwiftRequest, deps: AppDeps): Promise<SwiftResponse> {
  // Reserved names (NUL-prefixed, e.g. object versioning's hidden containers) only for internal requests.
  if ((!req.pathIsUtf8 && !reservedPathAllowed(req)) || !req.path) throw httpError(412, 'Invalid UTF8 or contains NULL');
  if (req.path === '/info') {
    if (!INFO_METHODS.includes(req.method)) return methodNotAllowed(INFO_METHODS);
    // /info never asks auth (Swift's InfoController delays the denial and never rechecks).
    if (req.method === 'OPTIONS') return options(INFO_METHODS);
    return infoController(req, deps);
  }
  let p;
  try {
    p = parseSwiftPath(req.path);
  } catch (err) {
    if (err instanceof InvalidPath) return errorResponse(404);
    throw err;
  }
  if (p.account && !deps.constraints.valid_api_versions.includes(p.version)) return errorResponse(400);
  const { account, container, object } = p;
  if (account && container && object) {
    if (!OBJECT_METHODS.includes(req.method)) return methodNotAllowed(OBJECT_METHODS);
    if (req.method === 'OPTIONS') return authorizedOptions(req, { account, container, object }, OBJECT_METHODS);
    return objectController(req, { account, container, object }, deps);
  }
  if (account && container && !object) {
    if (!CONTAINER_METHODS.includes(req.method)) return methodNotAllowed(CONTAINER_METHODS);
    if (req.method === 'OPTIONS') return authorizedOptions(req, { account, container }, CONTAINER_METHODS);
    return containerController(req, { account, container }, deps);
  }
  if (account && !container && !object) {
    if (!['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'DELETE'].includes(req.method)) {
      return methodNotAllowed(ACCOUNT_METHODS);
    }
    if (req.method === 'OPTIONS') return authorizedOptions(req, { account }, ACCOUNT_METHODS);
    return accountController(req, account, deps);
  }
  throw httpError(412, 'Bad URL');
}

function methodNotAllowed(allowed: string[]): SwiftResponse {
  return errorResponse(405, undefined, { allow: allowed.join(', ') });
}

function options(allowed: string[]): SwiftResponse {
  return swobResponse(200, { allow: allowed.join(', ') });
}

/** OPTIONS still passes auth first (TempAuth lets it through for accounts it manages). */
async function authorizedOptions(req: SwiftRequest, target: { account: string; container?: string; object?: string },
                                 allowed: string[]): Promise<SwiftResponse> {
  const denied = await authorize(req, target);
  return denied ?? options(allowed);
}
