/** Content-Type guessing as Python's mimetypes.guess_type, and Swift's choice of when to guess. */
import { describe, expect, it } from 'vitest';
import { contentTypeForPut, guessContentType } from '../../../../../src/api/controllers/object/content-type.js';

describe('guessContentType', () => {
  it.each([
    ['a.txt', 'text/plain'],
    ['A.TXT', 'text/plain'],
    ['x/y.wav', 'audio/x-wav'],
    ['x.xml', 'text/xml'],
    ['x.js', 'application/javascript'],
    ['n.txt.gz', 'text/plain'],
    ['n.tar.bz2', 'application/x-tar'],
    ['n.tgz', 'application/x-tar'],
    ['n.woff2', 'font/woff2'],
  ])('%s -> %s', (name, type) => {
    expect(guessContentType(name)).toBe(type);
  });

  it.each(['noext', '.bashrc', 'dir.d/file', 'trailing.txt/', 'x.gz', 'x.unknownext'])('%j -> nothing', (name) => {
    expect(guessContentType(name)).toBeUndefined();
  });
});

describe('contentTypeForPut', () => {
  it('keeps what the client sent unless asked to detect', () => {
    expect(contentTypeForPut({ 'content-type': 'a/b' }, 'x.txt')).toBe('a/b');
    expect(contentTypeForPut({ 'content-type': 'a/b', 'x-detect-content-type': 'True' }, 'x.txt')).toBe('text/plain');
    expect(contentTypeForPut({ 'content-type': '' }, 'x.txt')).toBe('text/plain');
    expect(contentTypeForPut({}, 'x')).toBe('application/octet-stream');
  });
});
