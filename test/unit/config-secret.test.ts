/**
 * `volume.secret`: the shared secret between a gateway and its brick servers (src/brickd/). Optional
 * for local volumes, required (and at least 16 characters) as soon as a brick is remote.
 */
import { describe, expect, it } from 'vitest';
import { configFromObject } from '../../src/config.js';
import { configError } from '../helpers/config-error.js';

const remote = ['http://127.0.0.1:9001/b1', 'http://127.0.0.1:9002/b2'];

describe('config: volume.secret', () => {
  it('is carried into the VolumeSpec, and remote brick URLs are kept as they are', () => {
    const c = configFromObject({ volume: { bricks: remote, replica: 2, secret: 'a-secret-of-16-chars+' } }, '/base');
    expect(c.volume.secret).toBe('a-secret-of-16-chars+');
    expect(c.volume.bricks).toEqual(remote);
  });

  it('is optional for local and memory bricks', () => {
    expect(configFromObject({ volume: { bricks: ['b1', 'memory:m'] } }, '/base').volume.secret).toBeUndefined();
  });

  it('is required once a brick is remote, and must be long enough and a string', () => {
    expect(configError(() => configFromObject({ volume: { bricks: ['b1', remote[0]] } }, '/base')))
      .toMatch(/^config: volume\.secret: required when volume\.bricks lists remote bricks/);
    expect(configError(() => configFromObject({ volume: { bricks: remote, secret: 'short' } }, '/base')))
      .toMatch(/^config: volume\.secret: must be at least 16 characters/);
    expect(configError(() => configFromObject({ volume: { bricks: remote, secret: 12345678901234567 } }, '/base')))
      .toMatch(/^config: volume\.secret: must be a string/);
  });
});
