/**
 * Sending a streamed response body: what `stream.pipeline(body, byteEnforcer, res)` did, without a
 * Transform, an AbortController and a DOMException per response (the event loop spent ~5% of its
 * time on that machinery for 4 KiB GETs).
 *
 * - Backpressure: the body is paused while the response's buffer is full and resumed on 'drain'.
 * - Swift's ByteEnforcer: a body that ends short of, or runs past, the Content-Length (`expected`)
 *   destroys the response, so a client never hangs waiting for bytes that will not come.
 * - A body that fails destroys the response; a response closed before it finished (the client went
 *   away) destroys the body, which releases whatever it reads from.
 * Resolves once the response has finished and the body has ended (as pipeline did); rejects in every
 * other case, after both are destroyed.
 */
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { streamed } from './storage/young-gc.js';

export function sendBody(body: Readable, res: ServerResponse, expected?: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let sent = 0;
    let settled = false;
    let bodyEnded = false;
    let resFinished = false;
    const settle = (err?: Error): void => {
      if (settled) return;
      settled = true;
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', settle);
      body.off('close', onBodyClose);
      res.off('drain', onDrain);
      res.off('finish', onFinish);
      res.off('close', onResClose);
      if (!err) { resolve(); return; }
      if (!body.destroyed) body.destroy();
      if (!res.destroyed) res.destroy();
      reject(err);
    };
    const onData = (chunk: Buffer): void => {
      sent += chunk.length;
      streamed(chunk.length);
      if (expected !== undefined && sent > expected) { settle(new Error(`body runs past its ${expected} bytes`)); return; }
      // The last chunk goes with end(): headers, bytes and the end in as few writes as Node can.
      if (expected !== undefined && sent === expected) res.end(chunk);
      else if (!res.write(chunk)) body.pause();
    };
    const onEnd = (): void => {
      bodyEnded = true;
      if (expected !== undefined && sent !== expected) { settle(new Error(`body ended after ${sent} of ${expected} bytes`)); return; }
      if (!res.writableEnded) res.end();
      if (resFinished) settle();
    };
    const onFinish = (): void => {
      resFinished = true;
      if (bodyEnded) settle(); // else when the body signals its end (its listeners may count on it)
    };
    const onBodyClose = (): void => {
      if (bodyEnded) return;
      // Closed without its end: fine once every byte is out, else the body was cut (or failed, reported already).
      if (resFinished) settle();
      else settle(new Error('body closed before its end'));
    };
    const onDrain = (): void => { body.resume(); };
    const onResClose = (): void => { if (!res.writableFinished) settle(new Error('response closed before it finished')); };
    body.on('error', settle);
    body.on('end', onEnd);
    body.on('close', onBodyClose);
    res.on('drain', onDrain);
    res.on('finish', onFinish);
    res.on('close', onResClose);
    if (expected === 0) res.end(); // nothing to wait for but the body's end
    body.on('data', onData);
  });
}
