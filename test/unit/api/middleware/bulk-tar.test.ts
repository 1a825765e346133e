import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { TarError, TarReader, type TarEntry } from '../../../../src/api/middleware/bulk/tar.js';
import { makeTar } from '../../../helpers/tar.js';

/** Feed the archive in small chunks, as a socket would. */
function source(buf: Buffer, chunk = 100): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += chunk) parts.push(buf.subarray(i, i + chunk));
  return Readable.from(parts);
}

async function readAll(buf: Buffer): Promise<Array<{ name: string | undefined; isFile: boolean; data: string; pax: Record<string, string> }>> {
  const tar = new TarReader(source(buf));
  const out = [];
  let e: TarEntry | undefined;
  while ((e = await tar.next())) {
    let data = '';
    if (e.body) for await (const c of e.body) data += (c as Buffer).toString();
    out.push({ name: e.name, isFile: e.isFile, data, pax: e.pax });
  }
  return out;
}

function checksum(h: Buffer): void {
  h.write('        ', 148, 'latin1');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
}

describe('TarReader', () => {
  it('reads files, directories, long names and pax paths in order', async () => {
    const long = `d/${'x'.repeat(200)}`;
    const entries = await readAll(makeTar([
      { name: 'd/', type: '5' },
      { name: 'd/a', data: 'A'.repeat(700) },
      { name: long, data: 'long', gnuLongName: true },
      { name: 'short', data: 'pax', pax: { path: 'd/é pax' } },
      { name: 'd/empty' },
    ]));
    expect(entries.map((e) => [e.name, e.isFile, e.data.length])).toEqual([
      ['d/', false, 0], ['d/a', true, 700], [long, true, 4], ['d/é pax', true, 3], ['d/empty', true, 0],
    ]);
  });

  it('joins the ustar prefix field and reads base-256 sizes', async () => {
    const tar = makeTar([{ name: 'file', data: 'xyz' }]);
    const h = tar.subarray(0, 512);
    h.write('some/prefix', 345, 'latin1');
    h.fill(0, 124, 136);
    h[124] = 0x80;
    h[135] = 3; // size 3 in GNU base-256
    checksum(h);
    const entries = await readAll(tar);
    expect(entries).toEqual([{ name: 'some/prefix/file', isFile: true, data: 'xyz', pax: {} }]);
  });

  it('skips what a consumer leaves unread', async () => {
    const tar = new TarReader(source(makeTar([{ name: 'a', data: 'a'.repeat(5000) }, { name: 'b', data: 'bee' }])));
    const a = await tar.next();
    a!.body!.read(0); // start, then walk away
    const b = await tar.next();
    let data = '';
    for await (const c of b!.body!) data += (c as Buffer).toString();
    expect([b!.name, data]).toEqual(['b', 'bee']);
    expect(await tar.next()).toBeUndefined();
  });

  it('reports Python tarfile\'s errors', async () => {
    await expect(readAll(Buffer.alloc(0))).rejects.toThrow(new TarError('empty file'));
    await expect(readAll(Buffer.alloc(100, 1))).rejects.toThrow(new TarError('truncated header'));
    const bad = makeTar([{ name: 'a', data: 'a' }]);
    bad[0] = 0x41 + 1; // change the name, keep the old checksum
    await expect(readAll(bad)).rejects.toThrow(new TarError('bad checksum'));
    const cut = makeTar([{ name: 'a', data: 'z'.repeat(2000) }]).subarray(0, 1024);
    await expect(readAll(cut)).rejects.toThrow(/unexpected end of data/);
  });
});
