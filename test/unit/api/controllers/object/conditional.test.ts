/** swob.Match, parsedate and the conditional-response order. */
import { describe, expect, it } from 'vitest';
import { conditionalStatus, matchContains, normalizeEtag, parseHttpDate, parseMatch } from '../../../../../src/api/controllers/object/conditional.js';

describe('etags', () => {
  it('normalizes quotes like swob', () => {
    expect(normalizeEtag('"abc"')).toBe('abc');
    expect(normalizeEtag('abc')).toBe('abc');
    expect(normalizeEtag('"')).toBe('"');
  });

  it('parses lists and matches *', () => {
    const tags = parseMatch(' "a", b ,, *')!;
    expect([...tags].sort()).toEqual(['*', 'a', 'b']);
    expect(matchContains(parseMatch('"x"')!, 'x')).toBe(true);
    expect(matchContains(parseMatch('*')!, 'anything')).toBe(true);
    expect(matchContains(parseMatch('y')!, 'x')).toBe(false);
    expect(parseMatch(undefined)).toBeUndefined();
  });
});

describe('parseHttpDate', () => {
  const t = Date.UTC(1994, 10, 6, 8, 49, 37) / 1000;
  it.each([
    'Sun, 06 Nov 1994 08:49:37 GMT',
    'Sunday, 06-Nov-94 08:49:37 GMT',
    'Sun Nov  6 08:49:37 1994',
    'Sun, 06 Nov 1994 08:49:37 +0200',
  ])('%s', (v) => {
    expect(parseHttpDate(v)).toBe(t);
  });

  it.each(['', 'yesterday', '06 Foo 1994 08:49:37 GMT', 'Sun, 06 Nov 1994 25:00:00 GMT'])('rejects %j', (v) => {
    expect(parseHttpDate(v)).toBeUndefined();
  });
});

describe('conditionalStatus', () => {
  const subject = { etag: 'e', lastModified: 1000 };
  const date = (s: number) => new Date(s * 1000).toUTCString();
  it('follows swob\'s order', () => {
    expect(conditionalStatus({}, subject)).toBeUndefined();
    expect(conditionalStatus({ 'if-none-match': 'e', 'if-match': 'x' }, subject)).toBe(304);
    expect(conditionalStatus({ 'if-match': 'x', 'if-modified-since': date(2000) }, subject)).toBe(412);
    expect(conditionalStatus({ 'if-none-match': 'x', 'if-modified-since': date(1000) }, subject)).toBe(304);
    expect(conditionalStatus({ 'if-modified-since': date(999) }, subject)).toBeUndefined();
    expect(conditionalStatus({ 'if-unmodified-since': date(999) }, subject)).toBe(412);
    expect(conditionalStatus({ 'if-unmodified-since': date(1000) }, subject)).toBeUndefined();
  });

  it('a missing object: only If-Match: * is 412', () => {
    expect(conditionalStatus({ 'if-match': '*' }, undefined)).toBe(412);
    expect(conditionalStatus({ 'if-match': 'e' }, undefined)).toBeUndefined();
    expect(conditionalStatus({ 'if-none-match': '*' }, undefined)).toBeUndefined();
  });
});
