/**
 * Storage policies as the API shows them (Swift's storage_policy.POLICIES), from the config:
 * `policies` when it declares them, else its one volume as Swift names the policy of a cluster whose
 * swift.conf declares none, "Policy-0", the default. Containers record the canonical name of the
 * policy they were created with; X-Storage-Policy on a container PUT must name a known policy or
 * alias. The store (storage/policy-store.ts) puts each container's objects in its policy's volume.
 */
import { policySpecs, type PolicySpec } from '../storage/policy-store.js';
import type { VolumeSpec } from '../storage/store.js';

export interface StoragePolicy {
  index: number;
  name: string;
  /** Every name the policy answers to, its own first (Swift's policy.aliases). */
  aliases: string[];
  isDefault: boolean;
}

export class StoragePolicies {
  readonly list: readonly StoragePolicy[];
  private readonly byUpperName = new Map<string, StoragePolicy>();

  constructor(specs: ReadonlyArray<Pick<PolicySpec, 'name' | 'aliases' | 'default'>>) {
    const def = specs.findIndex((p) => p.default);
    this.list = specs.map((p, index) => ({
      index, name: p.name, aliases: [p.name, ...p.aliases.filter((a) => a !== p.name)], isDefault: index === Math.max(0, def),
    }));
    // Swift's get_by_name compares upper-cased names and aliases.
    for (const p of this.list) for (const a of p.aliases) this.byUpperName.set(a.toUpperCase(), p);
  }

  get default(): StoragePolicy { return this.list.find((p) => p.isDefault)!; }

  /** A policy by name or alias, case-insensitively (POLICIES.get_by_name); surrounding blanks ignored. */
  byName(name: string): StoragePolicy | undefined { return this.byUpperName.get(name.trim().toUpperCase()); }

  /** The policy a stored container belongs to (unknown or empty names are the default). */
  ofContainer(stored: string | undefined): StoragePolicy {
    return (stored ? this.byName(stored) : undefined) ?? this.default;
  }

  /** /info's `swift.policies` (POLICIES.get_policy_info): `default` only on the default policy. */
  info(): Array<Record<string, unknown>> {
    return this.list.map((p) => ({ name: p.name, aliases: p.aliases.join(', '), ...(p.isDefault ? { default: true } : {}) }));
  }
}

const cache = new WeakMap<object, StoragePolicies>();

/** The policies of an app's config (built once per config object). */
export function storagePolicies(config: { volume: VolumeSpec; policies?: PolicySpec[] }): StoragePolicies {
  let p = cache.get(config);
  if (!p) {
    p = new StoragePolicies(policySpecs(config));
    cache.set(config, p);
  }
  return p;
}
