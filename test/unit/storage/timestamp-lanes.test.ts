/**
 * Timestamp lanes (timestamp.ts): the workers of one gateway never hand out the same timestamp.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { now, setTimestampLane } from '../../../src/storage/timestamp.js';

const units = (ts: string): number => Number(ts.replace('.', ''));

afterEach(() => setTimestampLane(0, 1));

describe('setTimestampLane', () => {
  it.each([[0, 2], [1, 2], [2, 3]])('lane %i of %i: every timestamp in the lane, strictly increasing, close to the clock', (lane, lanes) => {
    setTimestampLane(lane, lanes);
    let prev = 0;
    for (let i = 0; i < 5000; i++) {
      const before = Date.now();
      const u = units(now());
      expect(u % lanes).toBe(lane);
      expect(u).toBeGreaterThan(prev);
      prev = u;
      // A burst may run ahead of the clock by a few units per call, never behind it.
      expect(u).toBeGreaterThanOrEqual(Math.round(before * 100));
    }
  });

  it('refuses a lane outside the count', () => {
    expect(() => setTimestampLane(2, 2)).toThrow(RangeError);
    expect(() => setTimestampLane(0, 0)).toThrow(RangeError);
    expect(() => setTimestampLane(-1, 2)).toThrow(RangeError);
  });
});
