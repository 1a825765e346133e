/**
 * The proxy application at the bottom of the pipeline (Swift's proxy-server app): maps the path to
 * the account, container or object controller, or to /info.
 */
import type { AppDeps } from './pipeline.js';
import type { Handler } from './http.js';
import { errorResponse } from './errors.js';

export function createProxyApp(_deps: AppDeps): Handler {
  return async () => errorResponse(404);
}
