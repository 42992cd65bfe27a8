// The building blocks every configuration section is made of. Each field carries the sentence
// a refusal completes ("<key> must be <expected>"), so validation messages, the editor schema
// (vigil.schema.json) and the reference (docs/configuration.md) all come from one definition.
import { z } from 'zod';
import { parseByteSize, parseDuration } from '../duration.ts';
import { resolveSecretRef, SecretResolutionError, type SecretContext } from '../secret-ref.ts';

import type { IssueForm } from './issues.ts';

/** A custom issue for `ctx.issues.push` inside a transform or check. */
export function issue(input: unknown, message: string, form: IssueForm = 'must', path: readonly PropertyKey[] = []) {
  return { code: 'custom' as const, input, message, params: { form }, path: [...path] };
}

export const DURATION_HINT = 'a duration such as "10s", "500ms", "2m" or a number of milliseconds';
const SIZE_HINT = 'a size such as "100kb", "1mb" or a number of bytes';
// The same grammar as parseDuration / parseByteSize, spelled out for editors (no regex flags in
// JSON Schema, hence the character classes).
export const DURATION_PATTERN = /^\s*(\d+(\.\d+)?|(\d+(\.\d+)?([mM][sS]|[sSmMhHdD]))+)\s*$/;
export const SIZE_PATTERN = /^\s*\d+(\.\d+)?\s*([bB]|[kK][bB]|[mM][bB]|[gG][bB])?\s*$/;

/** A non-empty string. */
export function text(expected = 'a non-empty string') {
  return z.string({ error: expected }).min(1, { error: expected });
}

/** A whole number within [min, max]. */
export function integer(min: number, max: number) {
  const expected = `an integer from ${min} to ${max}`;
  return z.int({ error: expected }).min(min, { error: expected }).max(max, { error: expected });
}

export function flag() {
  return z.boolean({ error: 'true or false' });
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `one of ${values.join(', ')}` });
}

/**
 * A list of strings, refused as a whole ("tags must be a list of strings") rather than item by
 * item; editors see `{ type: array, items: { type: string } }`.
 */
export function stringList(expected = 'a list of strings') {
  return z
    .custom<readonly string[]>((value) => Array.isArray(value) && value.every((item) => typeof item === 'string'), { error: expected })
    .meta({ type: 'array', items: { type: 'string' } });
}

/**
 * Milliseconds, written "10s", "500ms", "2m", "1h30m" or as a number of milliseconds. `min` is
 * the smallest accepted value in ms (1 by default: "0s" is refused where zero makes no sense).
 */
export function duration(options: { readonly min?: number } = {}) {
  const min = options.min ?? 1;
  const expected = DURATION_HINT + (min > 0 ? ' (more than zero)' : '');
  return z
    .union([z.number({ error: expected }).min(0, { error: expected }), z.string({ error: expected }).regex(DURATION_PATTERN, { error: expected })], {
      error: expected,
    })
    .transform((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === undefined || ms < min) {
        ctx.issues.push(issue(value, expected));
        return z.NEVER;
      }
      return ms;
    });
}

/** Bytes, written "100kb", "1mb" or as a number of bytes. */
export function size() {
  return z
    .union([z.int({ error: SIZE_HINT }).min(1, { error: SIZE_HINT }), z.string({ error: SIZE_HINT }).regex(SIZE_PATTERN, { error: SIZE_HINT })], {
      error: SIZE_HINT,
    })
    .transform((value, ctx) => {
      const bytes = parseByteSize(value);
      if (bytes === undefined) {
        ctx.issues.push(issue(value, SIZE_HINT));
        return z.NEVER;
      }
      return bytes;
    });
}

const SECRET_HINT = 'a non-empty string, { env: NAME } or { file: path }';

/** `{ env: NAME }` or `{ file: path }`, as editors see them. */
export const secretRef = z.union(
  [
    z.strictObject({ env: text(SECRET_HINT).meta({ description: 'Name of the environment variable holding the secret.' }) }, { error: SECRET_HINT }),
    z.strictObject(
      {
        file: text(SECRET_HINT).meta({
          description: 'Path of a file holding the secret (relative to the configuration file; one trailing newline is dropped).',
        }),
      },
      { error: SECRET_HINT },
    ),
  ],
  { error: SECRET_HINT },
);

/**
 * A secret: written inline, or `{ env: NAME }` / `{ file: path }`, resolved at load time against
 * `secrets`. A reference that cannot be resolved is refused naming what is missing, never a value.
 */
export function secret(secrets: SecretContext) {
  return z
    .union([text(SECRET_HINT), secretRef], { error: SECRET_HINT })
    .transform((value, ctx) => {
      if (typeof value === 'string') return value;
      try {
        return resolveSecretRef(value, secrets);
      } catch (error) {
        if (!(error instanceof SecretResolutionError)) throw error;
        ctx.issues.push(issue(value, error.reason, 'colon'));
        return z.NEVER;
      }
    });
}

/**
 * A mapping with exactly these keys: any other key is refused by name ("server.prot is not a
 * known key (expected one of host, port, ...)"), so a misspelled setting never passes silently.
 */
export function section<const Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  const keys = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (problem) =>
      problem.code === 'unrecognized_keys' ? `expected one of ${keys}` : `a mapping with keys ${keys}`,
  });
}
