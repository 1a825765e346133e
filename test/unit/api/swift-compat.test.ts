/**
 * Swift's helper semantics that the API layer copies exactly: split_path, clean_acl,
 * referrer_allowed, Accept.best_match, json.dumps, repr, quote.
 */
import { describe, expect, it } from 'vitest';
import { cleanAcl, referrerAllowed } from '../../../src/api/acl.js';
import { bestMatch } from '../../../src/api/listing.js';
import { InvalidPath, splitPath } from '../../../src/api/path.js';
import { pyDumps, pyQuote, pyRepr } from '../../../src/api/pyjson.js';

describe('splitPath (split_path)', () => {
  it('matches Swift\'s documented cases', () => {
    expect(splitPath('/a', 1)).toEqual(['a']);
    expect(splitPath('/a/', 1, 2)).toEqual(['a', '']);
    expect(splitPath('/a/c', 1, 2)).toEqual(['a', 'c']);
    expect(splitPath('/a/c/o', 1, 3)).toEqual(['a', 'c', 'o']);
    expect(splitPath('/a/c/', 2)).toEqual(['a', 'c']);
    expect(splitPath('/a/c/o/r', 1, 3, true)).toEqual(['a', 'c', 'o/r']);
    expect(splitPath('/a/c', 2, 3, true)).toEqual(['a', 'c', undefined]);
    expect(splitPath('/v1/a//o', 1, 4, true)).toEqual(['v1', 'a', '', 'o']);
    for (const [p, min, max, rest] of [['', 1, 1, false], ['a', 1, 1, false], ['/', 1, 1, false], ['//', 1, 1, false],
      ['/a/c', 1, 1, false], ['/a/c/d', 1, 2, false], ['/v1', 2, 3, true], ['/', 1, 4, true]] as const) {
      expect(() => splitPath(p, min, max, rest), p).toThrow(InvalidPath);
    }
  });
});

describe('cleanAcl (clean_acl)', () => {
  it('cleans as the docstring table says', () => {
    expect(cleanAcl('X-Container-Read', 'bob, sue')).toBe('bob,sue');
    expect(cleanAcl('X-Container-Read', 'bob , sue')).toBe('bob,sue');
    expect(cleanAcl('X-Container-Read', 'bob,,,sue')).toBe('bob,sue');
    expect(cleanAcl('X-Container-Read', '.referrer : *')).toBe('.r:*');
    expect(cleanAcl('X-Container-Read', '.ref:*.example.com')).toBe('.r:.example.com');
    expect(cleanAcl('X-Container-Read', '.r:*, .rlistings')).toBe('.r:*,.rlistings');
    expect(cleanAcl('X-Container-Read', '.r:-.thief.com')).toBe('.r:-.thief.com');
    expect(cleanAcl('X-Container-Read', 'acct:user')).toBe('acct:user');
  });
  it('refuses what Swift refuses', () => {
    expect(() => cleanAcl('X-Container-Read', '.r:')).toThrow('No host/domain value');
    expect(() => cleanAcl('X-Container-Read', '.r:-')).toThrow('No host/domain value');
    expect(() => cleanAcl('X-Container-Write', '.r:*')).toThrow("Referrers not allowed in write ACL: '.r:*'");
    expect(() => cleanAcl('X-Container-Read', '.x:y')).toThrow("Unknown designator '.x' in ACL: '.x:y'");
  });
});

describe('referrerAllowed (referrer_allowed)', () => {
  it('applies designations in order', () => {
    expect(referrerAllowed('http://www.example.com/index.html', ['*'])).toBe(true);
    expect(referrerAllowed(undefined, ['*'])).toBe(true);
    expect(referrerAllowed('http://www.example.com/', [])).toBe(false);
    expect(referrerAllowed('http://www.example.com/', ['.example.com'])).toBe(true);
    expect(referrerAllowed('http://example.com/', ['.example.com'])).toBe(false);
    expect(referrerAllowed('http://thief.example.com/', ['.example.com', '-thief.example.com'])).toBe(false);
    expect(referrerAllowed('http://thief.example.com/', ['-thief.example.com', '.example.com'])).toBe(true);
    expect(referrerAllowed('http://user@WWW.Example.COM:8080/', ['www.example.com'])).toBe(true);
    expect(referrerAllowed(undefined, ['www.example.com'])).toBe(false);
  });
});

describe('bestMatch (swob Accept.best_match)', () => {
  const offers = ['text/plain', 'application/json', 'application/xml', 'text/xml'];
  it('picks by quality, then specificity, then offer order', () => {
    expect(bestMatch(undefined, offers)).toBe('text/plain');
    expect(bestMatch('application/json', offers)).toBe('application/json');
    expect(bestMatch('*/*', offers)).toBe('text/plain');
    expect(bestMatch('application/*', offers)).toBe('application/json');
    expect(bestMatch('*/*;q=0.5, application/xml', offers)).toBe('application/xml');
    expect(bestMatch('text/xml;q=0.9, application/json;q=0.8', offers)).toBe('text/xml');
    expect(bestMatch('image/png', offers)).toBeUndefined();
    expect(bestMatch('application/json;q=0', offers)).toBeUndefined();
    expect(() => bestMatch('nonsense', offers)).toThrow();
    expect(() => bestMatch('text/plain;q=1;q=0.5', offers)).toThrow();
  });
});

describe('Python formatting', () => {
  it('pyDumps writes json.dumps output', () => {
    expect(pyDumps([{ a: 1, b: 'é', c: [true, null] }])).toBe('[{"a": 1, "b": "\\u00e9", "c": [true, null]}]');
    expect(pyDumps({ b: 1, a: ['x'] }, { compact: true, sortKeys: true })).toBe('{"a":["x"],"b":1}');
    expect(pyDumps('😀')).toBe('"\\ud83d\\ude00"');
    expect(pyDumps('a/b\n\u007f')).toBe('"a/b\\n\u007f"');
  });
  it('pyRepr writes repr(str)', () => {
    expect(pyRepr('abc')).toBe("'abc'");
    expect(pyRepr("it's")).toBe('"it\'s"');
    expect(pyRepr('a\nb\\')).toBe("'a\\nb\\\\'");
  });
  it('pyQuote writes urllib.parse.quote', () => {
    expect(pyQuote('a b/c~d_e.f-g')).toBe('a%20b/c~d_e.f-g');
    expect(pyQuote('é!*()\'')).toBe('%C3%A9%21%2A%28%29%27');
    expect(pyQuote('a:b/{c}', ':/{}')).toBe('a:b/{c}');
  });
});
