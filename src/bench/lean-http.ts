/**
 * A lean HTTP/1.1 keep-alive client for the bench's small requests, in the spirit of wrk: the bench
 * client shares the machine's cores with the server it measures, so every microsecond of client CPU
 * per request is taken from the server. Against Cairn, undici and node:http cost ~40-70 µs of CPU
 * per small request (streams, per-request objects, a parsed header object per response); this
 * client about 20 µs for GET and HEAD, most of it the kernel's socket work and the event loop's
 * wake-up. It writes one buffer per request, parses the response in place from a read buffer the
 * socket reuses, and builds the header record only if a caller reads it.
 *
 * Scope: one http origin; a pool of up to N connections opened on demand, each carrying one request
 * at a time (no pipelining); further requests wait for a free connection. Response bodies are
 * counted, or collected on request (small JSON listings). Framing follows RFC 9112: no body for HEAD
 * and for 1xx/204/304; otherwise Transfer-Encoding: chunked, Content-Length, or read until close.
 * Interim 1xx responses are skipped. A connection is retired when the server says `Connection: close`,
 * closes it or errs, or breaks the protocol; a request in flight on it fails, later ones get a new
 * connection.
 */
import { connect, type Socket } from 'node:net';

export interface LeanRequest {
  method: string;
  /** Request target, e.g. `/v1/AUTH_x/c/o?format=json` (already percent-encoded). */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
  /** Keep the response body (returned as `body`); otherwise it is only counted. */
  collect?: boolean;
}

export interface LeanReply {
  status: number;
  /** Response body bytes received (after chunked decoding). */
  bytes: number;
  /** Response headers, names lower-cased; repeated fields joined with ", " (set-cookie: an array). */
  headers: Record<string, string | string[]>;
  /** Only when the request asked to `collect`. */
  body?: Buffer;
}

/** Per-connection read buffer: the socket reads straight into it (no Buffer allocated per read). */
const READ_BUFFER = 64 * 1024;
/** Limits that turn a misbehaving server into an error instead of unbounded memory. */
const MAX_HEAD = 64 * 1024;
const MAX_LINE = 8 * 1024;
/** Above this a body is written after the head (corked) rather than copied into one buffer with it. */
const COPY_BODY_MAX = 64 * 1024;

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
const LF = 0x0a;

/** Parser states of a connection. */
const IDLE = 0;
const HEAD = 1;
const LENGTH = 2;
const CHUNK_SIZE = 3;
const CHUNK_DATA = 4;
const CHUNK_END = 5;
const TRAILERS = 6;
const UNTIL_CLOSE = 7;
const DEAD = 8;

/** Methods safe to send again when a reused connection turns out to have been closed under us. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
/** Methods whose empty body still gets `Content-Length: 0` (Swift wants it on PUT container). */
const BODY_METHODS = new Set(['PUT', 'POST', 'PATCH']);

interface Pending {
  req: LeanRequest;
  wire: string | Buffer;
  resolve: (r: LeanReply) => void;
  reject: (e: Error) => void;
  /** Sent again once already (see Conn.retire). */
  retried: boolean;
}

/** A response the server sent that HTTP/1.1 does not allow: the connection cannot be trusted further. */
class ProtocolError extends Error {}

export class LeanPool {
  private readonly host: string;
  private readonly port: number;
  private readonly all = new Set<Conn>();
  private readonly idle: Conn[] = [];
  private readonly queue: Pending[] = [];
  private closed = false;

  /** Serialized once: fields every request carries (the bench's auth token). */
  private readonly fixed: string;

  /** `headers` go with every request (checked and serialized once, not per request). */
  constructor(origin: string | URL, private readonly connections: number, headers: Record<string, string> = {}) {
    const u = new URL(origin);
    if (u.protocol !== 'http:') throw new Error(`lean-http: only http:// origins (got ${u.protocol})`);
    if (!Number.isInteger(connections) || connections < 1) throw new Error(`lean-http: connections must be a positive integer (got ${connections})`);
    this.host = u.hostname.replace(/^\[|\]$/g, '');
    this.port = u.port === '' ? 80 : Number(u.port);
    if (Object.keys(headers).some((n) => n.toLowerCase() === 'content-length')) throw new Error('lean-http: content-length is per request');
    this.fixed = `Host: ${u.host}\r\n${serializeFields(headers, 0)}`;
  }

