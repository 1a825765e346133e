/**
 * Request lines that Node's HTTP parser refuses but Swift's eventlet front serves.
 *
 * - Raw (unquoted) bytes in the target: a client may send a UTF-8 name without percent-encoding it
 *   (Swift's own functional tests do, with `no_path_quote`), and Swift then serves it or, for invalid
 *   UTF-8 or a NUL, answers 412. Node's parser (llhttp) stops at the first byte outside printable
 *   ASCII with HPE_INVALID_URL. Percent-encoding a byte of the target does not change what it
 *   decodes to, so the request is served as its percent-encoded form.
 * - Methods llhttp does not know (HPE_INVALID_METHOD): Swift answers them (405 from its
 *   controllers, e.g. `LICK`). The line is rewritten to GET and the real method travels in a header
 *   whose name is random per process (ORIGINAL_METHOD_HEADER), so no client can forge it; the HTTP
 *   front puts the method back before the pipeline sees the request.
 *
 * When the parser fails on such a line, the line is rewritten and the connection handed to a fresh
 * parser, so the request reaches the pipeline like any other.
 *
 * Taking a socket away from Node's HTTP server mirrors what the server itself does for an Upgrade
 * (`onParserExecuteCommon` in lib/_http_server.js): the server's listeners come off, the parser stops
 * consuming the socket, and the server gets the socket again as a new connection. The internals this
 * relies on are checked before use; when anything is not as expected the caller falls back to
 * answering the request as unparsable.
 */
import { randomBytes } from 'node:crypto';
import { METHODS, type Server } from 'node:http';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** What Node's parser attaches to a parse error. */
export interface HttpParseError extends Error {
  code?: string;
  rawPacket?: unknown;
  bytesParsed?: unknown;
}

/** The parts of Node's internal HTTPParser used here. */
interface NodeHttpParser {
  _consumed?: boolean;
  unconsume?: () => void;
  remove?: () => void;
  close?: () => void;
  socket?: unknown;
  incoming?: unknown;
  onIncoming?: unknown;
}

/** The socket as Node's HTTP server leaves it (net.Socket plus internal fields). */
type ServerSocket = Socket & { parser?: NodeHttpParser | null; _httpMessage?: unknown };

/** Listeners Node's HTTP server puts on a connection's socket (lib/_http_server.js), by function name. */
const SERVER_LISTENERS = new Set([
  'bound socketOnData', 'bound socketOnEnd', 'bound socketOnClose', 'bound socketOnDrain',
  'socketOnTimeout', 'socketOnError', 'onSocketPause', 'onSocketResume',
]);
const SERVER_EVENTS = ['data', 'end', 'close', 'drain', 'timeout', 'error', 'pause', 'resume'];

const METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const KNOWN_METHODS = new Set(METHODS);
/** Parse errors a rewritten request line can cure. */
const CURABLE = new Set(['HPE_INVALID_URL', 'HPE_INVALID_METHOD']);

/**
 * The (lower-case) header that carries a method llhttp does not know, from the rewritten request
 * line to the HTTP front. Random per process: a client cannot send it.
 */
export const ORIGINAL_METHOD_HEADER = `x-cairn-original-method-${randomBytes(12).toString('hex')}`;
const VERSION = /^HTTP\/\d\.\d$/;

/** Percent-encode every byte of a request target that llhttp refuses (controls, space, DEL, non-ASCII). */
function quoteTarget(target: Buffer): Buffer {
  const out: number[] = [];
  for (const b of target) {
    if (b <= 0x20 || b >= 0x7f) {
      for (const c of `%${b.toString(16).toUpperCase().padStart(2, '0')}`) out.push(c.charCodeAt(0));
    } else {
      out.push(b);
    }
  }
  return Buffer.from(out);
}

/**
 * `packet` rewritten: its first line, if it is a request line ("METHOD SP target SP HTTP/x.y"), with
 * the target's refused bytes percent-encoded and an unknown method replaced by GET plus an
 * ORIGINAL_METHOD_HEADER line; the rest unchanged. Undefined when the first line is not complete in
 * `packet` or is not a request line.
 */
