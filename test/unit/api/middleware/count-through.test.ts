/** countThrough (middleware/common/count-through.ts): counting pass-through linked like pipeline, without it. */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { countBodyIn, countThrough } from '../../../../src/api/middleware/common/count-through.js';
import type { SwiftRequest } from '../../../../src/api/http.js';

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

describe('countBodyIn', () => {
  const request = (headers: Record<string, string>, body: Readable): SwiftRequest => ({ headers, body } as unknown as SwiftRequest);

  it('counts a body once however many ask: the second asker shares the first counter', async () => {
    const outer = countBodyIn(request({ 'content-length': '4003' }, Readable.from([Buffer.alloc(3), Buffer.alloc(4000)])));
    const inner = countBodyIn(outer.req);
    expect(outer.counter).toBeDefined();
    expect(inner.counter).toBe(outer.counter);
    expect(inner.req.body).toBe(outer.req.body);
    let got = 0;
    for await (const chunk of inner.req.body as Readable) got += (chunk as Buffer).length;
    await closed(outer.counter!);
    expect(got).toBe(4003);
    expect(outer.bytesIn()).toBe(4003);
    expect(inner.bytesIn()).toBe(4003);
  });

  it('a body put in place by someone else is counted afresh; a request without a body is left as it is', () => {
    const outer = countBodyIn(request({ 'transfer-encoding': 'chunked' }, Readable.from([Buffer.alloc(5)])));
    const replaced = { ...outer.req, body: Readable.from([Buffer.alloc(1)]) };
    const inner = countBodyIn(replaced);
    expect(inner.counter).toBeDefined();
    expect(inner.counter).not.toBe(outer.counter);
    const bare = request({ 'content-length': '0' }, Readable.from([]));
    const none = countBodyIn(bare);
    expect(none.req).toBe(bare);
    expect(none.counter).toBeUndefined();
    expect(none.bytesIn()).toBe(0);
  });
});
