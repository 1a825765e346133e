/** The server's Node flags are added once, never over an operator's own, and npm start and bin/cairn carry the same ones. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SERVER_NODE_FLAGS, withServerFlags } from '../../../src/cli/server-flags.js';

describe('server Node flags', () => {
  it('adds every flag to an empty execArgv', () => {
    expect(withServerFlags([])).toEqual([...SERVER_NODE_FLAGS]);
  });

  it('keeps an operator setting of the same option, in either spelling', () => {
    const argv = ['--inspect', '--max_old_space_size=1024'];
    const out = withServerFlags(argv);
    expect(out.filter((a) => a.replaceAll('_', '-').startsWith('--max-old-space-size'))).toEqual(['--max_old_space_size=1024']);
    expect(out).toContain('--max-semi-space-size=8');
    expect(out.slice(0, 2)).toEqual(argv);
  });

  it('is idempotent', () => {
    expect(withServerFlags(withServerFlags([]))).toEqual(withServerFlags([]));
  });

  it('npm start and the bin/cairn shebang pass the same flags', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe(`node ${SERVER_NODE_FLAGS.join(' ')} bin/cairn serve`);
    const shebang = readFileSync(new URL('../../../bin/cairn', import.meta.url), 'utf8').split('\n')[0];
    expect(shebang).toBe(`#!/usr/bin/env -S node ${SERVER_NODE_FLAGS.join(' ')}`);
  });
});