  request(req: LeanRequest): Promise<LeanReply> {
    if (this.closed) return Promise.reject(new Error('lean-http: pool closed'));
    let wire: string | Buffer;
    try {
      wire = this.serialize(req);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return new Promise<LeanReply>((resolve, reject) => {
      this.dispatch({ req, wire, resolve, reject, retried: false });
    });
  }

  /** Destroy every socket; requests in flight or waiting fail. */
  async close(): Promise<void> {
    this.closed = true;
    const err = new Error('lean-http: pool closed');
    for (const p of this.queue.splice(0)) p.reject(err);
    for (const c of [...this.all]) c.retire(err, false);
  }

  /** Open, idle and busy connections (for tests and diagnostics). */
  get size(): number { return this.all.size; }

  private dispatch(p: Pending): void {
    const c = this.idle.pop();
    if (c) c.send(p);
    else if (this.all.size < this.connections) this.open().send(p);
    else this.queue.push(p);
  }

  private open(): Conn {
    const c = new Conn(this, this.host, this.port);
    this.all.add(c);
    return c;
  }

  /** A connection finished a request and stays open: give it the next waiting request. */
  released(c: Conn): void {
    const next = this.queue.shift();
    if (next) c.send(next);
    else this.idle.push(c);
  }

  /** A connection is gone; `retry` goes first in line. Waiting requests get a new connection. */
  retired(c: Conn, retry?: Pending): void {
    this.all.delete(c);
    const i = this.idle.indexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
    if (retry) this.queue.unshift(retry);
    if (this.closed) return;
    while (this.queue.length > 0 && this.all.size < this.connections) this.open().send(this.queue.shift()!);
  }

  /** The request head (and a small body) as the bytes to write. */
  private serialize(req: LeanRequest): string | Buffer {
    const { method, path, headers, body } = req;
    if (!/^[A-Z]+$/.test(method)) throw new Error(`lean-http: bad method ${JSON.stringify(method)}`);
    if (path[0] !== '/' || hasCtl(path) || path.includes(' ')) throw new Error(`lean-http: bad path ${JSON.stringify(path)}`);
    const length = body?.length ?? 0;
    let head = `${method} ${path} HTTP/1.1\r\n${this.fixed}`;
    if (headers) head += serializeFields(headers, length);
    if (length > 0 || BODY_METHODS.has(method)) head += `Content-Length: ${length}\r\n`;
    head += '\r\n';
    if (length === 0) return head;
    if (length > COPY_BODY_MAX) return head;
    const n = Buffer.byteLength(head, 'latin1');
    const wire = Buffer.allocUnsafe(n + length);
    wire.write(head, 0, 'latin1');
    body!.copy(wire, n);
    return wire;
  }
}

/** Header lines for `headers`; a Content-Length among them must agree with the body's `length`. */
function serializeFields(headers: Record<string, string>, length: number): string {
  let out = '';
  for (const name in headers) {
    const value = headers[name]!;
    if (hasCtl(name) || hasCtl(value) || name.includes(':')) throw new Error(`lean-http: header ${JSON.stringify(name)} has a control character, a colon or a character above U+00FF`);
    const lower = name.toLowerCase();
    // Framing is ours: the body decides Content-Length, and we never send chunked.
    if (lower === 'content-length') {
      if (value.trim() !== String(length)) throw new Error(`lean-http: content-length ${value} but the body has ${length} bytes`);
      continue;
    }
    if (lower === 'host' || lower === 'transfer-encoding') throw new Error(`lean-http: ${lower} is set by the client`);
    out += `${name}: ${value}\r\n`;
  }
  return out;
}

/**
 * CR, LF or NUL would split or end a header line; a character above U+00FF would be mangled by the
 * latin1 encoding the head is written in.
 */
function hasCtl(s: string): boolean {
  return /[\r\n\0\u0100-\uffff]/.test(s);
}

class Conn {
  private readonly socket: Socket;
  private state = IDLE;
  private current: Pending | undefined;
  /** Bytes of a response head not yet ended by CRLFCRLF. */
  private headPart: Buffer | undefined;
  /** A chunked-framing line not yet ended by LF. */
  private line = '';
  private trailerBytes = 0;
  private remaining = 0;
  private status = 0;
  /** The final response's head (status line and fields), parsed into `headers` on demand. */
  private head = '';
  private keepAlive = true;
  private bytes = 0;
  private chunks: Buffer[] | undefined;
  /** Any byte of the current response received (a retry is only safe before that). */
  private answered = false;
  /** Requests completed on this connection (a reused one may have been closed by the server). */
  private served = 0;

