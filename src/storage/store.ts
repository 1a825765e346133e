/**
 * The ObjectStore: the only storage module the API layer imports.
 *
 * Identifiers come first, an options object last (adding an option never changes a signature).
 * Every mutation carries a Swift timestamp and the newest timestamp wins everywhere: a write older
 * than (or equal to) the stored version is refused with `Conflict`.
 *
 * Names are opaque strings (the API has already checked them for UTF-8, length and NUL). They are
 * hashed for placement and never used as file paths. Listings order names by their UTF-8 bytes,
 * as Swift's container databases do (see `compareNames`).
 *
 * Metadata maps are opaque to the store: keys are whatever the API chooses (it uses lower-case
 * header names), values are strings.
 */
import type { Readable } from 'node:stream';
import type { Timestamp } from './timestamp.js';

export type { Timestamp } from './timestamp.js';

export interface AccountRef { account: string }
export interface ContainerRef { account: string; container: string }
export interface ObjectRef { account: string; container: string; object: string }

export type Metadata = Record<string, string>;

/**
 * A metadata change: each key is set to its value; a key mapped to '' is removed (Swift's rule for
 * account and container metadata, where an empty header or X-Remove-* deletes the item).
 */
export type MetadataUpdate = Record<string, string>;

/** An inclusive byte range, already resolved against the object's size (0 <= start <= end < size). */
export interface ByteRange { start: number; end: number }

/**
 * What a container listing shows for an object instead of its own size/etag/content type
 * (Swift's container-update overrides; SLO lists the manifest's total size, symlinks their target).
 */
export interface ListingOverride {
  size?: number;
  etag?: string;
  contentType?: string;
}

// ---------------------------------------------------------------------------------------------- info

export interface AccountInfo {
  account: string;
  /** When the account record was first created. */
  createdAt: Timestamp;
  /** Last change to the record (creation or metadata). */
  timestamp: Timestamp;
  containerCount: number;
  objectCount: number;
  bytesUsed: number;
  metadata: Metadata;
  /**
   * Counts per storage policy name, for the policies the account uses (a PolicyStore fills it in;
   * a single volume leaves it out and everything is its one policy's).
   */
  policyStats?: Record<string, { containerCount: number; objectCount: number; bytesUsed: number }>;
}

/** An account's record as getAccount shows it, without the counts (ObjectStore.getAccountSettings). */
export type AccountSettings = Pick<AccountInfo, 'account' | 'createdAt' | 'timestamp' | 'metadata'>;

/**
 * A container's record without its counts: what object requests need (existence, metadata and
 * ACLs, policy, the settings middlewares keep in metadata). Cheaper than ContainerInfo, whose
 * counts cost a read per replica set.
 */
export interface ContainerSettings {
  account: string;
  container: string;
  createdAt: Timestamp;
  /**
   * Last change to the record: creation, a PUT of the existing container, or a metadata change
   * (Swift's put_timestamp, shown as X-PUT-Timestamp and Last-Modified).
   */
  timestamp: Timestamp;
  metadata: Metadata;
  storagePolicy: string;
}

export interface ContainerInfo extends ContainerSettings {
  objectCount: number;
  bytesUsed: number;
}

export interface ObjectInfo {
  account: string;
  container: string;
  object: string;
  /** Timestamp of this version's last change (PUT, COPY or POST). */
  timestamp: Timestamp;
  /** Timestamp of the PUT that wrote the bytes (equal to `timestamp` until a POST). */
  dataTimestamp: Timestamp;
  size: number;
  /** Hex MD5 of the stored bytes, unquoted. */
  etag: string;
  contentType: string;
  /** User metadata and other POST-replaceable items; replaced wholesale by `postObject`. */
  metadata: Metadata;
  /** Set at PUT/COPY time only; kept unchanged by `postObject`. */
  systemMetadata: Metadata;
  /** Unix seconds after which the object is treated as gone (X-Delete-At). */
  deleteAt?: number;
  listing?: ListingOverride;
}

// ------------------------------------------------------------------------------------------ listings

export interface ListQuery {
  /** Only names strictly after this one (strictly before it when `reverse`). */
  marker?: string;
  /** Only names strictly before this one (strictly after it when `reverse`). */
  endMarker?: string;
  prefix?: string;
  /** Roll names that contain the delimiter after the prefix up into one `subdir` entry. */
  delimiter?: string;
  /** At most this many entries (subdirs count); the store caps it at 10000. */
  limit: number;
  reverse?: boolean;
}

export interface SubdirEntry { subdir: string }

export interface ObjectListEntry {
  name: string;
  /** Listing size (the override if one was set). */
  bytes: number;
  /** Listing etag (the override if one was set). */
  hash: string;
  contentType: string;
  lastModified: Timestamp;
  /** The object's system metadata (the API derives extra listing keys, e.g. symlink_path, from it). */
  systemMetadata: Metadata;
}

export interface ContainerListEntry {
  name: string;
  count: number;
  bytes: number;
  lastModified: Timestamp;
}

