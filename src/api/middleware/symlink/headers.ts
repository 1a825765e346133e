/**
 * The symlink middleware's header names and the client <-> sysmeta mapping (Swift's symlink.py
 * constants, symlink_usermeta_to_sysmeta and symlink_sysmeta_to_usermeta).
 *
 * A symlink is a zero-byte object whose system metadata names its target. Target paths are kept
 * percent-encoded (as the client sent them, re-quoted), exactly as Swift stores them, so '%2F' in a
 * target survives.
 */

export const TGT_OBJ_SYMLINK_HDR = 'x-symlink-target';
export const TGT_ACCT_SYMLINK_HDR = 'x-symlink-target-account';
export const TGT_ETAG_SYMLINK_HDR = 'x-symlink-target-etag';
export const TGT_BYTES_SYMLINK_HDR = 'x-symlink-target-bytes';
export const TGT_OBJ_SYSMETA_SYMLINK_HDR = 'x-object-sysmeta-symlink-target';
export const TGT_ACCT_SYSMETA_SYMLINK_HDR = 'x-object-sysmeta-symlink-target-account';
export const TGT_ETAG_SYSMETA_SYMLINK_HDR = 'x-object-sysmeta-symlink-target-etag';
export const TGT_BYTES_SYSMETA_SYMLINK_HDR = 'x-object-sysmeta-symlink-target-bytes';
/** Set by object versioning on its links: following them does not count toward symloop_max. */
export const SYMLOOP_EXTEND = 'x-object-sysmeta-symloop-extend';
/** Set by object versioning on its links: the target may be a reserved name (a hidden version). */
export const ALLOW_RESERVED_NAMES_SYSMETA = 'x-object-sysmeta-allow-reserved-names';
/**
 * Swift's container-update override of the listing etag
 * (get_container_update_override_key('etag')): the object controller stores it as the etag the
 * container listing shows; symlinks append `; symlink_target=...` parameters to it.
 */
export const OVERRIDE_ETAG = 'x-object-sysmeta-container-update-override-etag';
/**
 * Internal request header (Swift's `swift.symlink_override` environ flag): the copy middleware sets
 * it on the PUT that copies a symlink itself, so a static link's X-Symlink-Target-Etag/-Bytes are
 * taken as given instead of being checked against the target again.
 */
export const SYMLINK_OVERRIDE = 'x-backend-symlink-override';

export const DEFAULT_SYMLOOP_MAX = 2;
export const MD5_OF_EMPTY_STRING = 'd41d8cd98f00b204e9800998ecf8427e';

const PAIRS: ReadonlyArray<readonly [string, string]> = [
  [TGT_OBJ_SYMLINK_HDR, TGT_OBJ_SYSMETA_SYMLINK_HDR],
  [TGT_ACCT_SYMLINK_HDR, TGT_ACCT_SYSMETA_SYMLINK_HDR],
  [TGT_ETAG_SYMLINK_HDR, TGT_ETAG_SYSMETA_SYMLINK_HDR],
  [TGT_BYTES_SYMLINK_HDR, TGT_BYTES_SYSMETA_SYMLINK_HDR],
];

/** Client X-Symlink-Target(-Account) request headers -> sysmeta (in place). Etag/bytes are set by the PUT handler. */
export function symlinkUserToSysmeta(headers: Record<string, string>): void {
  for (const [user, sys] of PAIRS.slice(0, 2)) {
    if (headers[user] !== undefined) {
      headers[sys] = headers[user]!;
      delete headers[user];
    }
  }
}

/** Sysmeta response headers -> the client's X-Symlink-* headers (a new map). */
export function symlinkSysmetaToUser(headers: Record<string, string>): Record<string, string> {
  const out = { ...headers };
  for (const [user, sys] of PAIRS) {
    if (out[sys] !== undefined) {
      out[user] = out[sys]!;
      delete out[sys];
    }
  }
  return out;
}
