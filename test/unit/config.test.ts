/**
 * The config loader: defaults, path resolution, every validation error naming its key, overrides.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_CONFIG_FILE, DEFAULT_PIPELINE, configFromObject, isLocalBrick, loadConfig, parseListen, parseYaml,
} from '../../src/config.js';
import { configError } from '../helpers/config-error.js';

const dir = mkdtempSync(join(tmpdir(), 'cairn-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** Write YAML to a fresh file under the temp dir and return its path. */
function file(yaml: string): string {
  const p = join(dir, `c${++n}.yaml`);
  writeFileSync(p, yaml);
  return p;
}

const minimal = { volume: { bricks: ['b1'] } };

describe('loadConfig: the embedded default', () => {
  const c = loadConfig(undefined, {}, {});

  it('is config/default.yaml', () => {
    expect(DEFAULT_CONFIG_FILE).toBe(resolve('config/default.yaml'));
  });

  it('listens on 127.0.0.1:8080 with one worker', () => {
    expect(c.listen).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(c.workers).toBe(1);
  });

  it('puts four bricks, two replica sets of two, under the repository storage/ dir', () => {
    expect(c.storage.root).toBe(resolve('storage'));
    expect(c.volume.id).toBe('cairn-default');
    expect(c.volume.replica).toBe(2);
    expect(c.volume.bricks).toEqual(['b1', 'b2', 'b3', 'b4'].map((b) => resolve('storage', b)));
  });

  it("uses Swift's middleware names in Swift's order", () => {
    const swiftOrder = ['catch_errors', 'gatekeeper', 'healthcheck', 'proxy-logging', 'listing_formats', 'bulk', 'tempurl',
      'formpost', 'ratelimit', 'tempauth', 'staticweb', 'copy', 'container-quotas', 'account-quotas', 'slo', 'dlo',
      'versioned_writes', 'symlink'];
    for (const name of DEFAULT_PIPELINE) expect(c.pipeline).toContain(name);
    const known = c.pipeline.filter((n) => swiftOrder.includes(n));
    expect(known).toEqual(swiftOrder.filter((n) => known.includes(n)));
  });

  it('has the admin and test users', () => {
    const users = c.middleware.tempauth!.users as Array<Record<string, unknown>>;
    expect(users).toContainEqual({ account: 'admin', user: 'admin', key: 'admin', groups: ['.admin', '.reseller_admin'] });
    expect(users).toContainEqual({ account: 'test', user: 'tester', key: 'testing', groups: ['.admin'] });
  });
});

describe('loadConfig: config/functests.yaml', () => {
  const c = loadConfig('config/functests.yaml', {}, {});

  it("has exactly the users Swift's functional tests expect", () => {
    const users = (c.middleware.tempauth!.users as Array<{ account: string; user: string; key: string; groups: string[] }>)
      .map((u) => `${u.account}:${u.user}/${u.key} ${u.groups.join(' ')}`.trim());
    expect(users).toEqual(expect.arrayContaining([
      'test:tester/testing .admin', 'test:tester2/testing2 .admin', 'test:tester3/testing3',
      'test2:tester2/testing2 .admin', 'test5:tester5/testing5 service',
    ]));
    expect(c.middleware.tempauth!.reseller_prefix).toEqual(['AUTH_', 'SERVICE']);
  });

  it('keeps its bricks in a storage dir of its own', () => {
    expect(c.storage.root).toBe(resolve('storage/functests'));
    for (const b of c.volume.bricks) expect(b.startsWith(resolve('storage/functests') + '/')).toBe(true);
  });
});