/** A page of a listing, in order. Pages are always filled to `limit` unless the listing ends. */
export interface ListPage<T> { entries: Array<T | SubdirEntry> }

export function isSubdir(e: object): e is SubdirEntry { return 'subdir' in e; }

// --------------------------------------------------------------------------------------------- reads

/**
 * An open version of an object. The version is pinned: every `read` returns bytes of this version
 * even if the object is overwritten or deleted meanwhile.
 *
 * Contract (as MinIO's GetObjectReader): when `getObject` rejects, nothing is open. When it resolves,
 * the caller must call `close()` exactly once, after every stream it got from `read` has ended or been
 * destroyed. A stream from `read` must be consumed to its end or destroyed.
 */
export interface ObjectReader {
  info: ObjectInfo;
  /** Stream the whole object, or the inclusive range. May be called several times (multi-range GET). */
  read(range?: ByteRange): Readable;
  close(): void;
}

// -------------------------------------------------------------------------------------------- writes

export interface PutObjectOptions {
  timestamp: Timestamp;
  contentType: string;
  /** Declared body length; undefined when unknown (chunked transfer). */
  contentLength?: number;
  /** Hex MD5 the body must have; on mismatch nothing is stored and ChecksumMismatch is thrown. */
  expectedEtag?: string;
  metadata?: Metadata;
  systemMetadata?: Metadata;
  deleteAt?: number;
  listing?: ListingOverride;
  /** Aborting fails the write with ClientDisconnected and stores nothing. */
  signal?: AbortSignal;
  /**
   * Leave the body as it is when the write fails (unpiped, not destroyed): its owner still needs it,
   * e.g. an HTTP request whose connection must stay up for the error response. By default a failed
   * write destroys the body.
   */
  keepBody?: boolean;
}

export interface PostObjectOptions {
  timestamp: Timestamp;
  /** Replaces the version's `metadata` wholesale. */
  metadata: Metadata;
  contentType?: string;
  /** A number sets X-Delete-At; null removes it; undefined removes it too (Swift's POST replaces it). */
  deleteAt?: number | null;
}

export interface CopyObjectOptions {
  timestamp: Timestamp;
  /** Builds the destination's attributes from the exact source version being copied. */
  describe(source: ObjectInfo): {
    contentType: string;
    metadata: Metadata;
    systemMetadata: Metadata;
    deleteAt?: number;
    listing?: ListingOverride;
  };
}

export interface CreateContainerOptions {
  timestamp: Timestamp;
  metadata?: MetadataUpdate;
  storagePolicy?: string;
}

/** Result of creating a container: `created` is false when it already existed (Swift answers 202). */
export interface CreateContainerResult { created: boolean; info: ContainerInfo }

export interface StoreHealth {
  ok: boolean;
  /**
   * Per brick: `up` = answering and not held out; `readOnly` and `full` (below min-free-disk: no new
   * object data) say why a brick is out of service; `detail` says it in words.
   */
  bricks: Array<{ id: string; up: boolean; detail?: string; freeBytes?: number; totalBytes?: number; readOnly?: boolean; full?: boolean }>;
}

// ---------------------------------------------------------------------------------------- the store

export interface ObjectStore {
  // -- accounts ------------------------------------------------------------------------------------
  /** Throws AccountNotFound if the account was never created (or was deleted). */
  getAccount(ref: AccountRef): Promise<AccountInfo>;
  /**
   * getAccount without the counts: the same existence check and record, and neither the per-set usage
   * reads nor the walk over the account's containers that counting them takes. For callers that only
   * read the account's metadata (ACLs, rate limits, TempURL keys: every object request). Throws AccountNotFound.
   */
  getAccountSettings(ref: AccountRef): Promise<AccountSettings>;
  /** Creates the account if needed (idempotent); returns whether it was new. */
  createAccount(ref: AccountRef, opts: { timestamp: Timestamp; metadata?: MetadataUpdate }): Promise<boolean>;
  /** Merges the update into the account's metadata, creating the account if needed. */
  updateAccountMetadata(ref: AccountRef, update: MetadataUpdate, opts: { timestamp: Timestamp }): Promise<AccountInfo>;
  /** Marks the account deleted; its containers are left for a reaper. */
  deleteAccount(ref: AccountRef, opts: { timestamp: Timestamp }): Promise<void>;
  /** Containers of the account, with per-container counts. Throws AccountNotFound. */
  listContainers(ref: AccountRef, query: ListQuery): Promise<ListPage<ContainerListEntry>>;

