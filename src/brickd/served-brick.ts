/**
 * One brick directory as a brick server serves it: a LocalBrick bound to exactly one volume.
 *
 * The volume is known from the brick's brick.json when it has one (read at start), from the server's
 * `--volume` pin, or else from the first authenticated gateway, whose volume id is then written into
 * brick.json by LocalBrick (as `cairn serve` does for a new local brick). From then on a request naming
 * any other volume is refused with BrickIdentityMismatch: a gateway can never write into another
 * volume's brick, nor two volumes share one.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { BrickIdentityMismatch, LocalBrick, type BrickIdentity } from '../storage/brick/local.js';
import type { RemoteIdentity } from '../storage/brick/remote-protocol.js';
import { HandleTable } from './handles.js';
import { HeldDefinition } from './held-definition.js';
import { WriterTable } from './writers.js';

export interface ServedBrickOptions {
  /** Only this volume may use the brick. */
  volumeId?: string;
  /** fsync data files and index commits (default true). */
  fsync?: boolean;
  /** Passed to LocalBrick (tests use 0). */
  auditGraceMs?: number;
  /** Writers neither committed nor aborted for this long are aborted (the backstop to gateway sessions). */
  writerIdleMs: number;
  /** Open data handles unused for this long are closed (the backstop to gateway sessions). */
  handleIdleMs: number;
}

export class ServedBrick {
  readonly writers: WriterTable;
  readonly handles: HandleTable;
  /** The newest volume definition published to this brick (definitions.ts). */
  readonly held: HeldDefinition;
  private volumeId: string | undefined;
  private brick: LocalBrick | undefined;
  private opening: Promise<LocalBrick> | undefined;

  constructor(readonly name: string, readonly dir: string, private readonly opts: ServedBrickOptions) {
    this.volumeId = opts.volumeId;
    this.writers = new WriterTable(opts.writerIdleMs);
    this.handles = new HandleTable(opts.handleIdleMs);
    this.held = new HeldDefinition(dir, opts.fsync ?? true);
  }

  /** The volume the brick is bound to, once known. */
  get volume(): string | undefined { return this.volumeId; }

  /**
   * At server start: learn the volume from brick.json if there is one (and open the brick, so a bad
   * directory stops the server with a clear message instead of failing its first request), and the
   * volume definition it held. `warn` is told about a held definition that cannot be read.
   */
  async prepare(warn?: (message: string) => void): Promise<string | undefined> {
    let identity: BrickIdentity | undefined;
    try {
      identity = JSON.parse(await fsp.readFile(path.join(this.dir, 'brick.json'), 'utf8')) as BrickIdentity;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`brick ${this.name}: ${this.dir}/brick.json: ${(err as Error).message}`);
    }
    if (identity && this.volumeId !== undefined && identity.volumeId !== this.volumeId) {
      throw new BrickIdentityMismatch(this.name, `${this.dir} belongs to volume ${JSON.stringify(identity.volumeId)}, `
        + `but this server serves volume ${JSON.stringify(this.volumeId)} only`);
    }
    const volume = identity?.volumeId ?? this.volumeId;
    if (volume !== undefined) await this.forVolume(volume);
    const problem = await this.held.load();
    if (problem) warn?.(`brick ${this.name}: ${problem}`);
    return volume;
  }

  /** The open LocalBrick, for a request of volume `volumeId`; BrickIdentityMismatch for any other volume. */
  async forVolume(volumeId: string): Promise<LocalBrick> {
    this.checkVolume(volumeId);
    if (this.brick) return this.brick;
    this.opening ??= this.open(volumeId).finally(() => { this.opening = undefined; });
    const brick = await this.opening;
    // Two first requests of different volumes may race to open: the loser is refused like any later one.
    this.checkVolume(volumeId);
    return brick;
  }

  private checkVolume(volumeId: string): void {
    if (this.volumeId === undefined || this.volumeId === volumeId) return;
    throw new BrickIdentityMismatch(this.name,
      `brick ${this.name} (${this.dir}) belongs to volume ${JSON.stringify(this.volumeId)}, not ${JSON.stringify(volumeId)}`);
  }

  private async open(volumeId: string): Promise<LocalBrick> {
    const brick = new LocalBrick(this.dir, {
      volumeId, fsync: this.opts.fsync ?? true, ...(this.opts.auditGraceMs !== undefined ? { auditGraceMs: this.opts.auditGraceMs } : {}),
    });
    await brick.open(); // checks (or writes) brick.json: a directory of another volume is refused here
    this.volumeId = volumeId;
    this.brick = brick;
    return brick;
  }

  /** What `open` answers a gateway. */
  identity(brick: LocalBrick): RemoteIdentity {
    return { id: brick.id, volumeId: this.volumeId! };
  }

  /** What the server's health answer says about this brick. */
  describe(): { name: string; dir: string; volumeId?: string; open: boolean; definitionCommit?: number; definitionRevision?: number } {
    const v = this.held.version;
    return {
      name: this.name, dir: this.dir, ...(this.volumeId ? { volumeId: this.volumeId } : {}), open: this.brick !== undefined,
      ...(v !== undefined ? { definitionCommit: v.commit, definitionRevision: v.revision } : {}),
    };
  }

  async close(): Promise<void> {
    await this.writers.closeAll();
    this.handles.closeAll();
    if (this.opening) await this.opening.catch(() => undefined);
    await this.brick?.close();
    this.brick = undefined;
  }
}
