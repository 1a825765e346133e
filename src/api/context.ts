/**
 * Per-request state, typed (Swift keeps this in a string-keyed environ dict). Middlewares that need
 * to pass more state down add optional fields here by module augmentation:
 *
 *   declare module '../context.js' { interface RequestContext { sloManifest?: ... } }
 */
import type { Logger } from 'pino';
import type { SwiftRequest, SwiftResponse } from './http.js';

/** Who is making the request, as established by an auth middleware. */
export interface Identity {
  /** "account:user" as TempAuth names users. */
  user: string;
  /** Groups: the user, its account, and any extra groups (.admin, .reseller_admin, ...). */
  groups: string[];
  /** Accounts this identity owns (full access). */
  ownedAccounts?: string[];
}

/** What the controllers ask the auth layer about, once they know the container's ACLs. */
export interface AuthTarget {
  account: string;
  container?: string;
  object?: string;
  /** The ACL relevant to this method: the container's X-Container-Read or X-Container-Write. */
  acl?: string;
}

/** Returns undefined to allow, or the denial response (401/403). */
export type Authorizer = (req: SwiftRequest, target: AuthTarget) => Promise<SwiftResponse | undefined>;

export interface RequestContext {
  txnId: string;
  log: Logger;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  /** process.hrtime.bigint() at arrival. */
  startTime: bigint;
  /** Set by the auth middleware that recognised the request's token. */
  identity?: Identity;
  /** Set by the auth middleware; called by controllers (Swift's swift.authorize). */
  authorize?: Authorizer;
  /** The request is allowed without asking `authorize` (pre-authorized subrequest, or TempURL/FormPost). */
  preAuthorized: boolean;
  /** The identity owns the account (sees and may change ACLs and other owner-only headers): swift_owner. */
  swiftOwner: boolean;
  /** Which middleware originated this (sub)request, if any (swift.source). */
  source?: string;
  /** Memo of container/account info fetched during this request (Swift's env-cached get_*_info). */
  infoCache: Map<string, unknown>;
  /** A copy for a subrequest: same transaction, logger, signal and identity. */
  derive(over: { source: string; preAuthorized: boolean }): RequestContext;
}

export function createContext(init: { txnId: string; log: Logger; signal: AbortSignal }): RequestContext {
  const ctx: RequestContext = {
    txnId: init.txnId,
    log: init.log,
    signal: init.signal,
    startTime: process.hrtime.bigint(),
    preAuthorized: false,
    swiftOwner: false,
    infoCache: new Map(),
    derive(over) {
      return { ...this, source: over.source, preAuthorized: over.preAuthorized || this.preAuthorized,
               infoCache: this.infoCache, derive: this.derive };
    },
  };
  return ctx;
}
