/**
 * Node flags every `cairn serve` process runs with (npm start, bin/cairn's shebang, the bench's
 * server and cluster workers all pass these; keep package.json and bin/cairn in step: a test checks).
 *
 * Why: a serving process keeps ~20 MiB of live heap, but V8 sizes its heap for the machine (a 4 GiB
 * limit on a 24 GiB host) and so lets garbage pile up to 80-100 MiB of old space and a 32 MiB young
 * generation between collections; that memory is never handed back. Measured on `cairn bench --full`,
 * the server's peak RSS went from 230-245 MiB to 175-195 MiB with these flags and the same ops/s.
 * The old-space cap is not a working limit (the live heap is an eighth of it): a smaller maximum is
 * what makes V8 grow the heap by small steps.
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-old-space-size=256', '--max-semi-space-size=8'];

/** `execArgv` with each server flag added unless the operator already set that option. */
export function withServerFlags(execArgv: readonly string[]): string[] {
  const out = [...execArgv];
  for (const flag of SERVER_NODE_FLAGS) {
    const name = flag.slice(0, flag.indexOf('='));
    // V8 spells its options with - or _ alike.
    if (!out.some((a) => a.replaceAll('_', '-').split('=')[0] === name)) out.push(flag);
  }
  return out;
}
