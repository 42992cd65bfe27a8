// A source's kind-specific `options`, declared once per kind as a schema (`kindOptions({...})`
// at the top of src/checks/<kind>.ts) and read once by its factory (`readOptions`). The same
// schema feeds the editors' JSON Schema and the reference (docs/configuration.md). A refusal
// is a CheckConfigError whose sentence names the source, the option and what is expected, so
// the source is reported `failed` with a message that says what to fix, and Vigil still starts.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseDuration } from '../config/duration.ts';
import { CheckConfigError, type SourceDefinition } from './types.ts';

/**
 * A kind's options: exactly these keys (a misspelled option is refused by name, not ignored).
 * `description` says what the kind checks; it heads the kind's part of the reference.
 */
export function kindOptions<const Shape extends z.core.$ZodLooseShape>(description: string, shape: Shape) {
  const keys = Object.keys(shape).join(', ');
  return z
    .strictObject(shape, {
      error: (problem) => (problem.code === 'unrecognized_keys' ? `expected one of ${keys}` : 'a map of settings'),
    })
    .meta({ description });
}

/** Any kind's options schema, as the registry keeps them. */
export type KindOptions = z.ZodType<unknown, Readonly<Record<string, unknown>>>;

function urlField(protocols: readonly string[]) {
  const schemes = protocols.map((p) => `${p}//`).join(' or ');
  return z
    .string({ error: 'set (a non-empty string)' })
    .min(1, { error: 'set (a non-empty string)' })
    .transform((text, ctx) => {
      let url: URL;
      try {
        url = new URL(text);
      } catch {
        ctx.issues.push({ code: 'custom', input: text, message: `a valid URL (${schemes}...)` });
        return z.NEVER;
      }
      if (!protocols.includes(url.protocol)) {
        ctx.issues.push({ code: 'custom', input: text, message: `a URL starting with ${schemes}` });
        return z.NEVER;
      }
      return url;
    });
}

const described = <T extends z.ZodType>(schema: T, description: string) => schema.meta({ description });