  constructor(private readonly pool: LeanPool, private readonly host: string, private readonly port: number) {
    const buffer = Buffer.allocUnsafe(READ_BUFFER);
    this.socket = connect({
      host, port,
      onread: { buffer, callback: (n: number) => { this.feed(buffer, n); return true; } },
    });
    this.socket.setNoDelay(true);
    this.socket.on('end', () => this.onEnd());
    this.socket.on('error', (err) => this.retire(this.failure(err.message, err), true));
    this.socket.on('close', () => this.retire(this.failure('connection closed'), true));
  }

  send(p: Pending): void {
    this.current = p;
    this.state = HEAD;
    this.status = 0;
    this.head = '';
    this.keepAlive = true;
    this.bytes = 0;
    this.chunks = p.req.collect ? [] : undefined;
    this.answered = false;
    const { wire } = p;
    const body = p.req.body;
    if (typeof wire === 'string' && body !== undefined && body.length > 0) {
      // A large body: head and body leave in one writev instead of being copied together.
      this.socket.cork();
      this.socket.write(wire, 'latin1');
      this.socket.write(body);
      this.socket.uncork();
    } else if (typeof wire === 'string') {
      this.socket.write(wire, 'latin1');
    } else {
      this.socket.write(wire);
    }
  }

  /** Close the connection; fail (or, when safe, hand back for a retry) the request in flight. */
  retire(err: Error, mayRetry: boolean): void {
    if (this.state === DEAD) return;
    const p = this.current;
    this.state = DEAD;
    this.current = undefined;
    this.headPart = undefined;
    this.chunks = undefined;
    this.socket.destroy();
    // The server may close an idle keep-alive connection just as we send on it; a request that got no
    // answer on a reused connection is sent once more on a new one, as browsers do.
    const retry = mayRetry && p !== undefined && !this.answered && this.served > 0 && !p.retried && IDEMPOTENT.has(p.req.method);
    if (retry) p.retried = true;
    this.pool.retired(this, retry ? p : undefined);
    if (p && !retry) p.reject(err);
  }

  private failure(what: string, cause?: Error): Error {
    const p = this.current;
    const req = p ? `${p.req.method} ${p.req.path}` : 'idle connection';
    return new Error(`${req} to ${this.host}:${this.port}: ${what}`, cause ? { cause } : undefined);
  }

  private onEnd(): void {
    if (this.state === UNTIL_CLOSE) { this.keepAlive = false; this.complete(); return; }
    this.retire(this.failure(this.current ? 'the server closed the connection before the response was complete' : 'closed by the server'), true);
  }

  /** Parse `buf[0, end)`, which the socket has just read. */
  private feed(buf: Buffer, end: number): void {
    if (this.state === DEAD) return;
    if (this.current === undefined) {
      this.retire(this.failure('the server sent bytes with no request outstanding'), false);
      return;
    }
    this.answered = true;
    let pos = 0;
    try {
      while (pos < end && this.state !== IDLE) {
        switch (this.state) {
          case HEAD: pos = this.readHead(buf, pos, end); break;
          case LENGTH:
          case CHUNK_DATA: {
            const n = Math.min(this.remaining, end - pos);
            this.take(buf, pos, n);
            pos += n;
            this.remaining -= n;
            if (this.remaining === 0) {
              if (this.state === LENGTH) this.state = IDLE;
              else this.state = CHUNK_END;
            }
            break;
          }
          case UNTIL_CLOSE: this.take(buf, pos, end - pos); pos = end; break;
          default: pos = this.readLine(buf, pos, end);
        }
      }
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.retire(this.failure(`bad response: ${err.message}`), false);
      return;
    }
    if (this.state !== IDLE) return;
    // Bytes after a complete response were never asked for: the stream can no longer be trusted.
    if (pos < end) this.keepAlive = false;
    this.complete();
  }

  private take(buf: Buffer, pos: number, n: number): void {
    this.bytes += n;
    // Copy: the read buffer is reused for the next read.
    if (this.chunks && n > 0) this.chunks.push(Buffer.from(buf.subarray(pos, pos + n)));
  }

