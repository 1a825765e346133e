import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeMwApp, putContainer, putObject, type MwApp } from '../helpers/middleware-app.js';

let app: MwApp;
const anon = (path: string) => request(app.app).get(`${app.accountPath}/${path}`).set('Host', 'web.example');

beforeAll(async () => {
  app = await makeMwApp({ only: ['staticweb'] });
  await putContainer(app, 'site', { 'X-Container-Read': '.r:*,.rlistings', 'X-Container-Meta-Web-Index': 'index.html',
    'X-Container-Meta-Web-Error': 'error.html' });
  await putObject(app, 'site/index.html', '<h1>home</h1>', { 'Content-Type': 'text/html' });
  await putObject(app, 'site/sub/index.html', '<h1>sub</h1>', { 'Content-Type': 'text/html' });
  await putObject(app, 'site/404error.html', 'custom not found', { 'Content-Type': 'text/html' });
  await putContainer(app, 'list', { 'X-Container-Read': '.r:*,.rlistings', 'X-Container-Meta-Web-Listings': 'true' });
  await putObject(app, 'list/a.txt', 'hello', { 'Content-Type': 'text/plain' });
  await putObject(app, 'list/dir/b <&>.txt', 'x'.repeat(2048), { 'Content-Type': 'text/plain' });
  await putObject(app, 'list/dm', '', { 'Content-Type': 'application/directory' });
  await putObject(app, 'list/dm/inside', 'i');
  await putContainer(app, 'private', { 'X-Container-Meta-Web-Listings': 'true' });
  await putContainer(app, 'noindex', { 'X-Container-Read': '.r:*,.rlistings', 'X-Container-Meta-Web-Index': 'index.html' });
  // Objects readable by anyone, but the container itself not listable: Swift's authorize refuses it.
  await putContainer(app, 'objonly', { 'X-Container-Read': '.r:*', 'X-Container-Meta-Web-Index': 'index.html' });
  await putObject(app, 'objonly/index.html', 'x');
  await putContainer(app, 'styled', { 'X-Container-Read': '.r:*,.rlistings', 'X-Container-Meta-Web-Listings': 'on',
    'X-Container-Meta-Web-Listings-CSS': 'listing.css' });
  await putObject(app, 'styled/d/e', 'e');
});
afterAll(async () => { await app.close(); });

describe('staticweb', () => {
  it('redirects a container to its trailing-slash URL and serves the index', async () => {
    const r = await anon('site');
    expect(r.status).toBe(301);
    expect(r.headers['location']).toBe(`http://web.example${app.accountPath}/site/`);
    const home = await anon('site/');
    expect(home.status).toBe(200);
    expect(home.text).toBe('<h1>home</h1>');
  });

  it('serves a subdirectory index, redirecting first to the slash form', async () => {
    const r = await anon('site/sub');
    expect(r.status).toBe(301);
    expect(r.headers['location']).toBe(`http://web.example${app.accountPath}/site/sub/`);
    expect((await anon('site/sub/')).text).toBe('<h1>sub</h1>');
  });

  it('answers a missing page with the custom error page and the 404 status', async () => {
    const r = await anon('site/nothing-here.html');
    expect(r.status).toBe(404);
    expect(r.text).toBe('custom not found');
  });

  it('renders HTML listings as Swift does', async () => {
    const r = await anon('list/');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=UTF-8');
    const p = `${app.accountPath}/list/`;
    expect(r.text.startsWith('<!DOCTYPE html>\n<html>\n <head>\n'
      + `  <title>Listing of ${p}</title>\n  <style type="text/css">\n`)).toBe(true);
    expect(r.text).toContain(`  <h1 id="title">Listing of ${p}</h1>\n`);
    expect(r.text).toContain('   <tr class="item subdir">\n    <td class="colname"><a href="dir/">dir/</a></td>\n'
      + '    <td class="colsize">&nbsp;</td>\n    <td class="coldate">&nbsp;</td>\n   </tr>\n');
    expect(r.text).toMatch(new RegExp('   <tr class="item type-text type-plain">\\n'
      + '    <td class="colname"><a href="a.txt">a.txt</a></td>\\n'
      + '    <td class="colsize">5</td>\\n'
      + '    <td class="coldate">\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d</td>\\n   </tr>\\n'));
    expect(r.text).not.toContain('id="parent"');
    expect(r.text.endsWith('  </table>\n </body>\n</html>\n')).toBe(true);
  });

  it('lists a pseudo-directory with a parent link, escaping names', async () => {
    const r = await anon('list/dir/');
    expect(r.status).toBe(200);
    expect(r.text).toContain('<td class="colname"><a href="../">../</a></td>');
    expect(r.text).toContain('<a href="b%20%3C%26%3E.txt">b &lt;&amp;&gt;.txt</a>');
    expect(r.text).toContain('<td class="colsize">2Ki</td>');
    const noSlash = await anon('list/dir');
    expect(noSlash.status).toBe(301);
  });

  it('treats a directory marker object as a directory', async () => {
    const r = await anon('list/dm');
    expect(r.status).toBe(301);
    expect(r.headers['location']).toBe(`http://web.example${app.accountPath}/list/dm/`);
    const l = await anon('list/dm/');
    expect(l.text).toContain('<a href="inside">inside</a>');
  });

  it('still needs the read ACL: anonymous access to a private container is 401', async () => {
    expect((await anon('private/')).status).toBe(401);
    expect((await anon('objonly/')).status).toBe(401);
    expect((await anon('objonly/index.html')).text).toBe('x');
  });

  it('shows the "listing disabled" page when the index is missing and listings are off', async () => {
    const r = await anon('noindex/');
    expect(r.status).toBe(404);
    expect(r.text).toContain('<h1>Web Listing Disabled</h1>');
    expect(r.text).toContain('<b>X-Container-Meta-Web-Index: index.html</b>');
  });

  it('links the listing CSS relative to the page', async () => {
    const top = await anon('styled/');
    expect(top.text).toContain('<link rel="stylesheet" type="text/css" href="listing.css" />');
    const sub = await anon('styled/d/');
    expect(sub.text).toContain('<link rel="stylesheet" type="text/css" href="../listing.css" />');
  });

  it('leaves authenticated users alone unless they send X-Web-Mode', async () => {
    const plain = await request(app.app).get(`${app.accountPath}/list/`).set('X-Auth-Token', app.token);
    expect(plain.status).toBe(200);
    expect(plain.text).toBe('a.txt\ndir/b <&>.txt\ndm\ndm/inside\n');
    const web = await request(app.app).get(`${app.accountPath}/list/`).set('X-Auth-Token', app.token).set('X-Web-Mode', 'true');
    expect(web.text).toContain('<h1 id="title">Listing of');
  });

  it('is listed in /info', async () => {
    expect((await request(app.app).get('/info')).body.staticweb).toEqual({});
  });
});

