/**
 * X-Delete-At / X-Delete-After on object PUT and POST, exactly as Swift's check_delete_headers and
 * the proxy's _config_obj_expiration:
 *
 * - X-Delete-After must be an integer (Python int(): sign, digits, '_' between digits, spaces around)
 *   else 400 "Non-integer X-Delete-After"; it becomes X-Delete-At = int(now + after), which must be
 *   later than now, else 400 "X-Delete-After in past" (so X-Delete-After: 0 is refused).
 *   X-Delete-After wins over an X-Delete-At sent alongside it.
 * - X-Delete-At must be an integer (a fractional value is "Non-integer X-Delete-At") and later than
 *   now, else 400 "X-Delete-At in past".
 * - "now" is the request's timestamp (X-Timestamp), not the wall clock at check time.
 * Errors are text/plain, as Swift sends them.
 */
import { httpError } from '../../errors.js';

/** Python's int() on a header value; undefined when it would raise ValueError. */
function pyInt(value: string): number | undefined {
  const v = value.trim();
  if (!/^[+-]?\d+(_\d+)*$/.test(v)) return undefined;
  return Number(v.replace(/_/g, ''));
}

/** swob's normalize_delete_at_timestamp, as a number. */
function normalizeDeleteAt(seconds: number): number {
  return Math.floor(Math.min(Math.max(0, seconds), 9999999999));
}

/** A 400 with a text/plain body, as Swift's constraint checks answer. */
export function badRequest(body: string): Error {
  return httpError(400, body, { 'content-type': 'text/plain' });
}

/**
 * The X-Delete-At (unix seconds) a PUT or POST asks for, or undefined when it asks for none.
 * `now` is the request timestamp in seconds. Throws 400 as described above.
 */
export function deleteAtFromRequest(headers: Record<string, string>, now: number): number | undefined {
  let deleteAtText = headers['x-delete-at'];
  const after = headers['x-delete-after'];
  if (after !== undefined) {
    const n = pyInt(after);
    if (n === undefined) throw badRequest('Non-integer X-Delete-After');
    const at = normalizeDeleteAt(now + n);
    if (at <= now) throw badRequest('X-Delete-After in past');
    deleteAtText = String(at);
  }
  if (deleteAtText === undefined) return undefined;
  const n = pyInt(deleteAtText);
  if (n === undefined) throw badRequest('Non-integer X-Delete-At');
  const at = normalizeDeleteAt(n);
  if (at <= now) throw badRequest('X-Delete-At in past');
  return at;
}
