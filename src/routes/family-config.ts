// Readers for a family section of `families:` that selects sources by lists (status' and
// sources' `components`, `include`, `exclude`); family-sources.ts maps single components. Each
// refuses a bad value at start-up with a sentence naming the key and what is expected.
import { FamilyConfigError } from './family-sources.ts';

export { FamilyConfigError };

export type FamilySection = Readonly<Record<string, unknown>>;

/** The family's section (`families.<family>`), `{}` when absent. */
export function familySection(families: Readonly<Record<string, unknown>>, family: string): FamilySection {
  const section = families[family];
  if (section === undefined || section === null) return {};
  if (typeof section !== 'object' || Array.isArray(section)) {
    throw new FamilyConfigError(`families.${family} must be a mapping (e.g. { include: [app-db] })`);
  }
  return section as FamilySection;
}

/** Refuses keys the family does not know, so a typo does not pass silently. */
export function refuseUnknownKeys(section: FamilySection, family: string, known: readonly string[]): void {
  for (const key of Object.keys(section)) {
    if (!known.includes(key)) {
      throw new FamilyConfigError(`families.${family}.${key} is not a known key (expected one of: ${known.join(', ')})`);
    }
  }
}

function knownList(names: readonly string[]): string {
  return names.length > 0 ? names.join(', ') : 'none configured';
}

/** An optional source name: undefined when absent; refused unless it names a configured source. */
export function optionalSourceName(value: unknown, key: string, sources: readonly string[]): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === '') throw new FamilyConfigError(`${key} must be a source name (a non-empty string)`);
  if (!sources.includes(value)) {
    throw new FamilyConfigError(`${key}: "${value}" is not a configured source (configured: ${knownList(sources)})`);
  }
  return value;
}

/**
 * An optional list of configured source names, undefined when absent. Every entry must name a
 * configured source, once.
 */
export function optionalSourceList(value: unknown, key: string, sources: readonly string[]): readonly string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new FamilyConfigError(`${key} must be a list of source names`);
  const seen = new Set<string>();
  value.forEach((item: unknown, index) => {
    const name = optionalSourceName(item, `${key}[${index}]`, sources);
    if (name === undefined) throw new FamilyConfigError(`${key}[${index}] must be a source name (a non-empty string)`);
    if (seen.has(name)) throw new FamilyConfigError(`${key}[${index}]: "${name}" is listed twice`);
    seen.add(name);
  });
  return [...seen];
}
