import { describe, expect, it } from 'vitest';
import type { ObjectRecord } from '../../../src/storage/brick/brick.js';
import { chooseNewest, sameVersion } from '../../../src/storage/versions.js';

function rec(timestamp: string, etag = 'e', size = 1, deleted = false): ObjectRecord {
  return {
    account: 'a', container: 'c', name: 'o', timestamp, dataTimestamp: timestamp, deleted, size, etag,
    contentType: 'x', metadata: {}, systemMetadata: {}, ...(deleted ? {} : { dataFile: `data/${timestamp}` }),
  };
}

describe('chooseNewest', () => {
  it('picks the newest timestamp, tombstones included', () => {
    expect(chooseNewest([rec('1700000001.00000'), rec('1700000003.00000', '', 0, true), undefined])?.deleted).toBe(true);
    expect(chooseNewest([undefined, undefined])).toBeUndefined();
    expect(chooseNewest([])).toBeUndefined();
  });

  it('resolves equal timestamps with different content by majority, then by replica order', () => {
    const t = '1700000002.00000';
    const a = rec(t, 'aaa', 3);
    const b = rec(t, 'bbb', 3);
    expect(chooseNewest([a, b, { ...b }])).toBe(b);
    expect(chooseNewest([a, b])).toBe(a);
    expect(chooseNewest([b, a])).toBe(b);
    expect(chooseNewest([undefined, a, b, rec('1700000001.00000')])).toBe(a);
  });

  it('sameVersion compares change, bytes and data file', () => {
    const t = '1700000002.00000';
    expect(sameVersion(rec(t), rec(t))).toBe(true);
    expect(sameVersion(rec(t), rec(t, 'other'))).toBe(false);
    expect(sameVersion(rec(t), rec(t, 'e', 2))).toBe(false);
    expect(sameVersion(rec(t), rec('1700000003.00000'))).toBe(false);
  });
});