  private readHead(buf: Buffer, pos: number, end: number): number {
    let head: string;
    let next: number;
    if (this.headPart === undefined) {
      const i = buf.indexOf(CRLFCRLF, pos);
      // Matches at or past `end` lie in stale bytes of the reused buffer.
      if (i < 0 || i + 4 > end) { this.keepHeadPart(Buffer.from(buf.subarray(pos, end))); return end; }
      head = buf.toString('latin1', pos, i);
      next = i + 4;
    } else {
      const had = this.headPart.length;
      const joined = Buffer.concat([this.headPart, buf.subarray(pos, end)]);
      const i = joined.indexOf(CRLFCRLF, Math.max(0, had - 3));
      if (i < 0) { this.keepHeadPart(joined); return end; }
      head = joined.toString('latin1', 0, i);
      next = pos + (i + 4 - had);
      this.headPart = undefined;
    }
    this.parseHead(head);
    return next;
  }

  private keepHeadPart(part: Buffer): void {
    if (part.length > MAX_HEAD) throw new ProtocolError(`response head over ${MAX_HEAD} bytes`);
    this.headPart = part;
  }

  /**
   * Status line, and the fields that decide framing; then the body framing (RFC 9112 section 6.3).
   * The full header record is built only if a caller reads it (the bench seldom does): parsing every
   * field of every response was a tenth of the client's CPU.
   */
  private parseHead(head: string): void {
    const eol = head.indexOf('\r\n');
    const sl = eol < 0 ? head : head.slice(0, eol);
    if (!sl.startsWith('HTTP/1.') || sl.length < 12 || sl.charCodeAt(8) !== 32 || (sl.length > 12 && sl.charCodeAt(12) !== 32)) {
      throw new ProtocolError(`status line ${JSON.stringify(sl.slice(0, 80))}`);
    }
    const code = sl.slice(9, 12);
    if (!/^[1-5]\d\d$/.test(code)) throw new ProtocolError(`status line ${JSON.stringify(sl.slice(0, 80))}`);
    const status = Number(code);
    let cl: string | undefined;
    let te: string | undefined;
    let connection: string | undefined;
    // Which framing field the previous line was, for an obs-fold continuation line.
    let last = '';
    const first = eol < 0 ? head.length : eol + 2;
    for (let pos = first; pos < head.length;) {
      let next = head.indexOf('\r\n', pos);
      if (next < 0) next = head.length;
      const c0 = head.charCodeAt(pos);
      if (c0 === 32 || c0 === 9) {
        if (pos === first) throw new ProtocolError('folded line before any header');
        const more = head.slice(pos, next).trim();
        if (last === 'content-length') cl += ` ${more}`;
        else if (last === 'transfer-encoding') te += ` ${more}`;
        else if (last === 'connection') connection += ` ${more}`;
      } else {
        const colon = head.indexOf(':', pos);
        if (colon <= pos || colon > next) throw new ProtocolError(`header line ${JSON.stringify(head.slice(pos, Math.min(next, pos + 80)))}`);
        const b = head.charCodeAt(colon - 1);
        if (b === 32 || b === 9) throw new ProtocolError(`whitespace before the colon in ${JSON.stringify(head.slice(pos, colon))}`);
        last = '';
        const len = colon - pos;
        // Only names of these lengths can be content-length (14), transfer-encoding (17) or connection (10).
        if (len === 14 || len === 17 || len === 10) {
          const name = head.slice(pos, colon).toLowerCase();
          const value = head.slice(colon + 1, next).trim();
          if (name === 'content-length') { cl = cl === undefined ? value : `${cl}, ${value}`; last = name; }
          else if (name === 'transfer-encoding') { te = te === undefined ? value : `${te}, ${value}`; last = name; }
          else if (name === 'connection') { connection = connection === undefined ? value : `${connection}, ${value}`; last = name; }
        }
      }
      pos = next + 2;
    }

    if (status < 200) {
      // Interim (100 Continue, 103 Early Hints): the final response follows on the same connection.
      if (status === 101) throw new ProtocolError('101 Switching Protocols, but no upgrade was asked for');
      this.state = HEAD;
      return;
    }
    this.status = status;
    this.head = head;
    const tokens = connection === undefined ? '' : connection.toLowerCase();
    this.keepAlive = sl.charCodeAt(7) === 0x30 ? /(^|,)\s*keep-alive\s*(,|$)/.test(tokens) : !/(^|,)\s*close\s*(,|$)/.test(tokens);

    if (this.current!.req.method === 'HEAD' || status === 204 || status === 304) { this.state = IDLE; return; }
    if (te !== undefined) {
      // Transfer-Encoding overrides Content-Length; if chunked is not the last coding, the body ends at close.
      const codings = te.toLowerCase().split(',');
      if (codings[codings.length - 1]!.trim() === 'chunked') { this.state = CHUNK_SIZE; return; }
      this.keepAlive = false;
      this.state = UNTIL_CLOSE;
      return;
    }
    if (cl !== undefined) {
      // "5, 5" (a repeated field) is fine as long as every value agrees.
      const values = cl.split(',').map((v) => v.trim());
      if (!values.every((v) => /^\d{1,15}$/.test(v) && v === values[0])) throw new ProtocolError(`content-length ${JSON.stringify(cl)}`);
      this.remaining = Number(values[0]);
      this.state = this.remaining === 0 ? IDLE : LENGTH;
      return;
    }
    this.keepAlive = false;
    this.state = UNTIL_CLOSE;
  }

