/** Command-line flags of the store bench (store-bench.ts): which part to run, where to keep part (a)'s volume. */

export interface StoreBenchArgs {
  /** Run only this part. */
  only?: 'a' | 'b' | 'c';
  /** Keep the listing volume here and reuse it when it is already populated. */
  dir?: string;
}

const PARTS = new Set(['a', 'b', 'c']);

export function parseBenchArgs(argv: readonly string[]): StoreBenchArgs {
  const out: StoreBenchArgs = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if (flag !== '--only' && flag !== '--dir') throw new Error(`unknown flag ${flag} (flags: --only a|b|c, --dir D)`);
    if (value === undefined || value.startsWith('--')) throw new Error(`${flag} needs a value`);
    i++;
    if (flag === '--dir') { out.dir = value; continue; }
    if (!PARTS.has(value)) throw new Error(`--only takes a, b or c, not ${value}`);
    out.only = value as 'a' | 'b' | 'c';
  }
  return out;
}
