import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../../../src/bench/store-bench-args.js';

describe('store bench flags', () => {
  it('runs every part in a temp dir by default', () => {
    expect(parseBenchArgs([])).toEqual({});
  });

  it('takes --only and --dir', () => {
    expect(parseBenchArgs(['--only', 'a', '--dir', 'keep/here'])).toEqual({ only: 'a', dir: 'keep/here' });
  });

  it('refuses unknown flags, unknown parts and missing values', () => {
    expect(() => parseBenchArgs(['--keep'])).toThrow(/unknown flag --keep/);
    expect(() => parseBenchArgs(['--only', 'd'])).toThrow(/a, b or c/);
    expect(() => parseBenchArgs(['--dir'])).toThrow(/needs a value/);
    expect(() => parseBenchArgs(['--dir', '--only', 'a'])).toThrow(/needs a value/);
  });
});
