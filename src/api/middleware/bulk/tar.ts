/**
 * A streaming tar reader (POSIX ustar, GNU long names, pax extended headers), read the way Python's
 * tarfile reads a stream (`mode='r|'`): entries come one at a time, each regular file's data as a
 * Readable of exactly its size that must be read (or abandoned) before asking for the next entry.
 * Nothing is buffered beyond one header block and, for long names / pax headers, their (capped) text.
 */
import { Readable } from 'node:stream';
import { ByteSource, TruncatedData } from './byte-source.js';

const BLOCK = 512;
/** GNU long names and pax headers bigger than this are refused rather than held in memory. */
const MAX_META_BLOCK = 1 << 20;
const REGULAR_TYPES = new Set(['0', '\0', '7', 'S']);
/** Types whose size field is not followed by data (Python's SUPPORTED_TYPES minus the regular ones). */
const NO_DATA_TYPES = new Set(['1', '2', '3', '4', '5', '6']);

/** A tar format error, with Python tarfile's wording (Swift shows it as "Invalid Tar File: <msg>"). */
export class TarError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TarError';
  }
}

export interface TarEntry {
  /** The member name decoded as UTF-8; undefined when its bytes are not valid UTF-8. */
  name: string | undefined;
  /** The member name's bytes read as latin-1 (for messages when `name` is undefined). */
  rawName: string;
  isFile: boolean;
  size: number;
  /** pax header records (global ones included) that applied to this member. */
  pax: Record<string, string>;
  /** The member's data (regular files only); exactly `size` bytes. */
  body: Readable | undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function nts(buf: Buffer): Buffer {
  const nul = buf.indexOf(0);
  return nul < 0 ? buf : buf.subarray(0, nul);
}

/** A numeric header field: octal text, or GNU base-256 when the high bit of the first byte is set. */
function nti(buf: Buffer): number {
  if (buf[0]! & 0x80) {
    let n = 0;
    for (let i = 1; i < buf.length; i++) n = n * 256 + buf[i]!;
    return n;
  }
  const text = nts(buf).toString('latin1').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarError('invalid header');
  return parseInt(text, 8);
}

function checksumOk(block: Buffer): boolean {
  const stored = nti(block.subarray(148, 156));
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

/** pax records: "<len> <key>=<value>\n", lengths in bytes. */
function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < data.length) {
    const sp = data.indexOf(0x20, pos);
    if (sp < 0) break;
    const len = parseInt(data.subarray(pos, sp).toString('latin1'), 10);
    if (!(len > 0) || pos + len > data.length) throw new TarError('invalid header');
    const record = data.subarray(sp + 1, pos + len - 1); // drop the trailing newline
    const eq = record.indexOf(0x3d);
    if (eq >= 0) out[record.subarray(0, eq).toString('utf8')] = record.subarray(eq + 1).toString('utf8');
    pos += len;
  }
  return out;
}

function decodeName(bytes: Buffer): { name: string | undefined; rawName: string } {
  let name: string | undefined;
  try { name = utf8.decode(bytes); } catch { name = undefined; }
  return { name, rawName: bytes.toString('latin1') };
}

export class TarReader {
  private readonly src: ByteSource;
  private current: { body: Readable; state: { left: number; inflight: Promise<void> | undefined }; size: number } | undefined;
  private globalPax: Record<string, string> = {};
  private done = false;

  constructor(stream: Readable) { this.src = new ByteSource(stream); }

