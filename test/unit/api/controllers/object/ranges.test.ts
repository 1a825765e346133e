/** swob.Range parsing and ranges_for_length, case by case (the helpers SLO and DLO reuse). */
import { describe, expect, it } from 'vitest';
import { contentRangeValue, multipartLength, parseRange, partHeader, rangesForLength,
         multipartTerminator } from '../../../../../src/api/controllers/object/ranges.js';

describe('parseRange', () => {
  it.each([
    ['bytes=0-4', [{ start: 0, end: 4 }]],
    ['bytes=-5', [{ end: 5 }]],
    ['bytes=7-', [{ start: 7 }]],
    ['BYTES = 1 - 2 , -3', [{ start: 1, end: 2 }, { end: 3 }]],
    ['bytes=+1-2', [{ start: 1, end: 2 }]],
    ['bytes=1_0-20', [{ start: 10, end: 20 }]],
  ])('%s', (header, specs) => {
    expect(parseRange(header)).toEqual(specs);
  });

  it.each(['', 'bits=0-1', 'bytes=1', 'bytes=-', 'bytes=5-3', 'bytes=a-1', 'bytes=1-b', 'bytes=--1', 'bytes=0-1,', 'bytes=1-+2'])(
    'ignores %j', (header) => {
      expect(parseRange(header)).toBeUndefined();
    });

  it('ignores a missing header', () => {
    expect(parseRange(undefined)).toBeUndefined();
  });
});

describe('rangesForLength', () => {
  const r = (h: string, len: number) => rangesForLength(parseRange(h)!, len);
  it('clamps and resolves', () => {
    expect(r('bytes=0-4', 10)).toEqual([{ start: 0, stop: 5 }]);
    expect(r('bytes=5-100', 10)).toEqual([{ start: 5, stop: 10 }]);
    expect(r('bytes=-3', 10)).toEqual([{ start: 7, stop: 10 }]);
    expect(r('bytes=-30', 10)).toEqual([{ start: 0, stop: 10 }]);
    expect(r('bytes=9-', 10)).toEqual([{ start: 9, stop: 10 }]);
  });

  it('skips unsatisfiable specs; none left is []', () => {
    expect(r('bytes=10-', 10)).toEqual([]);
    expect(r('bytes=-0', 10)).toEqual([]);
    expect(r('bytes=-0,2-3', 10)).toEqual([{ start: 2, stop: 4 }]);
    expect(r('bytes=0-', 0)).toEqual([]);
    expect(r('bytes=-5', 0)).toEqual([{ start: 0, stop: 0 }]);
  });

  it('refuses egregious sets', () => {
    expect(r('bytes=0-5,1-6,2-7', 100)).toEqual([]);
    expect(r('bytes=0-5,1-6', 100)).toHaveLength(2);
    expect(r('bytes=0-0,0-0,0-0,0-0', 100)).toHaveLength(4);
    expect(r('bytes=' + Array.from({ length: 8 }, (_v, i) => `${8 - i}-${8 - i}`).join(','), 100)).toEqual([]);
    expect(r('bytes=' + Array.from({ length: 7 }, (_v, i) => `${7 - i}-${7 - i}`).join(','), 100)).toHaveLength(7);
    expect(r('bytes=' + Array.from({ length: 51 }, (_v, i) => `${i}-${i}`).join(','), 100)).toEqual([]);
    expect(r('bytes=' + Array.from({ length: 50 }, (_v, i) => `${i}-${i}`).join(','), 100)).toHaveLength(50);
  });
});

describe('multipart framing', () => {
  it('Content-Range and part header as swob writes them; length adds up', () => {
    expect(contentRangeValue({ start: 2, stop: 5 }, 10)).toBe('bytes 2-4/10');
    const b = '0'.repeat(32);
    const ranges = [{ start: 0, stop: 2 }, { start: 5, stop: 6 }];
    expect(partHeader(b, 'text/plain', ranges[0]!, 10).toString())
      .toBe(`--${b}\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/10\r\n\r\n`);
    const body = Buffer.concat([
      partHeader(b, 'text/plain', ranges[0]!, 10), Buffer.from('ab\r\n'),
      partHeader(b, 'text/plain', ranges[1]!, 10), Buffer.from('f\r\n'),
      multipartTerminator(b),
    ]);
    expect(multipartLength(b, 'text/plain', ranges, 10)).toBe(body.length);
  });
});