describe('staticweb with prefix-based temp URLs (Swift\'s TestStaticWebTempurl)', () => {
  let t: MwApp;
  let qs = '';
  let link: (name: string) => string;
  beforeAll(async () => {
    t = await makeMwApp({ only: ['tempurl', 'staticweb'] });
    await putContainer(t, 'tw', { 'X-Container-Meta-Web-Listings': 'true', 'X-Container-Meta-Temp-URL-Key': 'twkey' });
    await putObject(t, 'tw/dir', '', { 'Content-Type': 'application/directory' });
    await putObject(t, 'tw/dir/obj', 'obj contents', { 'Content-Type': 'text/plain' });
    await putObject(t, 'tw/dir/sub', '', { 'Content-Type': 'application/directory' });
    const { tempUrlSig } = await import('../helpers/middleware-app.js');
    const expires = Math.floor(Date.now() / 1000) + 600;
    const sig = tempUrlSig('GET', expires, `prefix:${t.accountPath}/tw/`, 'twkey');
    qs = `temp_url_sig=${sig}&temp_url_expires=${expires}&temp_url_prefix=`;
    link = (name) => `<a href="${name}?temp_url_prefix=&amp;temp_url_expires=${expires}&amp;temp_url_sig=${sig}">${name}</a>`;
  });
  afterAll(async () => { await t.close(); });
  const get = (path: string, withUrl = true) => request(t.app).get(`${t.accountPath}/${path}${withUrl ? `?${qs}` : ''}`);

  it('needs the temp URL', async () => {
    expect((await get('tw', false)).status).toBe(401);
  });

  it('redirects the container and lists it with signed links and no parent link', async () => {
    expect((await get('tw')).status).toBe(301);
    const root = await get('tw/');
    expect(root.status).toBe(200);
    expect(root.text).toContain('Listing of /v1/');
    expect(root.text).not.toContain('href="..');
    expect(root.text).toContain(link('dir/'));
    expect(root.headers['content-disposition']).toBeUndefined();
  });

  it('lists a directory with a parent link', async () => {
    const dir = await get('tw/dir/');
    expect(dir.status).toBe(200);
    expect(dir.text).toContain('href="..');
    expect(dir.text).toContain(link('obj'));
    expect(dir.text).toContain(link('sub'));
    expect((await get('tw/dir/obj')).text).toBe('obj contents');
  });

  it('authorizes nothing by itself once listings are off', async () => {
    await request(t.app).post(`${t.accountPath}/tw`).set('X-Auth-Token', t.token).set('X-Remove-Container-Meta-Web-Listings', 'x');
    expect((await get('tw')).status).toBe(401);
    expect((await get('tw/')).status).toBe(401);
    expect((await get('tw/dir/')).status).toBe(404);
  });
});
