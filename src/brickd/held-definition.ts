/**
 * The volume definition one served brick holds: the newest one a gateway published to it, kept in
 * `<brick dir>/volume.json` beside brick.json so it survives restarts and travels with the brick.
 * Written atomically (temporary file, fsync, rename, fsync of the directory), exactly as published.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fsyncDir } from '../storage/brick/local-files.js';
import { versionOf, type DefinitionVersion } from '../storage/definition-version.js';
import { checkDefinition, type VolumeDefinition } from '../storage/volume-file.js';

export const DEFINITION_FILE = 'volume.json';

export class HeldDefinition {
  private def: VolumeDefinition | undefined;
  /** Its version, computed once (every answer names it). */
  private ver: DefinitionVersion | undefined;

  constructor(private readonly dir: string, private readonly fsync: boolean) {}

  get definition(): VolumeDefinition | undefined { return this.def; }

  /** The held definition's version, if any. */
  get version(): DefinitionVersion | undefined { return this.ver; }

  /** The held layout commit, if any. */
  get commit(): number | undefined { return this.ver?.commit; }

  private hold(def: VolumeDefinition): void {
    this.def = def;
    this.ver = versionOf(def);
  }

  /** Read the file left by an earlier run; a missing or unreadable one means none is held (gateways publish again). */
  async load(): Promise<string | undefined> {
    let text: string;
    try {
      text = await fsp.readFile(path.join(this.dir, DEFINITION_FILE), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      return `cannot read ${DEFINITION_FILE}: ${(err as Error).message}`;
    }
    try {
      this.hold(checkDefinition(JSON.parse(text), DEFINITION_FILE));
    } catch (err) {
      return `ignoring ${DEFINITION_FILE}: ${(err as Error).message}`;
    }
    return undefined;
  }

  /** Keep `def` (the caller has decided it is newer). */
  async store(def: VolumeDefinition): Promise<void> {
    const text = JSON.stringify(def);
    const file = path.join(this.dir, DEFINITION_FILE);
    const tmp = path.join(this.dir, `.${randomBytes(6).toString('hex')}.${DEFINITION_FILE}.tmp`);
    const fh = await fsp.open(tmp, 'wx', 0o644);
    try {
      await fh.writeFile(`${text}\n`);
      if (this.fsync) await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await fsp.rename(tmp, file);
    } catch (err) {
      await fsp.unlink(tmp).catch(() => undefined);
      throw err;
    }
    if (this.fsync) await fsyncDir(this.dir);
    this.hold(def);
  }
}