describe('defaults and paths', () => {
  it('fills every default for a minimal file', () => {
    const p = file('volume:\n  bricks: [b1]\n');
    const c = loadConfig(p, {}, {});
    expect(c).toEqual({
      listen: { host: '127.0.0.1', port: 8080 },
      workers: 1,
      storage: { root: dir },
      volume: { id: 'cairn', bricks: [join(dir, 'b1')], replica: 1 },
      pipeline: [...DEFAULT_PIPELINE],
      middleware: {},
      constraints: {},
      log: { level: 'info', format: 'json' },
      exposeInfo: true,
      heal: { enabled: true, intervalMs: 5000, fullCrawlIntervalMs: 0, favoriteChildPolicy: 'none', reclaimAge: 604800 },
    });
  });

  it('resolves storage.root against the config file directory and bricks against storage.root', () => {
    const c = configFromObject({
      storage: { root: 'data' },
      volume: { bricks: ['x', '/abs/y', 'memory:m', 'http://h:1/b'], secret: 'a-secret-of-16-chars' },
    }, '/etc/cairn');
    expect(c.storage.root).toBe('/etc/cairn/data');
    expect(c.volume.bricks).toEqual(['/etc/cairn/data/x', '/abs/y', 'memory:m', 'http://h:1/b']);
  });

  it('maps the snake_case volume keys onto the VolumeSpec', () => {
    const c = configFromObject({
      volume: { id: 'v', bricks: ['a', 'b', 'c'], replica: 3, quorum: 2, write_timeout_ms: 5000, min_free_disk_percent: 5, fsync: false },
      expose_info: false,
    }, '/r');
    expect(c.volume).toEqual({ id: 'v', bricks: ['/r/a', '/r/b', '/r/c'], replica: 3, quorum: 2, writeTimeoutMs: 5000, minFreeDiskPercent: 5, fsync: false });
    expect(c.exposeInfo).toBe(false);
  });

  it('accepts constraints overrides and middleware options (checked later by the pipeline)', () => {
    const c = configFromObject({ ...minimal, constraints: { max_file_size: 1024, valid_api_versions: ['v1'] }, middleware: { tempauth: null, x: { a: 1 } } }, '/r');
    expect(c.constraints).toEqual({ max_file_size: 1024, valid_api_versions: ['v1'] });
    expect(c.middleware).toEqual({ tempauth: {}, x: { a: 1 } });
  });

  it('isLocalBrick tells paths from memory: and remote bricks', () => {
    expect(isLocalBrick('/a/b')).toBe(true);
    expect(isLocalBrick('memory:x')).toBe(false);
    expect(isLocalBrick('http://10.0.0.1:7000/b1')).toBe(false);
  });
});

describe('validation names the key', () => {
  const cases: Array<[string, unknown, string]> = [
    ['unknown top-level key', { ...minimal, lisen: 'x' }, 'lisen'],
    ['unknown volume key', { volume: { bricks: ['a'], replicas: 2 } }, 'volume.replicas'],
    ['unknown storage key', { ...minimal, storage: { rot: 'x' } }, 'storage.rot'],
    ['unknown log key', { ...minimal, log: { lvl: 'x' } }, 'log.lvl'],
    ['unknown constraint', { ...minimal, constraints: { max_size: 1 } }, 'constraints.max_size'],
    ['replica zero', { volume: { bricks: ['a'], replica: 0 } }, 'volume.replica'],
    ['replica a string', { volume: { bricks: ['a'], replica: '2' } }, 'volume.replica'],
    ['replica fractional', { volume: { bricks: ['a'], replica: 1.5 } }, 'volume.replica'],
    ['bricks not a multiple of replica', { volume: { bricks: ['a', 'b', 'c'], replica: 2 } }, 'volume.bricks'],
    ['no bricks', { volume: { bricks: [] } }, 'volume.bricks'],
    ['bricks missing', { volume: { id: 'v' } }, 'volume.bricks'],
    ['brick not a string', { volume: { bricks: ['a', 7] } }, 'volume.bricks[1]'],
    ['brick listed twice', { volume: { bricks: ['a', './a'], replica: 2 } }, 'volume.bricks[1]'],
    ['volume missing', {}, 'volume'],
    ['volume id with a slash', { volume: { id: 'a/b', bricks: ['a'] } }, 'volume.id'],
    ['quorum above replica', { volume: { bricks: ['a', 'b'], replica: 2, quorum: 3 } }, 'volume.quorum'],
    ['quorum word', { volume: { bricks: ['a'], quorum: 'most' } }, 'volume.quorum'],
    ['min free disk above 100', { volume: { bricks: ['a'], min_free_disk_percent: 101 } }, 'volume.min_free_disk_percent'],
    ['fsync a string', { volume: { bricks: ['a'], fsync: 'yes' } }, 'volume.fsync'],
    ['workers zero', { ...minimal, workers: 0 }, 'workers'],
    ['listen without port', { ...minimal, listen: 'localhost' }, 'listen'],
    ['listen port too big', { ...minimal, listen: '127.0.0.1:70000' }, 'listen'],
    ['pipeline not a list', { ...minimal, pipeline: 'catch_errors tempauth' }, 'pipeline'],
    ['pipeline entry not a string', { ...minimal, pipeline: ['catch_errors', 3] }, 'pipeline[1]'],
    ['pipeline entry twice', { ...minimal, pipeline: ['tempauth', 'tempauth'] }, 'pipeline[1]'],
    ['middleware options not a map', { ...minimal, middleware: { tempauth: [1] } }, 'middleware.tempauth'],
    ['log level unknown', { ...minimal, log: { level: 'loud' } }, 'log.level'],
    ['log format unknown', { ...minimal, log: { format: 'xml' } }, 'log.format'],
    ['constraint negative', { ...minimal, constraints: { max_file_size: -1 } }, 'constraints.max_file_size'],
    ['constraint list of numbers', { ...minimal, constraints: { valid_api_versions: [1] } }, 'constraints.valid_api_versions[0]'],
    ['remote brick without a secret', { volume: { bricks: ['http://127.0.0.1:7000/b1'] } }, 'volume.secret'],
    ['secret too short', { volume: { bricks: ['a'], secret: 'short' } }, 'volume.secret'],
    ['expose_info a string', { ...minimal, expose_info: 'yes' }, 'expose_info'],
    ['top level a list', [1, 2], '(top level)'],
  ];
  for (const [what, raw, key] of cases) {
    it(`${what} -> ${key}`, () => { configError(() => configFromObject(raw, '/r'), key); });
  }

  it('says "must be a positive integer" for volume.replica', () => {
    expect(configError(() => configFromObject({ volume: { bricks: ['a'], replica: -2 } }, '/r'), 'volume.replica'))
      .toBe('config: volume.replica: must be a positive integer');
  });

  it('reports YAML syntax errors with the file and line', () => {
    const p = file('volume:\n  bricks: [b1\nlisten: x\n');
    expect(configError(() => loadConfig(p, {}, {}), p)).toMatch(/line \d+/);
  });

  it('refuses duplicate keys in the YAML', () => {
    expect(() => parseYaml('a: 1\na: 2\n', 'dup.yaml')).toThrow(/config: dup\.yaml: /);
  });

  it('names a file that cannot be read', () => {
    const p = join(dir, 'missing.yaml');
    expect(configError(() => loadConfig(p, {}, {}), p)).toMatch(/ENOENT/);
  });

  it('reads an empty file as all defaults (and then asks for the volume)', () => {
    configError(() => loadConfig(file(''), {}, {}), 'volume');
  });
});

