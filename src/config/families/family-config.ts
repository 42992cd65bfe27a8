// Readers for the `families:` sections, parsed once at start-up; every refusal names the key
// and says what is expected. Two shapes:
// - components mapped to single sources (`parseFamilySources`, `sourceRef`), e.g.
//     families:
//       admin: { database: app-db, cache: cache }
// - sources selected by lists (status' and sources' `components`, `include`, `exclude`).
import type { SourceDefinition } from '../../checks/types.ts';

/** Component key -> the source kinds that can stand for it. */
export type ComponentKinds<K extends string> = Readonly<Record<K, readonly string[]>>;

/** Component key -> source name; undefined when the section leaves the component out. */
export type FamilySources<K extends string> = Readonly<Record<K, string | undefined>>;

export class FamilyConfigError extends Error {
  override readonly name = 'FamilyConfigError';
}

export type FamilySection = Readonly<Record<string, unknown>>;

export function isRecord(value: unknown): value is FamilySection {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * An optional reference (at `key`, e.g. `families.admin.cache`) to a configured source of one
 * of `kinds`: undefined when absent.
 */
export function sourceRef(
  value: unknown,
  key: string,
  kinds: readonly string[],
  sources: readonly SourceDefinition[],
): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === '') {
    throw new FamilyConfigError(`${key}: must be the name of a source (a non-empty string)`);
  }
  const source = sources.find((s) => s.name === value);
  if (!source) throw new FamilyConfigError(`${key}: no source named "${value}"`);
  if (!kinds.includes(source.kind)) {
    throw new FamilyConfigError(
      `${key}: source "${value}" is of kind "${source.kind}"; expected a ${kinds.map((k) => `"${k}"`).join(' or ')} source`,
    );
  }
  return value;
}

/**
 * `families.<family>` checked against the configured sources (the engine's, so sources the
 * loader refused still count: they report `failed`). An absent or empty section maps nothing.
 */
export function parseFamilySources<K extends string>(
  family: string,
  section: unknown,
  components: ComponentKinds<K>,
  sources: readonly SourceDefinition[],
): FamilySources<K> {
  const prefix = `families.${family}`;
  const keys = Object.keys(components) as K[];
  const result = Object.fromEntries(keys.map((key) => [key, undefined])) as Record<K, string | undefined>;
  if (section === undefined || section === null) return result;
  if (!isRecord(section)) {
    throw new FamilyConfigError(`${prefix}: must be a mapping of component to source name (${keys.join(', ')})`);
  }
  for (const [key, value] of Object.entries(section)) {
    if (!(keys as string[]).includes(key)) {
      throw new FamilyConfigError(`${prefix}.${key}: unknown component; expected one of ${keys.join(', ')}`);
    }
    const name = sourceRef(value, `${prefix}.${key}`, components[key as K], sources);
    if (name !== undefined) result[key as K] = name;
  }
  return result;
}

/** The family's section (`families.<family>`), `{}` when absent. */
export function familySection(families: Readonly<Record<string, unknown>>, family: string): FamilySection {
  const section = families[family];
  if (section === undefined || section === null) return {};
  if (!isRecord(section)) throw new FamilyConfigError(`families.${family} must be a mapping (e.g. { include: [app-db] })`);
  return section;
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
