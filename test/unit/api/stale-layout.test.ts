/**
 * A write a brick server refused as placed by a stale layout, which the gateway could not rerun under
 * the newer definition, is Swift's 503 (the store could not take it now; the client retries).
 */
import { describe, expect, it } from 'vitest';
import { toSwiftError } from '../../../src/api/errors.js';
import { StaleLayout } from '../../../src/storage/errors.js';

describe('StaleLayout', () => {
  it('is answered 503', () => {
    expect(toSwiftError(new StaleLayout(3, 2))?.status).toBe(503);
  });
});
