/**
 * AFR client quorum (`afr_has_quorum`): whether the replicas that took part in an operation are
 * enough for it to count.
 * - `'auto'`: more than half of the set, or exactly half when the set's first brick is among them
 *   (GlusterFS's tie-breaker, so a replica-2 set keeps writing while its first brick is up).
 * - a number q: at least q replicas.
 */
import { InvalidArgument } from './errors.js';

export type QuorumPolicy = 'auto' | number;

export function checkQuorumPolicy(policy: QuorumPolicy, replicas: number): void {
  if (policy === 'auto') return;
  if (!Number.isSafeInteger(policy) || policy < 1 || policy > replicas) {
    throw new InvalidArgument(`quorum ${String(policy)} must be 'auto' or a count from 1 to ${replicas}`);
  }
}

/** Whether the member positions `ok` (0-based within the set) satisfy the quorum of an `n`-replica set. */
export function hasQuorum(policy: QuorumPolicy, n: number, ok: readonly number[]): boolean {
  const count = ok.length;
  if (policy !== 'auto') return count >= policy;
  if (2 * count > n) return true;
  return 2 * count === n && ok.includes(0);
}

/** The replica count needed, for messages: with 'auto', the size of a majority (ties need brick 0). */
export function quorumSize(policy: QuorumPolicy, n: number): number {
  return policy === 'auto' ? Math.floor(n / 2) + (n % 2 === 0 ? 0 : 1) : policy;
}
