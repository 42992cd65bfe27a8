// A family's configuration section maps the document's components to source names, e.g.
//   families:
//     admin: { database: app-db, cache: cache }
// Parsed once at start-up; every refusal names the key and says what is expected.
import type { SourceDefinition } from '../checks/types.ts';

/** Component key -> the source kinds that can stand for it. */
export type ComponentKinds<K extends string> = Readonly<Record<K, readonly string[]>>;

/** Component key -> source name; undefined when the section leaves the component out. */
export type FamilySources<K extends string> = Readonly<Record<K, string | undefined>>;

export class FamilyConfigError extends Error {
  override readonly name = 'FamilyConfigError';
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string' || value === '') {
      throw new FamilyConfigError(`${prefix}.${key}: must be the name of a source (a non-empty string)`);
    }
    const source = sources.find((s) => s.name === value);
    if (!source) throw new FamilyConfigError(`${prefix}.${key}: no source named "${value}"`);
    const kinds = components[key as K];
    if (!kinds.includes(source.kind)) {
      throw new FamilyConfigError(
        `${prefix}.${key}: source "${value}" is of kind "${source.kind}"; expected a ${kinds.map((k) => `"${k}"`).join(' or ')} source`,
      );
    }
    result[key as K] = value;
  }
  return result;
}
