/** `cairn bench --only`: which phases a run does. */
import { describe, expect, it } from 'vitest';
import { PHASES, selectedPhases } from '../../../src/cli/bench.js';

describe('bench --only', () => {
  it('runs every phase without it, and only the named ones with it', () => {
    expect([...selectedPhases(undefined)]).toEqual([...PHASES]);
    expect([...selectedPhases('small')]).toEqual(['small']);
    expect([...selectedPhases(' small, rss ')].sort()).toEqual(['rss', 'small']);
  });

  it('refuses a name that is not a phase', () => {
    expect(() => selectedPhases('small,tiny')).toThrow(/unknown phase 'tiny'/);
  });
});
