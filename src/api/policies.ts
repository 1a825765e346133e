/**
 * Storage policies as the API shows them (Swift's storage_policy.POLICIES). Cairn's volume has one
 * placement scheme, so there is one policy, named as Swift names the policy of a cluster whose
 * swift.conf declares none: "Policy-0", the default. Containers record the policy name they were
 * created with; X-Storage-Policy on a container PUT must name a known policy (or alias).
 */

export interface StoragePolicy {
  index: number;
  name: string;
  aliases: string[];
  isDefault: boolean;
}

export const POLICIES: readonly StoragePolicy[] = [
  { index: 0, name: 'Policy-0', aliases: ['Policy-0'], isDefault: true },
];

export function defaultPolicy(): StoragePolicy {
  return POLICIES.find((p) => p.isDefault) ?? POLICIES[0]!;
}

/** Look a policy up by name or alias, case-insensitively (POLICIES.get_by_name upper-cases). */
export function policyByName(name: string): StoragePolicy | undefined {
  const want = name.trim().toUpperCase();
  return POLICIES.find((p) => p.name.toUpperCase() === want || p.aliases.some((a) => a.toUpperCase() === want));
}

/** The policy a stored container belongs to (unknown or empty names fall back to the default). */
export function policyOfContainer(stored: string | undefined): StoragePolicy {
  return (stored ? policyByName(stored) : undefined) ?? defaultPolicy();
}

/** /info's `swift.policies` (POLICIES.get_policy_info): `default` only on the default policy. */
export function policyInfo(): Array<Record<string, unknown>> {
  return POLICIES.map((p) => ({
    name: p.name,
    aliases: p.aliases.join(', '),
    ...(p.isDefault ? { default: true } : {}),
  }));
}
