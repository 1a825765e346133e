/**
 * Swift's reserved namespace (swift/common/request_helpers.py get_reserved_name /
 * split_reserved_name): names that start with NUL ('\x00') and join their parts with NUL. Clients can
 * never address them (a NUL in a client path is a 412), so middlewares use them for hidden things,
 * e.g. object versioning's `\x00versions\x00<container>` and `\x00<object>\x00<inverted ts>`.
 * Only internal requests carrying `X-Backend-Allow-Reserved-Names: true` may touch them; the
 * gatekeeper strips X-Backend-* from clients, so a client cannot set it.
 */
import type { SwiftRequest } from '../../http.js';
import { compareNames } from '../../../storage/store.js';
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

/**
 * Whether a path the proxy would refuse as "Invalid UTF8 or contains NULL" is a reserved name this
 * request may use: its only fault is a NUL, and the request is internal and asked for reserved
 * names (Swift's check_utf8(path, internal=req.allow_reserved_names)).
 */
export function reservedPathAllowed(req: SwiftRequest): boolean {
  return allowsReservedNames(req) && req.path.includes(RESERVED) && !req.path.includes('\ufffd');
}

/** Sorts after every reserved name (all start with NUL; no name is 1200 bytes long). */
const RESERVED_CEILING = RESERVED + '\u{10FFFF}'.repeat(300);

/**
 * Listing bounds that leave reserved names out unless the request may see them (Swift's brokers
 * list with `name >= '\x01'` unless allow_reserved_names): the lower bound (marker, or end_marker
 * when reverse) is raised past every reserved name.
 */
export function hideReservedNames<Q extends { marker?: string; endMarker?: string; reverse?: boolean }>(
  req: SwiftRequest, query: Q,
): Q {
  if (allowsReservedNames(req)) return query;
  const key = query.reverse ? 'endMarker' : 'marker';
  const bound = query[key];
  if (bound !== undefined && compareNames(bound, RESERVED_CEILING) > 0) return query;
  return { ...query, [key]: RESERVED_CEILING };
}
