/** countThrough (middleware/common/count-through.ts): counting pass-through linked like pipeline, without it. */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { countThrough } from '../../../../src/api/middleware/common/count-through.js';

const closed = (s: Readable): Promise<void> => new Promise((r) => { if (s.destroyed) r(); else s.once('close', () => r()); });

describe('countThrough', () => {
  it('passes every byte through and reports the count once, complete', async () => {
    const reports: Array<[number, boolean]> = [];
    const c = countThrough(Readable.from([Buffer.alloc(3), Buffer.alloc(4000)]), (n, complete) => reports.push([n, complete]));
    let got = 0;
    for await (const chunk of c) got += (chunk as Buffer).length;
    await closed(c);
    expect(got).toBe(4003);
    expect(reports).toEqual([[4003, true]]);
  });

  it('a failing source fails the pass-through with its error, reported incomplete', async () => {
    const reports: Array<[number, boolean]> = [];
    let sent = false;
    const source = new Readable({ read() { if (!sent) { sent = true; this.push(Buffer.alloc(10)); } else this.destroy(new Error('reset')); } });
    const c = countThrough(source, (n, complete) => reports.push([n, complete]));
    await expect((async () => { for await (const _ of c) { /* drain */ } })()).rejects.toThrow('reset');
    await closed(c);
    expect(reports).toEqual([[10, false]]);
  });

  it('a source closing before its end (a client gone mid-upload) is a premature close', async () => {
    const source = new Readable({ read() { /* never ends */ } });
    const c = countThrough(source, () => undefined);
    const drained = (async () => { for await (const _ of c) { /* drain */ } })();
    source.destroy();
    await expect(drained).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });

  it('destroying the pass-through (its reader went away) destroys the source', async () => {
    const source = new Readable({ read() { this.push(Buffer.alloc(1024)); } });
    const reports: Array<[number, boolean]> = [];
    const c = countThrough(source, (n, complete) => reports.push([n, complete]));
    c.destroy();
    await closed(source);
    expect(source.destroyed).toBe(true);
    expect(reports).toHaveLength(1);
    expect(reports[0]![1]).toBe(false);
  });
});
