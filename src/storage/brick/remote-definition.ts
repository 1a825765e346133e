/**
 * The gateway's side of the brick servers' definition routes (remote-protocol.ts): fetch the newest
 * volume definition a server holds, publish one. Short signed requests on their own (not on a brick's
 * pool: a server's bricks may not be open yet when a gateway starts).
 */
import { request } from 'undici';
import { checkDefinition, type VolumeDefinition } from '../volume-file.js';
import { BrickUnavailable, StoreError } from '../errors.js';
import { authHeaders } from './remote-auth.js';
import { fromWire, NOT_FOUND } from './remote-errors.js';
import { paths } from './remote-protocol.js';

export interface DefinitionServer {
  /** `http://host:port` of a brick server. */
  origin: string;
  secret: string;
  volumeId: string;
  /** Bound on the whole request (default 5000 ms). */
  timeoutMs?: number;
}

/** One request; anything that goes wrong on the way is BrickUnavailable naming the server. */
async function send(s: DefinitionServer, method: 'GET' | 'PUT', body?: unknown): Promise<{ status: number; value: unknown }> {
  try {
    return await exchange(s, method, body);
  } catch (err) {
    throw err instanceof StoreError ? err : new BrickUnavailable(s.origin, { cause: err });
  }
}

async function exchange(s: DefinitionServer, method: 'GET' | 'PUT', body?: unknown): Promise<{ status: number; value: unknown }> {
  const timeout = s.timeoutMs ?? 5000;
  const res = await request(`${s.origin}${paths.definition}`, {
    method,
    headers: { ...authHeaders(s.secret, method, paths.definition, s.volumeId), ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
    headersTimeout: timeout,
    bodyTimeout: timeout,
    signal: AbortSignal.timeout(timeout), // rare requests: the timer's lifetime does not matter here
  });
  const type = String(res.headers['content-type'] ?? '');
  const value: unknown = type.startsWith('application/json') ? await res.body.json() : (await res.body.dump(), undefined);
  return { status: res.statusCode, value };
}

/** The newest definition the server holds for the volume; undefined when it holds none. Rejects with a StoreError. */
export async function fetchDefinition(s: DefinitionServer): Promise<VolumeDefinition | undefined> {
  const { status, value } = await send(s, 'GET');
  if (status === 200) return checkDefinition((value as { definition?: unknown } | undefined)?.definition, `definition from ${s.origin}`);
  const err = (value as { error?: { code?: string } } | undefined)?.error;
  if (status === 404 && err?.code === NOT_FOUND) return undefined;
  throw fromWire(value, s.origin, status);
}

/**
 * What a publish answers: the commit and revision held afterwards, whether `def` was stored, else the
 * definition held instead.
 */
export interface PublishResult { commit: number; revision: number; stored: boolean; held?: VolumeDefinition }

/** Publish `def` to the server. Rejects with a StoreError. */
export async function publishDefinition(s: DefinitionServer, def: VolumeDefinition): Promise<PublishResult> {
  const { status, value } = await send(s, 'PUT', { definition: def });
  if (status !== 200) throw fromWire(value, s.origin, status);
  const v = value as { commit?: unknown; revision?: unknown; stored?: unknown; definition?: unknown };
  if (typeof v?.commit !== 'number') throw new BrickUnavailable(s.origin, { cause: new Error('a publish answer without a commit') });
  const held = v.definition === undefined ? undefined : checkDefinition(v.definition, `definition from ${s.origin}`);
  return { commit: v.commit, revision: typeof v.revision === 'number' ? v.revision : 0, stored: v.stored === true, ...(held ? { held } : {}) };
}
