/**
 * Plain status responses as swob builds them when a Swift server answers without a body of its own:
 * Content-Type "text/html; charset=UTF-8" always, and the default HTML page for statuses that have an
 * explanation (202 Accepted, 404, 409 ...) or an empty body (201, 204). Error statuses thrown as
 * SwiftHttpError get the same treatment through errors.ts; this is for the success paths.
 */
import { REASONS } from './errors.js';
import type { SwiftResponse } from './http.js';

export function swobResponse(status: number, headers: Record<string, string> = {}): SwiftResponse {
  const [title, explanation] = REASONS[status] ?? ['Unknown', ''];
  const body = explanation ? `<html><h1>${title}</h1><p>${explanation}</p></html>` : '';
  return {
    status,
    headers: { 'content-type': 'text/html; charset=UTF-8', 'content-length': String(Buffer.byteLength(body)), ...headers },
    body,
  };
}