  /** The next member, or undefined at the end of the archive. */
  async next(): Promise<TarEntry | undefined> {
    if (this.done) return undefined;
    await this.finishCurrent();
    let longName: Buffer | undefined;
    let pax: Record<string, string> = {};
    for (;;) {
      const atStart = this.src.offset === 0;
      const block = await this.readHeaderBlock(atStart);
      if (!block) return this.end();
      const type = String.fromCharCode(block[156]!);
      let size = nti(block.subarray(124, 136));
      if (type === 'L' || type === 'K' || type === 'x' || type === 'g') {
        if (size > MAX_META_BLOCK) throw new TarError('header too large');
        const data = await this.src.readExact(size) ?? Buffer.alloc(0);
        if (data.length < size) throw new TruncatedData();
        await this.src.skip(pad(size));
        if (type === 'L') longName = nts(data);
        else if (type === 'x') pax = { ...pax, ...parsePax(data) };
        else if (type === 'g') this.globalPax = { ...this.globalPax, ...parsePax(data) };
        continue;
      }
      const merged = { ...this.globalPax, ...pax };
      let nameBytes: Buffer;
      if (merged.path !== undefined) nameBytes = Buffer.from(merged.path, 'utf8');
      else if (longName) nameBytes = longName;
      else {
        nameBytes = nts(block.subarray(0, 100));
        const magic = block.subarray(257, 263).toString('latin1');
        const prefix = nts(block.subarray(345, 500));
        if (magic === 'ustar\0' && prefix.length > 0) nameBytes = Buffer.concat([prefix, Buffer.from('/'), nameBytes]);
      }
      if (merged.size !== undefined && /^\d+$/.test(merged.size)) size = Number(merged.size);
      const { name, rawName } = decodeName(nameBytes);
      let isFile = REGULAR_TYPES.has(type);
      if (type === '\0' && rawName.endsWith('/')) isFile = false; // old-style directory
      if (!isFile) {
        if (!NO_DATA_TYPES.has(type) && !(type === '\0' && rawName.endsWith('/'))) {
          await this.src.skip(size + pad(size));
        }
        return { name, rawName, isFile: false, size, pax: merged, body: undefined };
      }
      const body = this.entryBody(size);
      return { name, rawName, isFile: true, size, pax: merged, body };
    }
  }

  /** Read one header block; undefined at the end of the archive (Python's rules for where that is an error). */
  private async readHeaderBlock(atStart: boolean): Promise<Buffer | undefined> {
    let block: Buffer | null;
    try {
      block = await this.src.readExact(BLOCK);
    } catch (err) {
      if (err instanceof TruncatedData) {
        if (atStart) throw new TarError('truncated header');
        return undefined;
      }
      throw err;
    }
    if (block === null) {
      if (atStart) throw new TarError('empty file');
      return undefined;
    }
    if (block.every((b) => b === 0)) return undefined;
    let problem: string | undefined;
    try {
      if (!checksumOk(block)) problem = 'bad checksum';
    } catch {
      problem = 'invalid header'; // the checksum field itself is not a number
    }
    if (problem) {
      if (atStart) throw new TarError(problem);
      return undefined;
    }
    return block;
  }

  private entryBody(size: number): Readable {
    const state = { left: size, inflight: undefined as Promise<void> | undefined };
    const src = this.src;
    const body = new Readable({
      highWaterMark: 1 << 16,
      read(n) {
        if (state.left === 0) { this.push(null); return; }
        state.inflight = src.readSome(Math.min(state.left, Math.max(n, 1 << 16))).then((b) => {
          state.inflight = undefined;
          if (b === null) { this.destroy(new TarError('unexpected end of data')); return; }
          state.left -= b.length;
          if (this.destroyed) return;
          this.push(b);
          if (state.left === 0) this.push(null);
        }, (err: Error) => {
          state.inflight = undefined;
          this.destroy(err instanceof TruncatedData ? new TarError(err.message) : err);
        });
      },
    });
    this.current = { body, state, size };
    return body;
  }

  /** Skip whatever the consumer left of the current member, and its padding. */
  private async finishCurrent(): Promise<void> {
    const cur = this.current;
    if (!cur) return;
    this.current = undefined;
    if (cur.body && !cur.body.destroyed) cur.body.destroy();
    // A read the body started must land (and be counted) before the source is read again.
    while (cur.state.inflight) await cur.state.inflight;
    try {
      await this.src.skip(cur.state.left + pad(cur.size));
    } catch (err) {
      if (err instanceof TruncatedData) throw new TarError('unexpected end of data');
      throw err;
    }
  }

  private end(): undefined {
    this.done = true;
    return undefined;
  }
}

function pad(size: number): number {
  const r = size % BLOCK;
  return r === 0 ? 0 : BLOCK - r;
}
