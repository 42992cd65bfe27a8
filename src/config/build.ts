// Turns the raw YAML object (overrides applied) into a VigilConfig with the schema
// (schema.ts): defaults merged once, durations in ms, secrets resolved. Every problem with a
// top-level setting is collected and reported together; a problem inside one source only takes
// that source out (invalidSources).
import type { SourceDefinition } from '../checks/types.ts';
import { configSchema } from './schema.ts';
import { configIssues, issueSentence, type ConfigIssue } from './schema/issues.ts';
import { parseSource } from './schema/sources.ts';
import type { SecretContext } from './secret-ref.ts';
import type { VigilConfig } from './types.ts';

export { LOG_LEVELS, SOURCE_DEFAULTS } from './schema.ts';

/** Refuses start-up; `issues` name each bad key and what is expected. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly issues: readonly string[],
    where: string,
  ) {
    super(`invalid configuration (${where}):\n${issues.map((issue) => `  - ${issue}`).join('\n')}`);
  }
}

type Raw = Record<string, unknown>;

function isRecord(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `value` without null-valued keys: YAML's `key:` with nothing after it means "not set", as an
 * absent key. Sources' options and families keep theirs (a check may compare with null).
 */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, child]) => child !== null)
      .map(([key, child]) => [key, withoutNulls(child)]),
  );
}

function topLevel(raw: Raw): Raw {
  return Object.fromEntries(
    Object.entries(raw)
      .filter(([, value]) => value !== null)
      .map(([key, value]) => [key, key === 'sources' || key === 'families' ? value : withoutNulls(value)]),
  );
}

export interface BuildInput {
  readonly raw: Raw;
  readonly origins: ReadonlyMap<string, string>;
  readonly secrets: SecretContext;
  /** Names the file (or "embedded defaults") in the error message. */
  readonly where: string;
}

/** The validated configuration; throws ConfigError listing every bad top-level setting. */
export function buildConfig(input: BuildInput): VigilConfig {
  const { raw, origins, secrets, where } = input;
  const label = (dotted: string) => {
    const origin = origins.get(dotted);
    return origin ? `${dotted} (from ${origin})` : dotted;
  };
  const parsed = configSchema(secrets).safeParse(topLevel(raw));
  const issues: ConfigIssue[] = parsed.success ? [] : configIssues(parsed.error);
  const sentences = issues.map((issue) => issueSentence(issue, label));

  const sources: SourceDefinition[] = [];
  const invalidSources: { definition: SourceDefinition; reason: string }[] = [];
  if (parsed.success) {
    (parsed.data.sources ?? []).forEach((rawSource, index) => {
      const { definition, problems } = parseSource(rawSource, secrets);
      const prefix = `sources[${index}] (${definition.name})`;
      const sourceLabel = (dotted: string) => (dotted === '' ? prefix : `${prefix}.${dotted}`);
      if (problems.length === 0) sources.push(definition);
      else invalidSources.push({ definition, reason: problems.map((p) => issueSentence(p, sourceLabel)).join('; ') });
    });
    const redisSource = parsed.data.auth.session.redisSource;
    if (redisSource !== undefined) {
      const target = [...sources, ...invalidSources.map((s) => s.definition)].find((s) => s.name === redisSource);
      if (!target || target.kind !== 'redis') {
        sentences.push(
          issueSentence(
            { path: ['auth', 'session', 'redis_source'], message: `the name of a source of kind redis ("${redisSource}" is not one)`, form: 'must' },
            label,
          ),
        );
      }
    }
  }
  if (!parsed.success || sentences.length > 0) throw new ConfigError(sentences, where);
  const { server, store, auth, log, families } = parsed.data;
  return { server, store, auth, sources, invalidSources, families: families ?? {}, log };
}
