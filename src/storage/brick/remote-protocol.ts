/**
 * The brick server's HTTP protocol, shared by RemoteBrick (the client) and src/brickd/ (the server).
 * One place for paths and names, so the two sides cannot drift apart.
 *
 *   POST   /v1/b/<brick>/call/<op>             JSON {args} -> JSON {value}   (records, index and marks)
 *   POST   /v1/session                         endless body (the gateway's heartbeat, X-Cairn-Session-Beat)
 *                                                 -> 200, X-Cairn-Session: <id>, then an answer that stays
 *                                                 open (the server's heartbeat, SESSION_HEARTBEAT_MS) for as
 *                                                 long as the gateway's connection (remote-session.ts)
 *   POST   /v1/b/<brick>/writers               JSON {ref, timestamp} -> {id, dataFile}
 *   PUT    /v1/b/<brick>/writers/<id>          streamed body (the object's bytes) -> {}
 *   POST   /v1/b/<brick>/writers/<id>/commit   JSON {record} -> {}
 *   POST   /v1/b/<brick>/writers/<id>/abort    -> {}
 *   POST   /v1/b/<brick>/handles               JSON {record, inline?} -> {id, size}   (the version is pinned),
 *                                                 or {size, inline: base64} for a file of at most
 *                                                 INLINE_DATA_MAX bytes when `inline` was asked for
 *   GET    /v1/b/<brick>/handles/<id>          Range: bytes=S-E -> streamed bytes (200 or 206)
 *   POST   /v1/b/<brick>/handles/release       JSON {ids} -> {}              (releases pins, batched)
 *   GET    /v1/health                          -> {bricks: [{name, volumeId?, open, definitionCommit?}]}
 *   GET    /v1/definition                      -> {definition}  the newest volume definition the server holds
 *                                                 for the request's volume (NOT_FOUND when none)
 *   PUT    /v1/definition                      JSON {definition} -> {commit, stored, definition?}  kept on every
 *                                                 brick of that volume when it is newer than the held one;
 *                                                 otherwise the held definition is answered
 *
 * Every request is authenticated (remote-auth.ts) and names its volume; every failure is a JSON error
 * (remote-errors.ts). A `value` missing from a call's answer means `undefined`. Creating a writer and
 * opening a handle may name the gateway's session (`X-Cairn-Session`): the server releases what a
 * session holds when its connection closes. Without one (or naming a session the server does not
 * know), the server's idle sweep is the only cleanup.
 *
 * Volume definitions (GlusterFS's volfile kept by every peer): gateways publish theirs to every brick
 * server of the volume and adopt a newer one they learn of (newer: definition-version.ts, by layout
 * commit, then revision, then the digest tie-break). Every answer to a request of a volume whose
 * definition the server holds carries `X-Cairn-Volume-Commit: <held layout commit>` and
 * `X-Cairn-Volume-Definition: <revision>.<digest>.<placement>`, so a gateway learns of a newer
 * definition from any answer (its health probes included). A request carrying `X-Cairn-Layout-Commit`
 * and `X-Cairn-Definition` (remote-auth.ts) of an older definition than the held one that places
 * objects differently is refused with STALE_LAYOUT when it places data or records by layout
 * (LAYOUT_GUARDED_CALLS and creating a writer); account and container records, reads, settles and a
 * writer's upload/commit/abort are not refused. A request naming only a commit is checked by commit.
 */

/** Brick names appear in URLs and on the brick server's command line: keep them plain. */
export const BRICK_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * A data file this small is answered whole when a handle is asked for with `inline: true`: a small GET
 * then costs one request less (no read), no pin is kept and none has to be released.
 */
export const INLINE_DATA_MAX = 64 * 1024;

/** Writer and handle ids (UUIDs made by the server). */
export const ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The Brick operations carried as JSON calls (the streaming ones have their own routes). */
export const CALL_OPS = [
  'open', 'health', 'putRecord', 'getRecord', 'linkData', 'listObjects', 'scanObjects', 'listExpired',
  'containerUsage', 'accountUsage', 'mergeAccount', 'getAccount', 'mergeContainer', 'getContainer', 'listContainers',
  'markDirty', 'settle', 'listMarks', 'clearMark', 'audit', 'reclaimTombstone', 'scanAccounts',
] as const;
export type CallOp = (typeof CALL_OPS)[number];

/**
 * Calls that place records by layout, refused under a stale commit (markDirty is the pre-op of the same
 * writes: refusing it first leaves nothing marked). Creating a writer is refused too.
 */
export const LAYOUT_GUARDED_CALLS: readonly CallOp[] = ['markDirty', 'putRecord', 'linkData'];

/** Response header: the layout commit of the newest definition the server holds for the request's volume. */
export const HELD_COMMIT_HEADER = 'x-cairn-volume-commit';
/** Response header: the rest of that definition's version, `REVISION.DIGEST.PLACEMENT`. */
export const HELD_DEFINITION_HEADER = 'x-cairn-volume-definition';

/** Names a gateway session: in the session's answer, and in the requests that leave state under it. */
export const SESSION_HEADER = 'x-cairn-session';

/**
 * How often a brick server writes a byte down a session's open answer: it keeps the connection from
 * looking idle, and a gateway that hears nothing for several beats takes its session for dead.
 */
export const SESSION_HEARTBEAT_MS = 15_000;

/**
 * Session request header: the gateway's own heartbeat period, ms. The gateway writes a byte up the
 * session's request body that often; a server that hears nothing for SESSION_SILENT_BEATS of them
 * ends the session, which catches a gateway whose host vanished without closing its connections.
 */
export const SESSION_BEAT_HEADER = 'x-cairn-session-beat';
export const SESSION_SILENT_BEATS = 4;

/** What `open` answers: the brick's identity from its brick.json. */
export interface RemoteIdentity { id: string; volumeId: string }

/** Largest JSON request body a brick server reads (records are small; listings are answers, not requests). */
export const MAX_JSON_REQUEST = 4 * 1024 * 1024;

export const paths = {
  call: (brick: string, op: CallOp): string => `/v1/b/${brick}/call/${op}`,
  writers: (brick: string): string => `/v1/b/${brick}/writers`,
  writer: (brick: string, id: string): string => `/v1/b/${brick}/writers/${id}`,
  commit: (brick: string, id: string): string => `/v1/b/${brick}/writers/${id}/commit`,
  abort: (brick: string, id: string): string => `/v1/b/${brick}/writers/${id}/abort`,
  handles: (brick: string): string => `/v1/b/${brick}/handles`,
  handle: (brick: string, id: string): string => `/v1/b/${brick}/handles/${id}`,
  release: (brick: string): string => `/v1/b/${brick}/handles/release`,
  health: '/v1/health',
  session: '/v1/session',
  definition: '/v1/definition',
};

/** Parse a brick URL `http://host:port/brick-name` into its origin and brick name. */
export function parseBrickUrl(spec: string): { origin: string; name: string } {
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw new Error(`not a URL: ${spec}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`brick URL must be http:// or https://: ${spec}`);
  if (url.username || url.password || url.search || url.hash) throw new Error(`brick URL takes no credentials, query or fragment: ${spec}`);
  const name = url.pathname.replace(/^\/+|\/+$/g, '');
  if (!BRICK_NAME_RE.test(name)) throw new Error(`brick URL must end in one brick name (letters, digits, ".", "_", "-"): ${spec}`);
  return { origin: url.origin, name };
}
