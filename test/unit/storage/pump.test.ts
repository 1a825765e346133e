/** pump (src/storage/pump.ts): body into sink with pipeline's outcomes, without pipeline. */
import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { pump } from '../../../src/storage/pump.js';

function sink(opts: { fail?: boolean; slow?: boolean } = {}): Writable & { bytes: number } {
  const w = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _e, cb) {
      if (opts.fail) { cb(new Error('disk full')); return; }
      w.bytes += chunk.length;
      if (opts.slow) setTimeout(cb, 1); else cb();
    },
  }) as Writable & { bytes: number };
  w.bytes = 0;
  return w;
}

describe('pump', () => {
  it('moves every byte with backpressure and resolves when the sink finished', async () => {
    const s = sink({ slow: true });
    await pump(Readable.from(Array.from({ length: 50 }, () => Buffer.alloc(4096))), s);
    expect(s.bytes).toBe(50 * 4096);
    expect(s.writableFinished).toBe(true);
  });

  it('a body that fails rejects with its error and destroys the sink', async () => {
    const body = new Readable({ read() { this.destroy(new Error('client reset')); } });
    const s = sink();
    await expect(pump(body, s)).rejects.toThrow('client reset');
    expect(s.destroyed).toBe(true);
  });

  it('a body closed before its end is a premature close', async () => {
    const body = new Readable({ read() { /* stalls */ } });
    const s = sink();
    const p = pump(body, s);
    body.destroy();
    await expect(p).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
    expect(s.destroyed).toBe(true);
  });

  it('a sink that fails rejects with its error and destroys the body', async () => {
    const body = Readable.from([Buffer.alloc(10), Buffer.alloc(10)]);
    await expect(pump(body, sink({ fail: true }))).rejects.toThrow('disk full');
    expect(body.destroyed).toBe(true);
  });

  it('an aborted signal rejects and destroys both, before or during', async () => {
    const ac = new AbortController();
    ac.abort(new Error('gone'));
    await expect(pump(Readable.from([Buffer.alloc(1)]), sink(), ac.signal)).rejects.toThrow('gone');
    const later = new AbortController();
    const body = new Readable({ read() { /* stalls */ } });
    const s = sink();
    const p = pump(body, s, later.signal);
    later.abort(new Error('client went away'));
    await expect(p).rejects.toThrow('client went away');
    expect(body.destroyed && s.destroyed).toBe(true);
  });
  it('with keepBody, a failed write leaves the body to its owner: unpiped, not destroyed, later errors ignored', async () => {
    const body = new Readable({ read() { /* the owner pushes */ } });
    body.push(Buffer.alloc(100));
    const s = sink({ fail: true });
    await expect(pump(body, s, undefined, true)).rejects.toThrow('disk full');
    expect(s.destroyed).toBe(true);
    expect(body.destroyed).toBe(false);
    expect(body.listenerCount('data')).toBe(0); // unpiped
    // An error on it afterwards is not an uncaught exception (vitest fails the run on one).
    body.destroy(new Error('late reset'));
    await new Promise((r) => setImmediate(r));
    expect(body.errored?.message).toBe('late reset');
  });

  it('without keepBody, a failed write destroys the body', async () => {
    const body = new Readable({ read() { /* the owner pushes */ } });
    body.push(Buffer.alloc(100));
    await expect(pump(body, sink({ fail: true }))).rejects.toThrow('disk full');
    expect(body.destroyed).toBe(true);
  });
});
