/**
 * log.format picks the access-log format end to end: `json` writes pino JSON lines carrying the
 * access record; `swift` writes Swift's proxy-access text line as the whole line (src/log.ts), so
 * tools written for Swift's logs read it.
 */
import { Writable } from 'node:stream';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger, toSwiftText } from '../../src/log.js';
import { createApp } from '../../src/server.js';
import { testConfig } from '../helpers/app.js';
import { FakeStore } from '../helpers/fake-store.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** An app logging at info in `format`, and the lines it wrote. */
function capture(format: 'json' | 'swift') {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) { lines.push(...chunk.toString().split('\n').filter(Boolean)); cb(); },
  });
  const config = testConfig({ log: { level: 'info', format } });
  const app = createApp(config, new FakeStore(), createLogger(config.log, sink));
  return { app, lines };
}

const settle = () => new Promise((r) => setTimeout(r, 20));

describe('log.format', () => {
  it('json: one JSON object per access line', async () => {
    const { app, lines } = capture('json');
    await request(app.app).get('/info').set('X-Forwarded-For', '10.1.1.1');
    await settle();
    const recs = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r['log'] === 'proxy-access');
    expect(recs).toHaveLength(1);
    expect(recs[0]).toMatchObject({ method: 'GET', path: '/info', status: 200, client_ip: '10.1.1.1' });
  });

  it('swift: the access line is Swift\'s proxy-access line, nothing around it', async () => {
    const { app, lines } = capture('swift');
    const res = await request(app.app).get('/info').set('X-Forwarded-For', '10.1.1.2').set('User-Agent', 'probe');
    await settle();
    expect(lines).toHaveLength(1);
    const f = lines[0]!.split(' ');
    expect(f).toHaveLength(21);
    expect(f[0]).toBe('10.1.1.2');
    expect(f[3]).toBe('GET');
    expect(f[4]).toBe('/info');
    expect(f[6]).toBe('200');
    expect(f[8]).toBe('probe');
    expect(f[13]).toBe(res.headers['x-trans-id']);
  });

  it('swift: other lines are "<time> <LEVEL> <message>" with their fields', () => {
    const line = JSON.stringify({ level: 50, time: Date.UTC(2024, 0, 2, 3, 4, 5), pid: 1, hostname: 'h', txn: 'tx1', msg: 'boom' });
    expect(toSwiftText(line)).toBe('2024-01-02T03:04:05.000Z ERROR boom {"txn":"tx1"}\n');
    expect(toSwiftText(JSON.stringify({ level: 30, time: 0, msg: 'plain' }))).toBe('1970-01-01T00:00:00.000Z INFO plain\n');
    expect(toSwiftText('not json\n')).toBe('not json\n');
  });

  it('is read from the config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-logfmt-'));
    try {
      const file = join(dir, 'c.yaml');
      writeFileSync(file, 'volume: { bricks: ["memory:a"] }\nlog: { format: swift }\n');
      expect(loadConfig(file, {}, {}).log.format).toBe('swift');
      writeFileSync(file, 'volume: { bricks: ["memory:a"] }\n');
      expect(loadConfig(file, {}, {}).log.format).toBe('json');
      writeFileSync(file, 'volume: { bricks: ["memory:a"] }\nlog: { format: text }\n');
      expect(() => loadConfig(file, {}, {})).toThrow(/config: log\.format: must be one of json, swift/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
