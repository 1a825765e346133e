/**
 * Typed store errors. The API layer decides on the class (or `code`), never on message text;
 * `src/api/errors.ts` maps each one to a Swift status exactly once.
 */
export abstract class StoreError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class AccountNotFound extends StoreError {
  readonly code = 'ACCOUNT_NOT_FOUND';
  constructor(readonly account: string) { super(`account not found: ${account}`); }
}

export class ContainerNotFound extends StoreError {
  readonly code = 'CONTAINER_NOT_FOUND';
  constructor(readonly account: string, readonly container: string) {
    super(`container not found: ${account}/${container}`);
  }
}

export class ObjectNotFound extends StoreError {
  readonly code = 'OBJECT_NOT_FOUND';
  /** When the newest version is a tombstone, its timestamp (Swift answers X-Backend-Timestamp). */
  constructor(readonly account: string, readonly container: string, readonly object: string,
              readonly deletedAt?: string) {
    super(`object not found: ${account}/${container}/${object}`);
  }
}

export class ContainerNotEmpty extends StoreError {
  readonly code = 'CONTAINER_NOT_EMPTY';
  constructor(readonly account: string, readonly container: string) {
    super(`container not empty: ${account}/${container}`);
  }
}

/** Fewer replicas than the write (or read) quorum could take part; nothing became visible. */
export class QuorumNotMet extends StoreError {
  readonly code = 'QUORUM_NOT_MET';
  constructor(readonly needed: number, readonly got: number, options?: { cause?: unknown }) {
    super(`quorum not met: needed ${needed}, got ${got}`, options);
  }
}

/** No brick has room for the write (ENOSPC, or below min-free-disk everywhere). */
export class InsufficientStorage extends StoreError {
  readonly code = 'INSUFFICIENT_STORAGE';
  constructor(message = 'insufficient storage', options?: { cause?: unknown }) { super(message, options); }
}

/** The body's MD5 did not match the ETag the caller expected; nothing was stored. */
export class ChecksumMismatch extends StoreError {
  readonly code = 'CHECKSUM_MISMATCH';
  constructor(readonly expected: string, readonly actual: string) {
    super(`checksum mismatch: expected ${expected}, got ${actual}`);
  }
}

/** The body ended before (or ran past) the declared length; nothing was stored. */
export class SizeMismatch extends StoreError {
  readonly code = 'SIZE_MISMATCH';
  constructor(readonly expected: number, readonly actual: number) {
    super(`size mismatch: expected ${expected} bytes, got ${actual}`);
  }
}

/** The body stream errored or was aborted by its producer; nothing was stored. */
export class ClientDisconnected extends StoreError {
  readonly code = 'CLIENT_DISCONNECTED';
  constructor(options?: { cause?: unknown }) { super('client disconnected', options); }
}

/** The write carries a timestamp not newer than the stored version (Swift's object server answers 409). */
export class Conflict extends StoreError {
  readonly code = 'CONFLICT';
  constructor(readonly existing: string, readonly attempted: string) {
    super(`conflict: stored version ${existing} is not older than ${attempted}`);
  }
}

/** A brick or replica did not answer in time. */
export class Timeout extends StoreError {
  readonly code = 'TIMEOUT';
  constructor(message = 'timed out', options?: { cause?: unknown }) { super(message, options); }
}

/**
 * One brick cannot serve (gone, I/O error, read-only). Internal to the store: the replica set counts it
 * against quorum and never lets it escape to the API.
 */
export class BrickUnavailable extends StoreError {
  readonly code = 'BRICK_UNAVAILABLE';
  constructor(readonly brickId: string, options?: { cause?: unknown }) {
    super(`brick unavailable: ${brickId}`, options);
  }
}

/** Caller asked for something the store cannot do (bad range, bad name). */
export class InvalidArgument extends StoreError {
  readonly code = 'INVALID_ARGUMENT';
}

/** The requested byte ranges cannot be satisfied for this object size. */
export class RangeNotSatisfiable extends StoreError {
  readonly code = 'RANGE_NOT_SATISFIABLE';
  constructor(readonly size: number) { super(`range not satisfiable for size ${size}`); }
}

/**
 * A brick server holds a newer volume definition (layout commit `held`, revision `heldRevision`) that
 * places objects otherwise than the one the gateway placed this write by: refused before anything was
 * written. The gateway adopts the newer definition and retries under it (definition-sync.ts); the API
 * answers 503 if it still cannot.
 */
export class StaleLayout extends StoreError {
  readonly code = 'STALE_LAYOUT';
  constructor(readonly held: number, readonly sent: number, readonly heldRevision?: number, readonly sentRevision?: number) {
    super(`stale layout: the brick server holds layout commit ${held}${heldRevision === undefined ? '' : ` revision ${heldRevision}`}, `
      + `the request was placed by commit ${sent}${sentRevision === undefined ? '' : ` revision ${sentRevision}`}`);
  }
}

/**
 * A write reached a replica set that a reload of the volume definition has replaced (replace-brick,
 * add-brick, remove-brick) after the write chose it, before anything was written: the volume runs the
 * write again under the new sets. Like StaleLayout, but known here without asking a brick server.
 */
export class SupersededSet extends StaleLayout {
  constructor(readonly set: number) {
    super(0, 0);
    this.message = `replica set ${set} was replaced by a newer volume definition before the write began`;
  }
}

/** Map an errno-style error from a brick to a store error. */
export function fromErrno(err: unknown, brickId: string): StoreError {
  if (err instanceof StoreError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new InsufficientStorage(`brick ${brickId} is full`, { cause: err });
  return new BrickUnavailable(brickId, { cause: err });
}
