/**
 * The key signed TempAuth tokens are made with. Every process that must accept a token needs the same
 * key, so it comes from shared configuration, strongest first:
 *
 *  1. `middleware.tempauth.token_secret`: set it (the same on every host) when several gateways on
 *     different hosts serve one volume;
 *  2. derived from `volume.secret` (HKDF-SHA256, salted with the volume id): gateways over remote
 *     bricks already share that secret, so their tokens agree without another setting;
 *  3. no persistent bricks at all (every brick `memory:`): a random key for this process, since such a
 *     volume is private to the process anyway;
 *  4. otherwise a random key kept in `<storage.root>/tempauth-token.secret` (mode 0600), made at first
 *     start. Workers of one host (node cluster) share it; tokens survive a restart.
 *
 * The file is created atomically (written under a temporary name, then hard-linked into place, which
 * fails if another process got there first), so workers starting together all end up with one key.
 */
import { randomBytes, hkdfSync } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from '../../../config.js';

export const TOKEN_SECRET_FILE = 'tempauth-token.secret';

export interface TokenSecret {
  key: Buffer;
  /** Where it came from, for the startup log. */
  source: 'config' | 'volume.secret' | 'ephemeral' | 'file';
  /** The file it was read from (source 'file'). */
  file?: string;
  /** Set when the file is readable by group or others. */
  warning?: string;
}

/** Resolve the key as the module doc describes. Throws (naming the file) when the file is unusable. */
export function resolveTokenSecret(configured: string, config: Pick<Config, 'volume' | 'storage'>): TokenSecret {
  if (configured) return { key: Buffer.from(configured, 'utf8'), source: 'config' };
  if (config.volume.secret) {
    const key = Buffer.from(hkdfSync('sha256', config.volume.secret, `cairn volume ${config.volume.id}`, 'tempauth token v1', 32));
    return { key, source: 'volume.secret' };
  }
  if (config.volume.bricks.every((b) => b.startsWith('memory:'))) return { key: randomBytes(32), source: 'ephemeral' };
  const file = join(config.storage.root, TOKEN_SECRET_FILE);
  return { ...readOrCreateSecretFile(file), source: 'file', file };
}

/** Read the key file, creating it first if there is none. */
export function readOrCreateSecretFile(file: string): { key: Buffer; warning?: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fileError(file, err);
    createSecretFile(file);
    text = readFileSync(file, 'utf8');
  }
  const hex = text.trim();
  if (!/^[0-9a-f]{64,}$/i.test(hex)) {
    throw new Error(`${file}: not a token secret (64 or more hex digits expected); remove it to make a new one`);
  }
  const mode = statSync(file).mode & 0o777;
  return {
    key: Buffer.from(hex, 'hex'),
    ...(mode & 0o077 ? { warning: `${file} is readable by others (mode ${mode.toString(8)}); chmod 600 it` } : {}),
  };
}

function createSecretFile(file: string): void {
  const dir = dirname(file);
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    mkdirSync(dir, { recursive: true });
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, `${randomBytes(32).toString('hex')}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(tmp, file); // fails with EEXIST when another process made it first: theirs is used
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  } catch (err) {
    throw fileError(file, err);
  } finally {
    try { unlinkSync(tmp); } catch { /* never made, or already gone */ }
  }
}

function fileError(file: string, err: unknown): Error {
  return new Error(`cannot read or create the tempauth token secret ${file}: ${(err as Error).message}`, { cause: err });
}