  /** One line of chunked framing: a chunk size, the CRLF after chunk data, or a trailer field. */
  private readLine(buf: Buffer, pos: number, end: number): number {
    const nl = buf.indexOf(LF, pos);
    if (nl < 0 || nl >= end) {
      this.line += buf.toString('latin1', pos, end);
      if (this.line.length > MAX_LINE) throw new ProtocolError(`chunked framing line over ${MAX_LINE} bytes`);
      return end;
    }
    let line = this.line + buf.toString('latin1', pos, nl);
    this.line = '';
    if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    switch (this.state) {
      case CHUNK_SIZE: {
        const semi = line.indexOf(';');
        // Chunk extensions (after ';') carry nothing the bench needs.
        const hex = (semi < 0 ? line : line.slice(0, semi)).trim();
        if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) throw new ProtocolError(`chunk size ${JSON.stringify(line.slice(0, 80))}`);
        this.remaining = parseInt(hex, 16);
        if (this.remaining === 0) { this.state = TRAILERS; this.trailerBytes = 0; } else this.state = CHUNK_DATA;
        break;
      }
      case CHUNK_END:
        if (line !== '') throw new ProtocolError('chunk data longer than its size');
        this.state = CHUNK_SIZE;
        break;
      default:
        // Trailer fields are read past, not kept: the bench reads nothing from them.
        if (line === '') { this.state = IDLE; break; }
        this.trailerBytes += line.length;
        if (this.trailerBytes > MAX_HEAD) throw new ProtocolError(`trailers over ${MAX_HEAD} bytes`);
    }
    return nl + 1;
  }

  /** The response is whole: answer the caller, then keep or retire the connection. */
  private complete(): void {
    const p = this.current!;
    const reply = new Reply(this.status, this.bytes, this.head);
    if (this.chunks) reply.body = Buffer.concat(this.chunks);
    this.current = undefined;
    this.chunks = undefined;
    this.served++;
    if (this.keepAlive) {
      this.state = IDLE;
      this.pool.released(this);
    } else {
      this.retire(new Error('retired'), false);
    }
    p.resolve(reply);
  }
}

/** A LeanReply whose header record is parsed from the head the first time it is read. */
class Reply implements LeanReply {
  body?: Buffer;
  private parsed: Record<string, string | string[]> | undefined;

  constructor(readonly status: number, readonly bytes: number, private readonly head: string) {}

  get headers(): Record<string, string | string[]> {
    return (this.parsed ??= parseFields(this.head));
  }
}

/** The fields of a head that parseHead has already checked line by line. */
function parseFields(head: string): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  const lines = head.split('\r\n');
  let last = '';
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i]!;
    const c0 = l.charCodeAt(0);
    if (c0 === 32 || c0 === 9) {
      // Obsolete line folding: a continuation of the previous field, joined with a space.
      const prev = headers[last];
      if (typeof prev === 'string') headers[last] = `${prev} ${l.trim()}`;
      continue;
    }
    const colon = l.indexOf(':');
    const name = l.slice(0, colon).toLowerCase();
    const value = l.slice(colon + 1).trim();
    const prev = headers[name];
    if (prev === undefined) headers[name] = name === 'set-cookie' ? [value] : value;
    else if (typeof prev === 'string') headers[name] = `${prev}, ${value}`;
    else prev.push(value);
    last = name;
  }
  return headers;
}
