/**
 * RemoteWriter: one object write into a brick on a brick server.
 *
 * `create` asks the server for a writer (it opens the brick's tmp file) and gets back a write id. The
 * bytes then go up as one streamed PUT: `stream` writes into a PassThrough that is the body of an undici
 * request, so backpressure reaches from the server's disk through the socket to whoever writes into
 * `stream` (the replica set's FanOut). `stream` finishes only once the server has answered the PUT,
 * i.e. holds every byte in its writer: "after the stream has finished" means what it means locally.
 * `commit` and `abort` are separate calls keyed by the write id.
 *
 * If the upload fails (the server answers an error, or the connection dies), `stream` is destroyed with
 * the StoreError, so the FanOut drops this replica at once. The server aborts a writer whose upload
 * failed on its own. A writer is created under this process's session with the server
 * (remote-session.ts), so if the process dies between requests (after create, or between upload and
 * commit) the server aborts it as soon as the session's connection closes; its idle sweep only gets
 * writers made without a session (none could be opened).
 */
import { PassThrough, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { InvalidArgument, StoreError } from '../errors.js';
import type { ObjectRef, Timestamp } from '../store.js';
import type { BrickWriter, ObjectRecord } from './brick.js';
import { dataFileName } from './records.js';
import type { RemoteClient, Tracked } from './remote-client.js';
import { paths } from './remote-protocol.js';

const HIGH_WATER = 64 * 1024;

export class RemoteWriter implements BrickWriter {
  readonly stream: Writable;
  private readonly body = new PassThrough({ highWaterMark: HIGH_WATER });
  private readonly upload: Tracked;
  /** Settles when the server has answered the PUT; rejects with a StoreError. */
  private readonly uploaded: Promise<void>;
  private uploadSettled = false;
  private state: 'open' | 'committing' | 'committed' | 'failed' | 'aborted' = 'open';
  private committing: Promise<void> | undefined;

  private constructor(private readonly client: RemoteClient, private readonly brick: string,
                      private readonly id: string, readonly dataFile: string) {
    // No overall timeout: an upload lasts as long as its body; undici's headers/body timeouts watch for stalls.
    this.upload = client.track();
    this.uploaded = this.startUpload();
    this.stream = new Writable({
      highWaterMark: HIGH_WATER,
      write: (chunk: Buffer, _enc, cb) => this.forward(chunk, cb),
      final: (cb) => {
        this.body.end();
        this.uploaded.then(() => cb(), cb);
      },
      destroy: (err, cb) => {
        // Torn down before the server answered: cancel the upload (the server then aborts its writer).
        if (!this.uploadSettled) {
          this.upload.abort(err ?? new InvalidArgument('write stream destroyed'));
          this.body.destroy();
        }
        cb(err);
      },
    });
    this.uploaded.catch((err: unknown) => {
      if (!this.stream.destroyed) this.stream.destroy(err as Error);
    });
    // The upload can fail while nobody is writing (between createWriter and the first write, say): an
    // 'error' without a listener would kill the process. It stays visible to listeners, finished() and commit().
    this.stream.on('error', () => undefined);
    this.body.on('error', () => undefined); // undici reports body errors through the request, i.e. `uploaded`
  }

  /** Open a writer for version `timestamp` of `ref` on the server's brick `brick`. */
  static async create(client: RemoteClient, brick: string, ref: ObjectRef, timestamp: Timestamp): Promise<RemoteWriter> {
    dataFileName(ref, timestamp); // refuse a malformed timestamp before any request, as LocalBrick does
    const made = await client.call<{ id: string; dataFile: string }>(paths.writers(brick), { ref, timestamp }, await client.sessionHeaders());
    return new RemoteWriter(client, brick, made.id, made.dataFile);
  }

  private async startUpload(): Promise<void> {
    try {
      const res = await this.client.send({
        method: 'PUT', path: paths.writer(this.brick, this.id), body: this.body, signal: this.upload.signal,
        headers: { 'content-type': 'application/octet-stream' },
      });
      if (res.statusCode !== 200) throw await this.client.errorOf(res);
      await res.body.dump();
    } catch (err) {
      throw this.client.failure(err, this.upload.signal);
    } finally {
      this.uploadSettled = true;
      this.upload.dispose();
    }
  }

  /** Pass a chunk on; call back once the body took it, or when the upload failed. */
  private forward(chunk: Buffer, cb: (err?: Error | null) => void): void {
    if (this.body.destroyed) { cb(new InvalidArgument('upload is closed')); return; }
    if (this.body.write(chunk)) { cb(); return; }
    const done = (): void => {
      this.body.off('drain', done);
      this.body.off('close', done);
      cb(this.body.destroyed ? new InvalidArgument('upload is closed') : null);
    };
    this.body.on('drain', done);
    this.body.on('close', done);
  }

  async commit(record: ObjectRecord): Promise<void> {
    if (this.state !== 'open') throw new InvalidArgument(`writer is ${this.state}`);
    const broken = this.stream.errored;
    if (broken) {
      // The upload already failed (say the server went away): that is the answer, not "not ended".
      this.state = 'failed';
      throw this.client.failure(broken);
    }
    if (!this.stream.writableEnded) throw new InvalidArgument('commit before the stream was ended');
    this.state = 'committing';
    this.committing = this.doCommit(record);
    try {
      await this.committing;
      this.state = 'committed';
    } catch (err) {
      this.state = 'failed';
      throw err;
    }
  }

  private async doCommit(record: ObjectRecord): Promise<void> {
    try {
      await finished(this.stream);
    } catch (err) {
      if (err instanceof StoreError) throw err;
      // Destroyed without a StoreError (premature close): the upload's own failure says why.
      await this.uploaded;
      throw this.client.failure(err);
    }
    await this.client.call(paths.commit(this.brick, this.id), { record });
  }

  async abort(): Promise<void> {
    if (this.committing) await this.committing.catch(() => undefined);
    if (this.state === 'committed' || this.state === 'aborted') return;
    this.state = 'aborted';
    if (!this.stream.destroyed) this.stream.destroy();
    await this.uploaded.catch(() => undefined);
    // Best effort, as a local abort is: a server we cannot reach aborts the writer itself (failed upload, session end, idle sweep).
    await this.client.call(paths.abort(this.brick, this.id)).catch(() => undefined);
  }
}
