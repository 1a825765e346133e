/**
 * Placeholder until the object controller lands (its owner replaces this file).
 */
import { errorResponse } from '../../errors.js';
import type { SwiftRequest, SwiftResponse } from '../../http.js';
import type { AppDeps } from '../../pipeline.js';

export async function objectController(_req: SwiftRequest, _target: { account: string; container: string; object: string },
                                       _deps: AppDeps): Promise<SwiftResponse> {
  return errorResponse(501);
}
