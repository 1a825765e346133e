/**
 * The volume verbs on a volume with bricks on brick servers: before changing the file, take the newer
 * definition the servers hold (a change made through another host, which this file would otherwise
 * overwrite); after, publish the new definition to the servers themselves (the gateway's publish code,
 * definition-sync.ts), so every gateway follows without a gateway on this host having to do it.
 * Notes go to stderr: stdout stays the command's answer (and its --json).
 */
import { isRemoteBrick } from '../storage/brick-spec.js';
import { DefinitionSync } from '../storage/definition-sync.js';
import { describeVersion, versionOf } from '../storage/definition-version.js';
import { bricksOf, readVolumeFile } from '../storage/volume-file.js';
import type { AdminContext } from './admin-context.js';

export interface DefinitionShare {
  /** Take the servers' definition into the volume file when it is newer. */
  adopt(): Promise<void>;
  /**
   * Publish the file's definition to the servers of its bricks and of `before` (the bricks it had);
   * waits. `quiet`: only failures are noted (a rebalance's progress).
   */
  publish(before: readonly string[], quiet?: boolean): Promise<void>;
}

const note = (line: string): void => { process.stderr.write(`${line}\n`); };

/** Undefined when the volume has no remote brick (or no secret to reach one with). */
export function definitionShare(ctx: AdminContext): DefinitionShare | undefined {
  const file = readVolumeFile(ctx.file);
  const bricks = file ? bricksOf(file) : ctx.base.bricks;
  const secret = ctx.base.secret;
  if (!secret || !bricks.some(isRemoteBrick)) return undefined;
  const sync = new DefinitionSync(ctx.file, ctx.base.id, secret, {
    info: () => undefined,
    warn: (_o, msg) => note(`cairn: warning: ${msg}`),
  });
  return {
    async adopt() {
      if (await sync.adoptAtStart(bricks)) {
        note(`cairn: took the newer volume definition the brick servers hold (${describeVersion(versionOf(readVolumeFile(ctx.file)!))})`);
      }
    },
    async publish(before, quiet = false) {
      const outcomes = await sync.publishFile(before);
      const ok = outcomes.filter((o) => o.result === 'stored' || o.result === 'held');
      const def = readVolumeFile(ctx.file);
      if (!quiet) note(`cairn: published ${def ? describeVersion(versionOf(def)) : 'the definition'} to ${ok.length} of ${outcomes.length} brick server(s)`);
      for (const o of outcomes) {
        if (o.result === 'failed') note(`cairn: warning: ${o.server} did not take it (${o.error}); gateways publish it again when it answers`);
        if (o.result === 'newer') {
          note(`cairn: warning: ${o.server} holds a newer definition (commit ${o.held!.commit} revision ${o.held!.revision}), `
            + 'changed elsewhere meanwhile: gateways follow that one; check `cairn volume info` and run the command again if needed');
        }
      }
    },
  };
}
