/**
 * The JSON calls of the brick server: one entry per Brick operation that is not a stream, each
 * taking the arguments RemoteBrick sends (see src/storage/brick/remote.ts) and resolving with the
 * value to answer. Arguments come from authenticated gateways, but are still shape-checked here so a
 * malformed call is InvalidArgument (400), never a TypeError deep in the brick; LocalBrick checks
 * the rest (timestamps, data file names, newest-wins) as it does for local callers.
 */
import type { AccountRecord, BrickListQuery, ContainerRecord, ObjectRecord } from '../storage/brick/brick.js';
import type { LocalBrick } from '../storage/brick/local.js';
import type { CallOp } from '../storage/brick/remote-protocol.js';
import { InvalidArgument } from '../storage/errors.js';
import type { ObjectRef } from '../storage/store.js';

type Args = Record<string, unknown>;
type Call = (brick: LocalBrick, args: Args) => Promise<unknown>;

function str(a: Args, k: string): string {
  const v = a[k];
  if (typeof v !== 'string') throw new InvalidArgument(`argument ${k} must be a string`);
  return v;
}

function int(a: Args, k: string): number {
  const v = a[k];
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new InvalidArgument(`argument ${k} must be an integer`);
  return v;
}

function obj<T>(a: Args, k: string): T {
  const v = a[k];
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new InvalidArgument(`argument ${k} must be an object`);
  return v as T;
}

function ref(a: Args, k: string): ObjectRef {
  const r = obj<Args>(a, k);
  return { account: str(r, 'account'), container: str(r, 'container'), object: str(r, 'object') };
}

function record(a: Args, k: string): ObjectRecord {
  const r = obj<ObjectRecord>(a, k);
  for (const f of ['account', 'container', 'name', 'timestamp', 'dataTimestamp', 'etag', 'contentType'] as const) {
    if (typeof r[f] !== 'string') throw new InvalidArgument(`${k}.${f} must be a string`);
  }
  if (typeof r.deleted !== 'boolean' || typeof r.size !== 'number') throw new InvalidArgument(`${k} is not an object record`);
  if (typeof r.metadata !== 'object' || typeof r.systemMetadata !== 'object' || !r.metadata || !r.systemMetadata) {
    throw new InvalidArgument(`${k} is not an object record`);
  }
  return r;
}

function query(a: Args): BrickListQuery {
  const q = obj<BrickListQuery>(a, 'query');
  if (typeof q.limit !== 'number') throw new InvalidArgument('query.limit must be a number');
  return q;
}

function strings(a: Args, k: string): string[] {
  const v = a[k];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new InvalidArgument(`argument ${k} must be a list of strings`);
  return v as string[];
}

/** Every call but `open`, which the router answers itself (it needs the volume binding). */
export const CALLS: Record<Exclude<CallOp, 'open'>, Call> = {
  health: (b) => b.health(),
  putRecord: (b, a) => b.putRecord(record(a, 'record')),
  getRecord: (b, a) => b.getRecord(ref(a, 'ref')),
  linkData: (b, a) => b.linkData(record(a, 'source'), ref(a, 'dst'), str(a, 'timestamp')),
  listObjects: (b, a) => b.listObjects(str(a, 'account'), str(a, 'container'), query(a)),
  scanObjects: (b, a) => b.scanObjects(a.after === undefined ? undefined : ref(a, 'after'), int(a, 'limit')),
  listExpired: (b, a) => b.listExpired(int(a, 'before'), int(a, 'limit')),
  containerUsage: (b, a) => b.containerUsage(str(a, 'account'), str(a, 'container')),
  accountUsage: (b, a) => b.accountUsage(str(a, 'account')),
  mergeAccount: (b, a) => b.mergeAccount(obj<AccountRecord>(a, 'record')),
  getAccount: (b, a) => b.getAccount(str(a, 'account')),
  mergeContainer: (b, a) => b.mergeContainer(obj<ContainerRecord>(a, 'record')),
  getContainer: (b, a) => b.getContainer(str(a, 'account'), str(a, 'container')),
  listContainers: (b, a) => b.listContainers(str(a, 'account'), query(a)),
  markDirty: (b, a) => b.markDirty(ref(a, 'ref'), str(a, 'timestamp')),
  settle: (b, a) => b.settle(ref(a, 'ref'), str(a, 'timestamp'), strings(a, 'blamed')),
  listMarks: (b, a) => b.listMarks(int(a, 'limit')),
  clearMark: (b, a) => b.clearMark(ref(a, 'ref'), a.through === undefined ? undefined : str(a, 'through')),
  audit: (b) => b.audit(),
  reclaimTombstone: (b, a) => b.reclaimTombstone(ref(a, 'ref'), str(a, 'timestamp')),
  scanAccounts: (b, a) => b.scanAccounts(a.after === undefined ? undefined : str(a, 'after'), int(a, 'limit')),
};

/** Arguments of the writer and handle routes. */
export const args = { ref, record, str };
