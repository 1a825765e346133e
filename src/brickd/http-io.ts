/**
 * Small HTTP helpers of the brick server: read a capped JSON body, answer JSON, answer an error in
 * the wire format RemoteBrick decodes (src/storage/brick/remote-errors.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidArgument } from '../storage/errors.js';
import { toWire } from '../storage/brick/remote-errors.js';
import { MAX_JSON_REQUEST } from '../storage/brick/remote-protocol.js';

/** The request's JSON body as an object (an empty body is `{}`); InvalidArgument when it is not one. */
export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const parts: Buffer[] = [];
  let size = 0;
  // Buffering is fine here: call bodies are records and queries, capped at MAX_JSON_REQUEST.
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_JSON_REQUEST) throw new InvalidArgument(`request body over ${MAX_JSON_REQUEST} bytes`);
    parts.push(chunk as Buffer);
  }
  if (size === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(parts).toString('utf8'));
  } catch (err) {
    throw new InvalidArgument(`request body is not JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InvalidArgument('request body must be a JSON object');
  return value as Record<string, unknown>;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Answer an error. When the request body was not read (a refused upload), the connection is closed
 * after the answer rather than reading or skipping an unbounded body.
 */
export function sendError(req: IncomingMessage, res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy(err instanceof Error ? err : undefined); // mid-stream: the client sees the body cut short
    return;
  }
  const { status, error } = toWire(err);
  if (!req.complete) res.setHeader('connection', 'close');
  sendJson(res, status, { error });
}
