// Typed readers for a source's kind-specific `options`. Each refuses a bad value with a
// CheckConfigError whose sentence names the source, the key and what is expected, so the
// source is reported `failed` with a message that says what to fix.
import { CheckConfigError, type SourceDefinition } from './types.ts';

type Options = SourceDefinition['options'];

function refuse(def: SourceDefinition, key: string, expected: string): never {
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
