/** check_delete_headers: X-Delete-At / X-Delete-After against the request time. */
import { describe, expect, it } from 'vitest';
import { deleteAtFromRequest } from '../../../../../src/api/controllers/object/delete-at.js';
import { SwiftHttpError } from '../../../../../src/api/errors.js';

const NOW = 1_700_000_000.5;

function error(headers: Record<string, string>): string | undefined {
  try {
    deleteAtFromRequest(headers, NOW);
    return undefined;
  } catch (err) {
    return err instanceof SwiftHttpError ? err.body : String(err);
  }
}

describe('deleteAtFromRequest', () => {
  it('computes and validates', () => {
    expect(deleteAtFromRequest({}, NOW)).toBeUndefined();
    expect(deleteAtFromRequest({ 'x-delete-after': '10' }, NOW)).toBe(1_700_000_010);
    expect(deleteAtFromRequest({ 'x-delete-after': ' 1 ' }, NOW)).toBe(1_700_000_001);
    expect(deleteAtFromRequest({ 'x-delete-at': '1700000001' }, NOW)).toBe(1_700_000_001);
    expect(deleteAtFromRequest({ 'x-delete-at': '1', 'x-delete-after': '5' }, NOW)).toBe(1_700_000_005);
    expect(deleteAtFromRequest({ 'x-delete-at': '99999999999' }, NOW)).toBe(9_999_999_999);
  });

  it.each([
    [{ 'x-delete-after': '0' }, 'X-Delete-After in past'],
    [{ 'x-delete-after': '-1' }, 'X-Delete-After in past'],
    [{ 'x-delete-after': '1.5' }, 'Non-integer X-Delete-After'],
    [{ 'x-delete-at': '1700000000' }, 'X-Delete-At in past'],
    [{ 'x-delete-at': '1700000001.0' }, 'Non-integer X-Delete-At'],
    [{ 'x-delete-at': '' }, 'Non-integer X-Delete-At'],
    [{ 'x-delete-at': '-5' }, 'X-Delete-At in past'],
  ])('%j -> %s', (headers, message) => {
    expect(error(headers)).toBe(message);
  });
});
