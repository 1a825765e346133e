/**
 * Which of two volume definitions is the newer one, the same way on every gateway and brick server.
 *
 * A definition's version is (layout commit, revision, digest):
 * - the layout commit moves with placement changes (add-brick, remove-brick);
 * - the revision moves with every other change of the file (replace-brick, a rebalance's state,
 *   progress and completion: volume-file.ts bumps it);
 * - the digest (of the canonical JSON, updatedAt left out) only decides between two definitions
 *   with the same commit and revision but different content — two gateways that each made the
 *   first layout at the same moment, say. The smaller digest wins, so every node settles on the same
 *   one whatever order it saw them in.
 *
 * `placement` is a digest of what places objects (the sets and their bricks, the layout and the
 * previous layout): the brick servers refuse a write whose placement differs from the newest
 * definition's (brickd/definitions.ts), and let through writes from a gateway that only lags in
 * rebalance bookkeeping.
 */
import { createHash } from 'node:crypto';
import type { VolumeDefinition } from './volume-file.js';

export interface DefinitionVersion {
  commit: number;
  revision: number;
  /** 16 hex digits of the SHA-256 of the canonical JSON (without updatedAt). */
  digest: string;
  /** 16 hex digits of the SHA-256 of the canonical JSON of sets, layout and previous. */
  placement: string;
}

/** JSON with object keys sorted at every level, so equal content always gives equal text. */
export function canonicalJSON(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJSON(v))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value).sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJSON((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

const digestOf = (value: unknown): string => createHash('sha256').update(canonicalJSON(value)).digest('hex').slice(0, 16);

/** The definition's content without the time it was written (which differs between equal copies). */
export function contentOf(def: VolumeDefinition): Omit<VolumeDefinition, 'updatedAt'> {
  const { updatedAt: _when, ...content } = def;
  return content;
}

export function versionOf(def: VolumeDefinition): DefinitionVersion {
  return {
    commit: def.layout.version,
    revision: def.revision ?? 0,
    digest: digestOf(contentOf(def)),
    placement: digestOf({ sets: def.sets, layout: def.layout, previous: def.previous ?? null }),
  };
}

/** > 0 when `a` is newer than `b`, < 0 when older, 0 when the same definition. */
export function compareVersions(a: Omit<DefinitionVersion, 'placement'>, b: Omit<DefinitionVersion, 'placement'>): number {
  if (a.commit !== b.commit) return a.commit - b.commit;
  if (a.revision !== b.revision) return a.revision - b.revision;
  if (a.digest === b.digest) return 0;
  return a.digest < b.digest ? 1 : -1; // the tie-break: the smaller digest wins
}

/** Whether definition `a` is newer than `b` (undefined: none, older than any). */
export function newer(a: VolumeDefinition | undefined, b: VolumeDefinition | undefined): boolean {
  if (!a) return false;
  return !b || compareVersions(versionOf(a), versionOf(b)) > 0;
}

/** How a version is written after its commit on the wire: `REVISION.DIGEST.PLACEMENT`. */
export function formatWireVersion(v: DefinitionVersion): string {
  return `${v.revision}.${v.digest}.${v.placement}`;
}

export const WIRE_VERSION_RE = /^(\d{1,15})\.([0-9a-f]{16})\.([0-9a-f]{16})$/;

/** The version from a commit and its wire tail; undefined when either is missing or malformed. */
export function parseWireVersion(commit: number | undefined, tail: string | undefined): DefinitionVersion | undefined {
  if (commit === undefined || !Number.isSafeInteger(commit) || tail === undefined) return undefined;
  const m = WIRE_VERSION_RE.exec(tail);
  return m ? { commit, revision: Number(m[1]), digest: m[2]!, placement: m[3]! } : undefined;
}

/** For logs and messages: `commit 3 revision 7`. */
export function describeVersion(v: Pick<DefinitionVersion, 'commit' | 'revision'>): string {
  return `commit ${v.commit} revision ${v.revision}`;
}
