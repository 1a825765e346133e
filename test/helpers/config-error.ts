/** For config tests: the ConfigError a config function must throw. */
import { expect } from 'vitest';
import { ConfigError } from '../../src/config.js';

/**
 * The message of the error `fn` throws, which must be a ConfigError (and, given `key`, start with
 * `config: <key>: `); fails the test when `fn` does not throw.
 */
export function configError(fn: () => unknown, key?: string): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    if (key !== undefined) expect(msg.startsWith(`config: ${key}: `), msg).toBe(true);
    return msg;
  }
  return expect.fail(`expected a ConfigError${key === undefined ? '' : ` for ${key}`}`);
}
