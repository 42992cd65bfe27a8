// Typed readers for a source's kind-specific `options`. Each refuses a bad value with a
// CheckConfigError whose sentence names the source, the key and what is expected, so the
// source is reported `failed` with a message that says what to fix.
import { readFileSync } from 'node:fs';
import { parseDuration } from '../config/duration.ts';
import { CheckConfigError, type SourceDefinition } from './types.ts';

type Options = SourceDefinition['options'];

/** Refuses option `key` of `def`: the source is `failed` with a sentence saying what is expected. */
export function refuse(def: SourceDefinition, key: string, expected: string): never {
  throw new CheckConfigError(`source "${def.name}" (${def.kind}): option "${key}" must be ${expected}`);
}

export function optionalString(def: SourceDefinition, key: string): string | undefined {
  const value = (def.options as Options)[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') refuse(def, key, 'a string');
  return value;
}

export function requiredString(def: SourceDefinition, key: string): string {
  const value = optionalString(def, key);
  if (value === undefined || value === '') refuse(def, key, 'set (a non-empty string)');
  return value;
}

export function optionalNumber(def: SourceDefinition, key: string, fallback: number): number {
  const value = def.options[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) refuse(def, key, 'a number');
  return value;
}

export function optionalBoolean(def: SourceDefinition, key: string, fallback: boolean): boolean {
  const value = def.options[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') refuse(def, key, 'true or false');
  return value;
}

export function optionalStringList(def: SourceDefinition, key: string): readonly string[] {
  const value = def.options[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) refuse(def, key, 'a list of strings');
  return value as string[];
}

/** A URL option, parsed; refused when it does not parse or its scheme is not one of `protocols`. */
export function requiredUrl(def: SourceDefinition, key: string, protocols: readonly string[]): URL {
  const raw = requiredString(def, key);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    refuse(def, key, `a valid URL (${protocols.map((p) => `${p}//`).join(' or ')}...)`);
  }
  if (!protocols.includes(url.protocol)) refuse(def, key, `a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  return url;
}

/** A map of string to string (e.g. request headers); empty when absent. */
export function optionalStringMap(def: SourceDefinition, key: string): Readonly<Record<string, string>> {
  const value = def.options[key];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value) || Object.values(value).some((item) => typeof item !== 'string')) {
    refuse(def, key, 'a map of names to strings');
  }
  return value as Record<string, string>;
}

/** The text of the file named by option `key` (e.g. a PEM CA bundle), read once; refused when unreadable. */
export function optionalFileText(def: SourceDefinition, key: string): string | undefined {
  const path = optionalString(def, key);
  if (path === undefined) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch {
    refuse(def, key, `the path of a readable file (cannot read "${path}")`);
  }
}

/** A whole number within [min, max]; `fallback` when absent. */
export function optionalInteger(
  def: SourceDefinition,
  key: string,
  fallback: number,
  range: { readonly min: number; readonly max: number },
): number {
  const value = optionalNumber(def, key, fallback);
  if (!Number.isInteger(value) || value < range.min || value > range.max) {
    refuse(def, key, `a whole number from ${range.min} to ${range.max}`);
  }
  return value;
}

/**
 * A nested map of settings (e.g. `jobs: { bucket, status_field }`) seen as a source of its own,
 * whose keys are prefixed with `key.`: read it with the same readers (`"jobs.bucket"`) so a
 * refusal names the full path. Undefined when absent.
 */
export function optionalSection(def: SourceDefinition, key: string): SourceDefinition | undefined {
  const value = def.options[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) refuse(def, key, 'a map of settings');
  const options = Object.fromEntries(Object.entries(value).map(([child, item]) => [`${key}.${child}`, item]));
  return { ...def, options };
}

/** A duration ("60s", "500ms", "2m" or milliseconds) of at least `minMs`, in milliseconds; `fallback` when absent. */
export function optionalDuration(def: SourceDefinition, key: string, fallback: number, minMs = 1): number {
  const value = def.options[key];
  if (value === undefined || value === null) return fallback;
  const ms = parseDuration(value);
  if (ms === undefined || ms < minMs) refuse(def, key, `a duration such as "60s", "500ms" or "2m" (at least ${minMs} ms)`);
  return ms;
}
