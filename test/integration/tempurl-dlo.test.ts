/**
 * A temp URL's scope holds for the segments a DLO manifest names, with staticweb in the pipeline
 * (Swift's test_tempurl test_GET_DLO_inside/outside_container).
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeMwApp, putContainer, putObject, tempUrlSig, type MwApp } from '../helpers/middleware-app.js';

let app: MwApp;
beforeAll(async () => {
  app = await makeMwApp({ config: { pipeline: ['catch_errors', 'gatekeeper', 'proxy-logging', 'listing_formats', 'bulk',
    'tempurl', 'tempauth', 'staticweb', 'copy', 'slo', 'dlo', 'versioned_writes', 'symlink'] } });
  await putContainer(app, 'c', { 'X-Container-Meta-Temp-URL-Key': 'ckey' });
  await putContainer(app, 'segs');
  await putObject(app, 'segs/seg1', 'one fish ');
  await putObject(app, 'c/seg1', 'red fish ');
  await putObject(app, 'c/outside', '', { 'X-Object-Manifest': 'segs/seg' });
  await putObject(app, 'c/inside', '', { 'X-Object-Manifest': 'c/seg' });
});
afterAll(async () => { await app.close(); });

function signed(obj: string): string {
  const expires = Math.floor(Date.now() / 1000) + 3600;
  const path = `${app.accountPath}/${obj}`;
  return `${path}?temp_url_sig=${tempUrlSig('GET', expires, path, 'ckey')}&temp_url_expires=${expires}`;
}

describe('tempurl + dlo', () => {
  it('serves a DLO whose segments are in the container key\'s container', async () => {
    const r = await request(app.app).get(signed('c/inside'));
    expect(r.status).toBe(200);
    expect(r.text).toBe('red fish ');
  });

  it('refuses (401) a DLO whose segments are outside the container key\'s container', async () => {
    const r = await request(app.app).get(signed('c/outside'));
    expect(r.status).toBe(401);
  });
});