/** Builders for option fields; each carries the "must be ..." sentence of its refusal. */
export const option = {
  string: (description: string) => described(z.string({ error: 'a string' }).optional(), description),

  /** A string that must be set. */
  requiredString: (description: string) =>
    described(z.string({ error: 'set (a non-empty string)' }).min(1, { error: 'set (a non-empty string)' }), description),

  /** A secret (password, token, key): a string, or `{ env: NAME }` / `{ file: path }` resolved by the loader. */
  secret: (description: string) => described(z.string({ error: 'a string' }).optional(), description),

  number: (fallback: number, description: string) =>
    described(z.number({ error: 'a number' }).refine(Number.isFinite, { error: 'a number' }).default(fallback), description),

  /** A number with no default: absent means "not checked". */
  optionalNumber: (description: string) =>
    described(z.number({ error: 'a number' }).refine(Number.isFinite, { error: 'a number' }).optional(), description),

  integer: (fallback: number, range: { readonly min: number; readonly max: number }, description: string) => {
    const whole = `a whole number from ${range.min} to ${range.max}`;
    return described(
      z
        .number({ error: 'a number' })
        .int({ error: whole })
        .min(range.min, { error: whole })
        .max(range.max, { error: whole })
        .default(fallback),
      description,
    );
  },

  /** An integer with no default (absent leaves it to another option, e.g. the URL). */
  optionalInteger: (range: { readonly min: number; readonly max: number }, description: string) => {
    const whole = `a whole number from ${range.min} to ${range.max}`;
    return described(
      z.number({ error: 'a number' }).int({ error: whole }).min(range.min, { error: whole }).max(range.max, { error: whole }).optional(),
      description,
    );
  },

  /** A duration ("60s", "500ms", "2m" or milliseconds) of at least `minMs`, read as milliseconds. */
  duration: (fallback: number, minMs: number, description: string) => {
    const expected = `a duration such as "60s", "500ms" or "2m" (at least ${minMs} ms)`;
    return described(
      z
        .union([z.string(), z.number()], { error: expected })
        .transform((value, ctx) => {
          const ms = parseDuration(value);
          if (ms === undefined || ms < minMs) {
            ctx.issues.push({ code: 'custom', input: value, message: expected });
            return z.NEVER;
          }
          return ms;
        })
        .default(fallback)
        .meta({ type: ['string', 'number'] }),
      description,
    );
  },

  boolean: (fallback: boolean, description: string) => described(z.boolean({ error: 'true or false' }).default(fallback), description),

  stringList: (description: string) =>
    described(
      z
        .custom<readonly string[]>((value) => Array.isArray(value) && value.every((item) => typeof item === 'string'), { error: 'a list of strings' })
        .default([])
        .meta({ type: 'array', items: { type: 'string' } }),
      description,
    ),

  /** A map of names to strings (e.g. request headers). */
  stringMap: (description: string) =>
    described(
      z
        .custom<Readonly<Record<string, string>>>(
          (value) => typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((item) => typeof item === 'string'),
          { error: 'a map of names to strings' },
        )
        .default({})
        .meta({ type: 'object', additionalProperties: { type: 'string' } }),
      description,
    ),

  /** One of `values`. */
  oneOf: <const T extends readonly [string, ...string[]]>(values: T, fallback: T[number], description: string) =>
    described(z.enum(values, { error: `one of ${values.join(', ')}` }).default(fallback), description),

  /** A URL whose scheme is one of `protocols` (with the colon: `'http:'`), parsed; must be set. */
  url: (protocols: readonly string[], description: string) => described(urlField(protocols), description),

  /** The same, when another option can stand in for it (`host`): absent is allowed. */
  optionalUrl: (protocols: readonly string[], description: string) => described(urlField(protocols).optional(), description),

  /** The text of the file named by the option (e.g. a PEM CA bundle), read once. */
  fileText: (description: string) =>
    described(
      z
        .string({ error: 'a string' })
        .transform((path, ctx) => {
          try {
            return readFileSync(path, 'utf8');
          } catch {
            ctx.issues.push({ code: 'custom', input: path, message: `the path of a readable file (cannot read "${path}")` });
            return z.NEVER;
          }
        })
        .optional(),
      description,
    ),

  /** A nested map of settings (e.g. `jobs: { bucket, status_field }`); its keys are named `jobs.bucket`. */
  section: <const Shape extends z.core.$ZodLooseShape>(shape: Shape, description: string) => {
    const keys = Object.keys(shape).join(', ');
    return described(
      z
        .strictObject(shape, {
          error: (problem) => (problem.code === 'unrecognized_keys' ? `expected one of ${keys}` : 'a map of settings'),
        })
        .optional(),
      description,
    );
  },
};

function dotted(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : text === '' ? String(key) : `${text}.${String(key)}`), '');
}

/** What a refusal of one option says, after `option "<key>" `. */
function sentences(error: z.ZodError): string[] {
  return error.issues.flatMap((problem) => {
    if (problem.code === 'unrecognized_keys') {
      return problem.keys.map((key) => `option "${dotted([...problem.path, key])}" is not a known option (${problem.message})`);
    }
    return [`option "${dotted(problem.path)}" must be ${problem.message}`];
  });
}

/** Refuses `def`: the source is `failed` with `source "<name>" (<kind>): <sentence>`. */
export function refuse(def: SourceDefinition, sentence: string): never {
  throw new CheckConfigError(`source "${def.name}" (${def.kind}): ${sentence}`);
}

/**
 * `def.options` read with its kind's schema: defaults merged, values typed. Throws
 * CheckConfigError naming every bad option. A key written with nothing after it (null) counts
 * as absent, unless the option itself accepts null (the http kind's `equals`).
 */
export function readOptions<S extends z.ZodObject>(def: SourceDefinition, schema: S): z.output<S> {
  const shape = schema.shape as Readonly<Record<string, z.ZodType>>;
  const given = Object.fromEntries(
    Object.entries(def.options).filter(([key, value]) => value !== null || shape[key]?.safeParse(null).success === true),
  );
  const result = schema.safeParse(given);
  if (!result.success) refuse(def, sentences(result.error).join('; '));
  return result.data;
}
