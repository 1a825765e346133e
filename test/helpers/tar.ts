/**
 * Building tar archives in tests: ustar members, GNU long names ('L') and pax headers ('x'),
 * checksummed as tar does it.
 */
import assert from 'node:assert/strict';

export interface TarMember {
  name: string;
  data?: string | Buffer;
  /** '0' file (default), '5' directory, '2' symlink. */
  type?: string;
  /** Store the name as a GNU long-name record (for names over 100 bytes). */
  gnuLongName?: boolean;
  /** pax records for this member (e.g. path, SCHILY.xattr.user.meta.color). */
  pax?: Record<string, string>;
}

function header(name: Buffer, size: number, type: string): Buffer {
  const h = Buffer.alloc(512);
  name.copy(h, 0, 0, Math.min(name.length, 100));
  h.write('0000644\0', 100, 'latin1');
  h.write('0000000\0', 108, 'latin1');
  h.write('0000000\0', 116, 'latin1');
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  h.write(`${Math.floor(Date.now() / 1000).toString(8).padStart(11, '0')}\0`, 136, 'latin1');
  h.write('        ', 148, 'latin1');
  h.write(type, 156, 'latin1');
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

function padded(data: Buffer): Buffer[] {
  const rest = data.length % 512;
  return rest ? [data, Buffer.alloc(512 - rest)] : [data];
}

function paxRecords(pax: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(pax)) {
    const body = ` ${k}=${v}\n`;
    let len = Buffer.byteLength(body);
    len += String(len).length;
    if (String(len).length !== String(len - String(len).length).length) len += 1;
    parts.push(Buffer.from(`${len}${body}`));
  }
  return Buffer.concat(parts);
}

export function makeTar(members: TarMember[]): Buffer {
  const out: Buffer[] = [];
  for (const m of members) {
    const data = m.data === undefined ? Buffer.alloc(0) : Buffer.isBuffer(m.data) ? m.data : Buffer.from(m.data);
    const name = Buffer.from(m.name, 'utf8');
    // The ustar name field holds 100 bytes: a longer name must travel in a long-name or pax record,
    // or the archive would silently carry a truncated one.
    assert.ok(name.length <= 100 || m.gnuLongName || m.pax?.['path'] !== undefined, `tar member name over 100 bytes: ${m.name}`);
    if (m.pax) {
      const recs = paxRecords(m.pax);
      out.push(header(Buffer.from('PaxHeader'), recs.length, 'x'), ...padded(recs));
    }
    if (m.gnuLongName) {
      const ln = Buffer.concat([name, Buffer.from([0])]);
      out.push(header(Buffer.from('././@LongLink'), ln.length, 'L'), ...padded(ln));
    }
    const type = m.type ?? '0';
    out.push(header(name, type === '0' ? data.length : 0, type));
    if (type === '0' && data.length) out.push(...padded(data));
  }
  out.push(Buffer.alloc(1024));
  return Buffer.concat(out);
}
