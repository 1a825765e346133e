/** limitBody (controllers/object/upload-body.ts): what the object PUT hands the store. */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BodyTooLarge, limitBody } from '../../../../../src/api/controllers/object/upload-body.js';

describe('limitBody', () => {
  it('a body of declared length goes to the store as it is, kept by its owner on failure', () => {
    const source = Readable.from([Buffer.alloc(10)]);
    const body = limitBody(source, 100, 10);
    expect(body.stream).toBe(source);
    expect(body.keepBody).toBe(true);
    expect(body.tooLarge).toBe(false);
    expect(body.bytes).toBeUndefined();
    body.release();
    expect(source.destroyed).toBe(false);
  });

  it('a chunked body is counted and fails past the limit (413), the request left undestroyed', async () => {
    const source = new Readable({ read() { /* the client sends more later */ } });
    source.push(Buffer.alloc(60));
    source.push(Buffer.alloc(60));
    const body = limitBody(source, 100);
    expect(body.stream).not.toBe(source);
    expect(body.keepBody).toBe(false);
    await expect((async () => { for await (const _ of body.stream) { /* read */ } })()).rejects.toBeInstanceOf(BodyTooLarge);
    expect(body.tooLarge).toBe(true);
    expect(body.bytes).toBe(120);
    body.release();
    expect(source.destroyed).toBe(false);
  });
});
