// Assertions about the documented error shapes, derived from renderError itself so they
// follow src/http/errors.ts if a family's shape is refined.
import { expect } from 'vitest';
import { renderError, type ApiFamily } from '../../src/http/errors.ts';

const SAMPLE = { status: 400, code: 'bad_request', message: 'sample' } as const;

/** Asserts `body` has exactly the top-level keys of `family`'s error shape. */
export function expectErrorShape(body: unknown, family: ApiFamily): void {
  expect(body, `expected a JSON error body in the ${family} shape`).toBeTypeOf('object');
  const expected = Object.keys(renderError(family, SAMPLE)).sort();
  expect(Object.keys(body as object).sort()).toEqual(expected);
}

/** Everything in `text` that looks like a stack trace line. */
export function stackLines(text: string): string[] {
  return text.split(/\\n|\n/).filter((line) => /^\s*at\s+\S+.*\(?[/\\].*:\d+:\d+\)?/.test(line));
}
