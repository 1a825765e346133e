import { describe, expect, it } from 'vitest';
import { compareNames } from '../../../src/storage/store.js';

const bytewise = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

describe('compareNames', () => {
  it('orders by UTF-8 bytes, including astral characters that share a high surrogate', () => {
    const names = ['a', 'ab', 'b', 'é', '\u{E000}', '\u{FFFD}', '😀', '😁', '😀a', '𝄞', 'z', ''];
    for (const a of names) for (const b of names) expect(Math.sign(compareNames(a, b))).toBe(Math.sign(bytewise(a, b)));
  });
});