export function requoteRequestLine(packet: Buffer): Buffer | undefined {
  const eol = packet.indexOf(0x0a);
  if (eol < 0) return undefined;
  const lineEnd = eol > 0 && packet[eol - 1] === 0x0d ? eol - 1 : eol;
  const line = packet.subarray(0, lineEnd);
  const sp1 = line.indexOf(0x20);
  const sp2 = line.lastIndexOf(0x20);
  if (sp1 <= 0 || sp2 <= sp1) return undefined;
  const method = line.subarray(0, sp1).toString('latin1');
  const version = line.subarray(sp2 + 1).toString('latin1');
  if (!METHOD.test(method) || !VERSION.test(version)) return undefined;
  const known = KNOWN_METHODS.has(method);
  const newline = packet.subarray(lineEnd, eol + 1);
  return Buffer.concat([
    Buffer.from(known ? method : 'GET', 'latin1'), line.subarray(sp1, sp1 + 1), quoteTarget(line.subarray(sp1 + 1, sp2)),
    line.subarray(sp2), newline,
    ...(known ? [] : [Buffer.from(`${ORIGINAL_METHOD_HEADER}: ${method}`, 'latin1'), newline]),
    packet.subarray(eol + 1),
  ]);
}

/**
 * On a 'clientError': if the parser refused the request line's target or method, rewrite the line and give the
 * connection to a fresh parser (after any responses still being written for earlier, pipelined
 * requests). Returns false (nothing touched) when that is not possible: another error, a line that
 * started in an earlier packet, or Node internals that are not as expected.
 */
export function retryWithQuotedTarget(server: Server, socket: Duplex, err: HttpParseError): boolean {
  if (!CURABLE.has(err.code ?? '') || !(socket instanceof Socket) || !Buffer.isBuffer(err.rawPacket)) return false;
  const s = socket as ServerSocket;
  const parser = s.parser;
  if (!parser || typeof parser.unconsume !== 'function' || !s.readable || !s.writable) return false;
  const packet = err.rawPacket;
  const at = typeof err.bytesParsed === 'number' ? Math.min(err.bytesParsed, packet.length) : packet.length;
  // The refused line starts after the previous line break (earlier bytes ended the previous request).
  const start = at > 0 ? packet.lastIndexOf(0x0a, at - 1) + 1 : 0;
  const fixed = requoteRequestLine(packet.subarray(start));
  if (!fixed) return false;

  // Stop reading now (the server's 'pause' listener stops the handle the parser consumes): the old
  // parser has failed and must see no more bytes.
  s.pause();
  whenIdle(s, () => {
    if (s.destroyed || !s.writable) {
      s.destroy();
      return;
    }
    takeOver(server, s, parser, fixed);
  });
  return true;
}

/**
 * Run `fn` once no response is attached to the socket any more (the requests the parser accepted
 * before it failed are still answered). The socket is destroyed instead if such a response closes
 * without finishing.
 */
export function whenIdle(s: Duplex & { _httpMessage?: unknown }, fn: () => void): void {
  const res = s._httpMessage as { once?: (ev: string, cb: () => void) => void } | undefined | null;
  if (!res || typeof res.once !== 'function') {
    fn();
    return;
  }
  // Node attaches the next queued response when this one finishes; look again after that.
  res.once('finish', () => setImmediate(() => whenIdle(s, fn)));
  res.once('close', () => setImmediate(() => { if (s._httpMessage === res) s.destroy(); }));
}

/** Detach the failed parser (as Node does for an Upgrade) and hand the socket over as a new connection. */
function takeOver(server: Server, s: ServerSocket, parser: NodeHttpParser, fixed: Buffer): void {
  for (const ev of SERVER_EVENTS) {
    for (const l of s.listeners(ev)) {
      if (SERVER_LISTENERS.has((l as { name?: string }).name ?? '')) s.removeListener(ev, l as (...a: unknown[]) => void);
    }
  }
  if (parser._consumed) parser.unconsume!();
  parser._consumed = false;
  parser.remove?.();
  parser.socket = null;
  parser.incoming = null;
  parser.onIncoming = null;
  s.parser = null;
  // The C++ parser may still be on the stack (this can run inside its callback): free it afterwards.
  setImmediate(() => parser.close?.());
  // An idle timeout the old connection set after its last response is the new connection's to set.
  s.setTimeout(0);

  // The socket's handle stays marked consumed, so the new parser reads 'data' events and sees the
  // re-quoted bytes first.
  s.unshift(fixed);
  server.emit('connection', s);
  s.resume();
}