describe('parseListen', () => {
  it('parses HOST:PORT, [IPv6]:PORT, :PORT and PORT', () => {
    expect(parseListen('0.0.0.0:80')).toEqual({ host: '0.0.0.0', port: 80 });
    expect(parseListen('localhost:8080')).toEqual({ host: 'localhost', port: 8080 });
    expect(parseListen('[::1]:9000')).toEqual({ host: '::1', port: 9000 });
    expect(parseListen(':9000')).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(parseListen('9000')).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(parseListen('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
  });

  it('rejects anything else, naming the key it was given', () => {
    configError(() => parseListen('::1:80', '--listen'), '--listen');
    configError(() => parseListen('host:', '--listen'), '--listen');
    configError(() => parseListen('host:http'), 'listen');
    configError(() => parseListen('host:99999'), 'listen');
  });
});

describe('overrides: flags over environment over file', () => {
  const p = file('listen: 127.0.0.1:7000\nvolume:\n  bricks: [b1]\n');

  it('CAIRN_LISTEN overrides the file', () => {
    expect(loadConfig(p, {}, { CAIRN_LISTEN: '127.0.0.1:7001' }).listen.port).toBe(7001);
  });

  it('--listen overrides CAIRN_LISTEN', () => {
    expect(loadConfig(p, { listen: '127.0.0.1:7002' }, { CAIRN_LISTEN: '127.0.0.1:7001' }).listen.port).toBe(7002);
  });

  it('a bad CAIRN_LISTEN names the variable', () => {
    configError(() => loadConfig(p, {}, { CAIRN_LISTEN: 'nope' }), 'CAIRN_LISTEN');
  });

  it('CAIRN_CONFIG picks the file when none is given', () => {
    expect(loadConfig(undefined, {}, { CAIRN_CONFIG: p }).listen.port).toBe(7000);
  });

  it('an explicit file wins over CAIRN_CONFIG', () => {
    expect(loadConfig(p, {}, { CAIRN_CONFIG: '/nonexistent.yaml' }).listen.port).toBe(7000);
  });

  it('--workers and --log-level override and are validated', () => {
    const c = loadConfig(p, { workers: 4, logLevel: 'debug' }, {});
    expect(c.workers).toBe(4);
    expect(c.log.level).toBe('debug');
    configError(() => loadConfig(p, { workers: 0 }, {}), '--workers');
    configError(() => loadConfig(p, { logLevel: 'chatty' }, {}), '--log-level');
  });

  it('a YAML number for listen is a port', () => {
    expect(configFromObject({ ...minimal, listen: 8081 }, '/r').listen).toEqual({ host: '127.0.0.1', port: 8081 });
  });
});
