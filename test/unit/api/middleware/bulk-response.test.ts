import { describe, expect, it } from 'vitest';
import type { Readable } from 'node:stream';
import { bestMatch, formatResult, heartbeatResponse, pyJsonDumps, ACCEPTABLE_FORMATS } from '../../../../src/api/middleware/bulk/response.js';

async function text(r: Readable): Promise<string> {
  let s = '';
  for await (const c of r) s += (c as Buffer).toString();
  return s;
}

describe('bulk response', () => {
  it('heartbeats with spaces, then separates the document with CRLF CRLF', async () => {
    const res = heartbeatResponse('application/json', 0.01, () => new Promise((r) => setTimeout(() => r('{"done": 1}'), 80)));
    expect(res.status).toBe(200);
    const body = await text(res.body as Readable);
    expect(body).toMatch(/^ {2,}\r\n\r\n\{"done": 1\}$/);
  });

  it('sends the XML declaration as the first heartbeat, and no separator without heartbeats', async () => {
    const xml = await text(heartbeatResponse('text/xml', 0.01, () => new Promise((r) => setTimeout(() => r('<x/>'), 50))).body as Readable);
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
    expect(xml.endsWith('\r\n\r\n<x/>')).toBe(true);
    const quick = await text(heartbeatResponse('text/plain', 10, async () => 'doc').body as Readable);
    expect(quick).toBe('doc');
  });

  it('picks the format as swob does', () => {
    expect(bestMatch(undefined, ACCEPTABLE_FORMATS)).toBe('text/plain');
    expect(bestMatch('application/json', ACCEPTABLE_FORMATS)).toBe('application/json');
    expect(bestMatch('text/*;q=0.5, application/xml', ACCEPTABLE_FORMATS)).toBe('application/xml');
    expect(bestMatch('*/*', ACCEPTABLE_FORMATS)).toBe('text/plain');
    expect(bestMatch('image/png', ACCEPTABLE_FORMATS)).toBeUndefined();
  });

  it('formats like Python (json separators, ascii escapes, xml escaping)', () => {
    expect(pyJsonDumps({ a: 'é', b: [['x', '1']], c: 2 })).toBe('{"a": "\\u00e9", "b": [["x", "1"]], "c": 2}');
    expect(formatResult('application/xml', { 'Number Deleted': 1 }, [['a<b', '404 Not Found']], 'delete'))
      .toBe('<delete>\n<number_deleted>1</number_deleted>\n<errors>\n<object><name>a&lt;b</name><status>404 Not Found</status></object>\n</errors>\n</delete>\n');
  });
});