  // -- containers ----------------------------------------------------------------------------------
  /**
   * Creates the container (and its account, if needed). Idempotent; metadata merges into an existing
   * one, whose creation time stays and whose `timestamp` moves to this one.
   */
  createContainer(ref: ContainerRef, opts: CreateContainerOptions): Promise<CreateContainerResult>;
  /** Throws ContainerNotFound; ContainerNotEmpty while any live object remains. */
  deleteContainer(ref: ContainerRef, opts: { timestamp: Timestamp }): Promise<void>;
  /** Throws ContainerNotFound. Counts are exact (sum of the per-brick counters). */
  getContainer(ref: ContainerRef): Promise<ContainerInfo>;
  /**
   * getContainer without the counts: the same existence check and record, and no counter reads.
   * For callers that do not show or enforce counts (every object request). Throws ContainerNotFound.
   */
  getContainerSettings(ref: ContainerRef): Promise<ContainerSettings>;
  /** Throws ContainerNotFound. */
  updateContainerMetadata(ref: ContainerRef, update: MetadataUpdate, opts: { timestamp: Timestamp }): Promise<ContainerInfo>;
  /**
   * A page of the container's live objects (expired ones are still listed until the expirer removes
   * them, as in Swift). Costs O(replica sets × limit). Throws ContainerNotFound.
   */
  listObjects(ref: ContainerRef, query: ListQuery): Promise<ListPage<ObjectListEntry>>;

  // -- objects -------------------------------------------------------------------------------------
  /**
   * Streams `body` once to every replica. Resolves after a write quorum has durably committed.
   * Throws ContainerNotFound, ChecksumMismatch, SizeMismatch, ClientDisconnected, Conflict,
   * QuorumNotMet or InsufficientStorage; in every error case nothing becomes visible.
   */
  putObject(ref: ObjectRef, body: Readable, opts: PutObjectOptions): Promise<ObjectInfo>;
  /** Opens the newest live version. Throws ObjectNotFound (also when expired). See ObjectReader. */
  getObject(ref: ObjectRef, opts?: { signal?: AbortSignal }): Promise<ObjectReader>;
  /** Throws ObjectNotFound (also when expired). */
  headObject(ref: ObjectRef): Promise<ObjectInfo>;
  /** Replaces user metadata (Swift's POST). Throws ObjectNotFound, Conflict. */
  postObject(ref: ObjectRef, opts: PostObjectOptions): Promise<ObjectInfo>;
  /**
   * Writes a tombstone (even when nothing was there, as Swift does). Resolves with whether a live
   * version existed. Throws Conflict, QuorumNotMet.
   */
  deleteObject(ref: ObjectRef, opts: { timestamp: Timestamp }): Promise<{ existed: boolean }>;
  /**
   * Server-side copy of the newest live version of `src` to `dst`: a hard link when both land on the
   * same brick, a streamed copy otherwise. Throws ObjectNotFound, ContainerNotFound, Conflict.
   */
  copyObject(src: ObjectRef, dst: ObjectRef, opts: CopyObjectOptions): Promise<ObjectInfo>;

  // -- maintenance ---------------------------------------------------------------------------------
  /** Live objects whose deleteAt is at or before `before` (unix seconds), oldest first, at most `limit`. */
  listExpired(before: number, limit: number): Promise<ObjectInfo[]>;
  health(): Promise<StoreHealth>;
  close(): Promise<void>;
}

/** Swift's maximum listing page. */
export const LISTING_LIMIT = 10000;

const utf8 = new TextEncoder();

/**
 * Order of names in listings: by UTF-8 bytes (SQLite's BINARY collation). JS string order (UTF-16 code
 * units) agrees except when one side has a character at U+E000..U+FFFF and the other a surrogate.
 */
export function compareNames(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if ((x >= 0xd800 && x <= 0xdfff) || (y >= 0xd800 && y <= 0xdfff) || x >= 0xe000 || y >= 0xe000) {
      // Back up to the start of a surrogate pair: slicing between its halves would encode both
      // sides' lone low surrogates as U+FFFD and make e.g. U+1F600 and U+1F601 compare equal.
      const at = i > 0 && x >= 0xdc00 && x <= 0xdfff && a.charCodeAt(i - 1) >= 0xd800 && a.charCodeAt(i - 1) <= 0xdbff ? i - 1 : i;
      return Buffer.compare(Buffer.from(utf8.encode(a.slice(at))), Buffer.from(utf8.encode(b.slice(at))));
    }
    return x - y;
  }
  return a.length - b.length;
}

/**
 * A volume definition (GlusterFS's `volume create NAME replica R brick…`). Replica set i is
 * bricks [i*R, i*R+R). A brick is named by a local directory path, `memory:NAME` (an in-memory
 * brick, for tests), or `http://host:port/NAME` (a brick server).
 * `src/storage/volume.ts` exports `openVolume(spec): Promise<ObjectStore & {…}>`.
 */
export interface VolumeSpec {
  /** Volume id, recorded in every brick (brick.json) so a foreign brick is refused. */
  id: string;
  bricks: string[];
  replica: number;
  /** GlusterFS quorum-type: 'auto' (default) = more than half, or exactly half including the set's first brick. */
  quorum?: 'auto' | number;
  /** A replica that makes no progress for this long is dropped from a write (default 30000). */
  writeTimeoutMs?: number;
  /** A brick with less free space than this percentage takes no new data (default 10). */
  minFreeDiskPercent?: number;
  /** fsync data files and the index on commit (default true; Swift's durability). */
  fsync?: boolean;
  /** Shared secret authenticating the gateway to brick servers (required for `http://host:port/brick` bricks). */
  secret?: string;
}
