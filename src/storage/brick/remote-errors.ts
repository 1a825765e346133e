/**
 * Store errors across the wire between a brick server and RemoteBrick: the server answers a failed
 * call with an HTTP status and `{"error": {"code", "message", ...fields}}`; the client rebuilds the
 * same StoreError class from the code and fields, so the replica set sees a remote Conflict,
 * SizeMismatch, StaleLayout or InsufficientStorage exactly as it would see a local one.
 *
 * Anything the client cannot decode (another server, a proxy's error page, a code it does not know)
 * becomes BrickUnavailable: the brick cannot serve, which the replica set already knows how to handle.
 */
import {
  BrickUnavailable, Conflict, InsufficientStorage, InvalidArgument, RangeNotSatisfiable, SizeMismatch, StaleLayout, StoreError, Timeout,
} from '../errors.js';
import { BrickIdentityMismatch } from './local-identity.js';

/** The error body of a brick server response. */
export interface WireError {
  code: string;
  message: string;
  [field: string]: unknown;
}

/** Codes only the brick server itself produces (no StoreError class behind them). */
export const UNAUTHORIZED = 'UNAUTHORIZED';
export const NOT_FOUND = 'NOT_FOUND';
export const INTERNAL = 'INTERNAL';
export const IDENTITY_MISMATCH = 'BRICK_IDENTITY_MISMATCH';

/** HTTP status per code; statuses are for people reading logs, the client decides on the code. */
const STATUS: Record<string, number> = {
  CONFLICT: 409,
  INSUFFICIENT_STORAGE: 507,
  SIZE_MISMATCH: 422,
  INVALID_ARGUMENT: 400,
  RANGE_NOT_SATISFIABLE: 416,
  BRICK_UNAVAILABLE: 503,
  TIMEOUT: 504,
  STALE_LAYOUT: 409,
  [IDENTITY_MISMATCH]: 403,
  [UNAUTHORIZED]: 401,
  [NOT_FOUND]: 404,
  [INTERNAL]: 500,
};

/** An error the brick server answers with that is not a StoreError (bad route, unknown writer id). */
export class WireFailure extends Error {
  constructor(readonly code: string, message: string) { super(message); }
}

/** Encode any error thrown while serving a call. */
export function toWire(err: unknown): { status: number; error: WireError } {
  let error: WireError;
  if (err instanceof BrickIdentityMismatch) error = { code: IDENTITY_MISMATCH, message: err.message, detail: err.detail };
  else if (err instanceof Conflict) error = { code: err.code, message: err.message, existing: err.existing, attempted: err.attempted };
  else if (err instanceof SizeMismatch) error = { code: err.code, message: err.message, expected: err.expected, actual: err.actual };
  else if (err instanceof RangeNotSatisfiable) error = { code: err.code, message: err.message, size: err.size };
  else if (err instanceof StaleLayout) {
    error = { code: err.code, message: err.message, held: err.held, sent: err.sent, heldRevision: err.heldRevision, sentRevision: err.sentRevision };
  }
  else if (err instanceof BrickUnavailable) error = { code: err.code, message: describeCause(err) };
  else if (err instanceof StoreError) error = { code: err.code, message: err.message };
  else if (err instanceof WireFailure) error = { code: err.code, message: err.message };
  else error = { code: INTERNAL, message: err instanceof Error ? err.message : String(err) };
  return { status: STATUS[error.code] ?? 500, error };
}

/** Rebuild the StoreError a brick server sent; `brickId` is the gateway's name for the brick. */
export function fromWire(body: unknown, brickId: string, status: number): StoreError {
  const e = (body as { error?: Partial<WireError> } | undefined)?.error;
  if (!e || typeof e.code !== 'string') return new BrickUnavailable(brickId, { cause: new Error(`brick server answered HTTP ${status}`) });
  const message = typeof e.message === 'string' ? e.message : e.code;
  const str = (k: string): string => String(e[k] ?? '');
  const num = (k: string): number => Number(e[k] ?? NaN);
  switch (e.code) {
    case 'CONFLICT': return new Conflict(str('existing'), str('attempted'));
    case 'SIZE_MISMATCH': return new SizeMismatch(num('expected'), num('actual'));
    case 'RANGE_NOT_SATISFIABLE': return new RangeNotSatisfiable(num('size'));
    case 'INSUFFICIENT_STORAGE': return new InsufficientStorage(message);
    case 'INVALID_ARGUMENT': return new InvalidArgument(message);
    case 'TIMEOUT': return new Timeout(message);
    case 'STALE_LAYOUT': {
      const rev = (k: string): number | undefined => (typeof e[k] === 'number' ? e[k] as number : undefined);
      return new StaleLayout(num('held'), num('sent'), rev('heldRevision'), rev('sentRevision'));
    }
    case IDENTITY_MISMATCH: return new BrickIdentityMismatch(brickId, typeof e.detail === 'string' ? e.detail : message);
    case UNAUTHORIZED:
      return new BrickUnavailable(brickId, { cause: new Error(`brick server refused authentication: ${message}`) });
    default:
      return new BrickUnavailable(brickId, { cause: new Error(`brick server: ${message}`) });
  }
}

/** A BrickUnavailable's message with its cause, which is what an operator needs to see remotely. */
function describeCause(err: BrickUnavailable): string {
  const cause = err.cause instanceof Error ? err.cause.message : err.cause === undefined ? '' : String(err.cause);
  return cause ? `${err.message}: ${cause}` : err.message;
}
