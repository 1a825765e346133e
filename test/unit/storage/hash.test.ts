import { describe, expect, it } from 'vitest';
import { dmHash, dmHashBytes, rsyncMunge } from '../../../src/storage/hash.js';

/** GLUSTER.md §1.1: verified against the compiled C `gf_dm_hashfn` on x86. */
const VECTORS: Array<[string, number]> = [
  ['', 0x884774a2],
  ['a', 0x3a17e4e6],
  ['abc', 0xba8bd29a],
  ['obj1', 0x99b36fd6],
  ['hello.txt', 0xe68d61cc],
  ['photos/2024/img_0001.jpg', 0x9df1c0f5],
  ['0123456789abcdef', 0x6ecb5ada],
  ['0123456789abcdefX', 0x09811a68],
  ['日本語.txt', 0xb065afb9],
  // Tail bytes >= 0x80: the x86 (signed char) results, which Cairn always uses.
  ['aé', 0xb6d766de],
  ['café', 0x9e089967],
];

describe('gf_dm_hashfn', () => {
  for (const [name, want] of VECTORS) {
    it(`hashes ${JSON.stringify(name)} to 0x${want.toString(16).padStart(8, '0')}`, () => {
      expect(dmHash(name)).toBe(want);
    });
  }

  it('is the x86 variant, not the unsigned-char one (GLUSTER.md §1.1 portability quirk)', () => {
    expect(dmHash('aé')).not.toBe(0x46d3b7e0);
    expect(dmHash('café')).not.toBe(0xfdcdd575);
  });

  it('hashes the UTF-8 bytes of the string', () => {
    expect(dmHashBytes(new TextEncoder().encode('日本語.txt'))).toBe(dmHash('日本語.txt'));
  });

  it('returns unsigned 32-bit integers for long and odd-length inputs', () => {
    for (let len = 0; len < 70; len++) {
      const h = dmHash('x'.repeat(len) + 'é'.repeat(len % 3));
      expect(Number.isInteger(h)).toBe(true);
      expect(h).toBeGreaterThanOrEqual(0);
      expect(h).toBeLessThanOrEqual(0xffffffff);
    }
    // Lengths above 255 make __pad's shifted copies overlap; it must still be deterministic.
    expect(dmHash('y'.repeat(1024))).toBe(dmHash('y'.repeat(1024)));
  });
});

describe('rsync munge', () => {
  it('maps rsync temporaries to their final name', () => {
    expect(rsyncMunge('.foo.txt.a1b2')).toBe('foo.txt');
    expect(rsyncMunge('.obj.0123abcd')).toBe('obj');
  });
  it('leaves other names alone', () => {
    expect(rsyncMunge('foo.txt')).toBe('foo.txt');
    expect(rsyncMunge('.hidden')).toBe('.hidden');
    expect(rsyncMunge('.a.')).toBe('.a.');
  });
});
