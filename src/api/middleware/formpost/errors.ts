/** FormPost's own failures (Swift's FormInvalid -> 400, FormUnauthorized -> 401). */

export class FormInvalid extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FormInvalid';
  }
}

export class FormUnauthorized extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FormUnauthorized';
  }
}

/** Python's str.title(): upper-case the first letter of every run of letters, lower-case the rest. */
export function pyTitle(s: string): string {
  return s.replace(/[A-Za-z]+/g, (w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase());
}
