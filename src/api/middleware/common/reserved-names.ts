/**
 * Swift's reserved namespace (swift/common/request_helpers.py get_reserved_name /
 * split_reserved_name): names that start with NUL ('\x00') and join their parts with NUL. Clients can
 * never address them (a NUL in a client path is a 412), so middlewares use them for hidden things,
 * e.g. object versioning's `\x00versions\x00<container>` and `\x00<object>\x00<inverted ts>`.
 * Only internal requests carrying `X-Backend-Allow-Reserved-Names: true` may touch them; the
 * gatekeeper strips X-Backend-* from clients, so a client cannot set it.
 */
import type { SwiftRequest } from '../../http.js';
import { isTrue } from './options.js';

export const RESERVED = '\x00';

/** The request header that lets an internal request address reserved names (swob's allow_reserved_names). */
export const ALLOW_RESERVED_NAMES = 'x-backend-allow-reserved-names';

/** '\x00' + parts joined by '\x00'. Throws when a part itself contains the reserved character. */
export function getReservedName(...parts: string[]): string {
  if (parts.some((p) => p.includes(RESERVED))) throw new Error('Invalid reserved part in components');
  return RESERVED + parts.join(RESERVED);
}

/** The parts of a reserved name. Throws when `name` is not reserved. */
export function splitReservedName(name: string): string[] {
  if (!name.startsWith(RESERVED)) throw new Error('Invalid reserved name');
  return name.slice(1).split(RESERVED);
}

export function isReservedName(name: string): boolean { return name.startsWith(RESERVED); }

/** True when the request may address reserved names (an internal request that asked for it). */
export function allowsReservedNames(req: SwiftRequest): boolean {
  return isTrue(req.headers[ALLOW_RESERVED_NAMES] ?? '');
}
