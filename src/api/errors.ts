/**
 * Errors are responses (Swift's swob.HTTPException): deep code throws `SwiftHttpError` and the
 * catch-errors middleware turns it into the response. Store errors are mapped to Swift statuses once,
 * here, in `toSwiftError`.
 */
import type { Logger } from 'pino';
import * as E from '../storage/errors.js';
import type { SwiftResponse } from './http.js';

/** Swift's status titles and default explanations (swob RESPONSE_REASONS). */
export const REASONS: Record<number, [string, string]> = {
  200: ['OK', ''],
  201: ['Created', ''],
  202: ['Accepted', 'The request is accepted for processing.'],
  204: ['No Content', ''],
  206: ['Partial Content', ''],
  301: ['Moved Permanently', 'The resource has moved permanently.'],
  302: ['Found', 'The resource has moved temporarily.'],
  303: ['See Other', 'The response to the request can be found under a different URI.'],
  304: ['Not Modified', ''],
  307: ['Temporary Redirect', 'The resource has moved temporarily.'],
  400: ['Bad Request', 'The server could not comply with the request since it is either malformed or otherwise incorrect.'],
  401: ['Unauthorized', 'This server could not verify that you are authorized to access the document you requested.'],
  402: ['Payment Required', 'Access was denied for financial reasons.'],
  403: ['Forbidden', 'Access was denied to this resource.'],
  404: ['Not Found', 'The resource could not be found.'],
  405: ['Method Not Allowed', 'The method is not allowed for this resource.'],
  406: ['Not Acceptable', 'The resource is not available in a format acceptable to your browser.'],
  408: ['Request Timeout', 'The server has waited too long for the request to be sent by the client.'],
  409: ['Conflict', 'There was a conflict when trying to complete your request.'],
  410: ['Gone', 'This resource is no longer available.'],
  411: ['Length Required', 'Content-Length header required.'],
  412: ['Precondition Failed', 'A precondition for this request was not met.'],
  413: ['Request Entity Too Large', 'The body of your request was too large for this server.'],
  414: ['Request URI Too Long', 'The request URI was too long for this server.'],
  415: ['Unsupported Media Type', 'The request media type is not supported by this server.'],
  416: ['Requested Range Not Satisfiable', 'The Range requested is not available.'],
  417: ['Expectation Failed', 'Expectation failed.'],
  422: ['Unprocessable Entity', 'Unable to process the contained instructions'],
  429: ['Too Many Requests', 'The client has sent too many requests in a given amount of time.'],
  498: ['Rate Limited', 'The client has sent too many requests in a given amount of time.'],
  499: ['Client Disconnect', 'The client was disconnected during request.'],
  500: ['Internal Error', 'The server has either erred or is incapable of performing the requested operation.'],
  501: ['Not Implemented', 'The requested method is not implemented by this server.'],
  502: ['Bad Gateway', 'Bad gateway.'],
  503: ['Service Unavailable', 'The server is currently unavailable. Please try again at a later time.'],
  504: ['Gateway Timeout', 'A timeout has occurred speaking to a backend server.'],
  507: ['Insufficient Storage', 'There was not enough space to save the resource.'],
};

export function reasonPhrase(status: number): string { return REASONS[status]?.[0] ?? 'Unknown'; }

/** A response thrown as an exception. Without a body, Swift's default HTML body is used. */
export class SwiftHttpError extends Error {
  constructor(readonly status: number, readonly body?: string, readonly headers: Record<string, string> = {}) {
    super(body ?? reasonPhrase(status));
    this.name = 'SwiftHttpError';
  }
  toResponse(): SwiftResponse { return errorResponse(this.status, this.body, this.headers); }
}

/** Throwable shorthand: `throw httpError(400, 'Metadata name too long')`. */
export function httpError(status: number, body?: string, headers?: Record<string, string>): SwiftHttpError {
  return new SwiftHttpError(status, body, headers);
}

/**
 * An error response as Swift sends it: an explicit body as given, a missing one replaced by swob's
 * default `<html><h1>Title</h1><p>Explanation</p></html>`.
 */
export function errorResponse(status: number, body?: string, headers: Record<string, string> = {}): SwiftResponse {
  if (body === undefined) {
    const [title, explanation] = REASONS[status] ?? ['Unknown', ''];
    if (!explanation) return { status, headers: { 'content-length': '0', ...headers }, body: '' };
    body = `<html><h1>${title}</h1><p>${explanation}</p></html>`;
    return { status, headers: { 'content-type': 'text/html; charset=UTF-8', ...headers }, body };
  }
  return { status, headers: { 'content-type': 'text/html; charset=UTF-8', ...headers }, body };
}

/** Map any thrown value to a SwiftHttpError, or undefined when it is an internal fault (500). */
export function toSwiftError(err: unknown): SwiftHttpError | undefined {
  if (err instanceof SwiftHttpError) return err;
  if (err instanceof E.AccountNotFound || err instanceof E.ContainerNotFound) return httpError(404);
  if (err instanceof E.ObjectNotFound) {
    return httpError(404, undefined, err.deletedAt ? { 'x-backend-timestamp': err.deletedAt } : {});
  }
  if (err instanceof E.ContainerNotEmpty) {
    return httpError(409, 'There was a conflict when trying to complete your request.');
  }
  if (err instanceof E.ChecksumMismatch) return httpError(422);
  if (err instanceof E.SizeMismatch) return httpError(499);
  if (err instanceof E.ClientDisconnected) return httpError(499);
  if (err instanceof E.Conflict) return httpError(409);
  if (err instanceof E.QuorumNotMet || err instanceof E.InsufficientStorage || err instanceof E.Timeout
      || err instanceof E.BrickUnavailable || err instanceof E.StaleLayout) return httpError(503);
  if (err instanceof E.RangeNotSatisfiable) return httpError(416);
  if (err instanceof E.InvalidArgument) return httpError(400, err.message);
  return undefined;
}

/**
 * toSwiftError for a request being answered: a store failure that becomes a 5xx (quorum not met, no
 * space, a brick timing out) is logged at warn on the request's logger, which carries the trans id,
 * with its chain of causes. The client sees only the status; the operator must be able to see why.
 */
export function toLoggedSwiftError(err: unknown, log: Pick<Logger, 'warn'>): SwiftHttpError | undefined {
  const mapped = toSwiftError(err);
  if (mapped && mapped.status >= 500 && err instanceof E.StoreError) {
    const causes = causeChain(err);
    log.warn({ status: mapped.status, causes, stack: rootStack(err) }, `store failure answered ${mapped.status}: ${causes.join(' <- ')}`);
  }
  return mapped;
}

/** How deep a cause chain is followed (they are short; this only guards against a cycle). */
const MAX_CAUSES = 8;

/** "Name [code]: message" of an error and each of its causes, outermost first. */
export function causeChain(err: unknown): string[] {
  const out: string[] = [];
  for (let e: unknown = err; e !== undefined && e !== null && out.length < MAX_CAUSES; e = (e as { cause?: unknown }).cause) {
    if (!(e instanceof Error)) { out.push(String(e)); break; }
    const code = (e as { code?: unknown }).code;
    out.push(`${e.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${e.message}`);
  }
  return out;
}

/** The stack of the innermost cause (where the failure really happened). */
function rootStack(err: unknown): string | undefined {
  let e = err;
  for (let n = 0; n < MAX_CAUSES && e instanceof Error && e.cause instanceof Error; n++) e = e.cause;
  return e instanceof Error ? e.stack : undefined;
}
