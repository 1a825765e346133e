/**
 * Object versioning's hidden names (Swift's ObjectVersioningContext helpers), all in the reserved
 * namespace so no client can address them directly:
 *
 * - versions container of `c`: `\x00versions\x00c`
 * - version of object `o` written at timestamp T: `\x00o\x00<~T>`, where ~T is Swift's inverted
 *   timestamp (999999999999999 - T in units of 10 µs), so a plain listing shows newest first
 * - the version id shown to clients is T itself, in Swift's internal form ("1700000000.12345").
 */
import { parse as parseTimestamp } from '../../../storage/timestamp.js';
import { getReservedName, splitReservedName } from '../common/reserved-names.js';

export const DELETE_MARKER_CONTENT_TYPE = 'application/x-deleted;swift_versions_deleted=1';
export const CLIENT_VERSIONS_ENABLED = 'x-versions-enabled';
export const SYSMETA_VERSIONS_ENABLED = 'x-container-sysmeta-versions-enabled';
export const SYSMETA_VERSIONS_CONT = 'x-container-sysmeta-versions-container';
export const SYSMETA_PARENT_CONT = 'x-container-sysmeta-parent-container';
export const SYSMETA_VERSIONS_SYMLINK = 'x-object-sysmeta-versions-symlink';

const MAX_UNITS = 999999999999999;

function toUnits(ts: string): number {
  const [secs, frac] = ts.slice(0, 16).split('.') as [string, string];
  return Number(secs) * 100000 + Number(frac);
}

function fromUnits(units: number): string {
  return `${String(Math.floor(units / 100000)).padStart(10, '0')}.${String(units % 100000).padStart(5, '0')}`;
}

/**
 * Swift's Timestamp(value).internal for a version id or version marker; undefined when it is not a
 * timestamp. Ids with an offset are refused: they cannot be inverted (Swift raises there too).
 */
export function parseVersionId(value: string): string | undefined {
  const ts = parseTimestamp(value);
  if (ts === undefined || ts.length > 16) return undefined;
  return ts;
}

/** ~Timestamp(ts): the inverted timestamp, in internal form. */
export function invertTimestamp(ts: string): string {
  return fromUnits(MAX_UNITS - toUnits(ts));
}

export function versionsContainerName(container: string): string {
  return getReservedName('versions', container);
}

/** `\x00<object>\x00`: every version of the object sorts under it. */
export function versionsObjectPrefix(object: string): string {
  return getReservedName(object, '');
}

/** The hidden name of `object`'s version written at `ts` (internal form, no offset). */
export function versionsObjectName(object: string, ts: string): string {
  return getReservedName(object, invertTimestamp(ts));
}

/** The object name and version id of a hidden version name; no version when it is not one. */
export function splitVersionFromName(name: string): { name: string; version?: string } {
  let parts: string[];
  try {
    parts = splitReservedName(name);
  } catch {
    return { name };
  }
  if (parts.length !== 2) return { name };
  const inv = parseVersionId(parts[1]!);
  if (inv === undefined) return { name };
  return { name: parts[0]!, version: invertTimestamp(inv) };
}

/** The user container a versions container belongs to (the name itself when it is not one). */
export function splitVersionsContainerName(name: string): string {
  let parts: string[];
  try {
    parts = splitReservedName(name);
  } catch {
    return name;
  }
  return parts.length === 2 && parts[0] === 'versions' ? parts[1]! : name;
}
