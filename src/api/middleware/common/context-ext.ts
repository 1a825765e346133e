/**
 * Request-context fields added by the tempurl/formpost/staticweb family (module augmentation of
 * RequestContext, see src/api/context.ts).
 */
import type { SwiftRequest } from '../../http.js';

/** What a valid temp URL granted (Swift marks this with REMOTE_USER = '.wsgi.tempurl'). */
export interface TempUrlGrant {
  scope: 'account' | 'container';
  account: string;
  container: string;
  /** The signed query parameters, kept so staticweb can carry them into listing links. */
  sig: string;
  expires: number;
  prefix?: string;
  ipRange?: string;
  inline: boolean;
  /**
   * The URL names the container itself (a prefix-based URL used for staticweb listings): only
   * staticweb honours it; anything else gets the auth middleware's normal verdict.
   */
  containerOnly: boolean;
}

declare module '../../context.js' {
  interface RequestContext {
    /** Set by tempurl when a temp URL signature authorized this request. */
    tempUrl?: TempUrlGrant;
    /** The client's IP address, when the HTTP adapter knows it (Swift's REMOTE_ADDR). */
    remoteAddr?: string;
  }
}

/**
 * The client's address: the context's, else the socket of the top-level request body (the adapter
 * passes Node's IncomingMessage as the body of the outermost request).
 */
export function clientAddress(req: SwiftRequest): string | undefined {
  if (req.ctx.remoteAddr) return req.ctx.remoteAddr;
  const sock = (req.body as { socket?: { remoteAddress?: string } }).socket;
  const addr = sock?.remoteAddress;
  // IPv4 clients of a dual-stack listener appear as ::ffff:a.b.c.d.
  return addr?.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}
