// Turns the raw YAML object (overrides applied) into a VigilConfig with the schema
// (schema.ts): defaults merged once, durations in ms, secrets resolved. Every problem with a
// top-level setting is collected and reported together; a problem inside one source only takes
// that source out (invalidSources).
import type { SourceDefinition } from '../checks/types.ts';
import { configSchema } from './schema.ts';
import { configIssues, issueSentence, type ConfigIssue } from './schema/issues.ts';
import { parseSource } from './schema/sources.ts';
import type { SecretContext } from './secret-ref.ts';
import type { AlertsConfig } from '../alerts/types.ts';
import type { StatusPageConfig, VigilConfig } from './types.ts';

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

/** Names the schema cannot check alone: sources and notifiers that sections refer to. */
function crossReferences(
  data: { readonly status_page: StatusPageConfig; readonly alerts: AlertsConfig },
  sourceNames: readonly string[],
  label: (dotted: string) => string,
): string[] {
  const problems: ConfigIssue[] = [];
  const known = new Set(sourceNames);
  const notifiers = data.alerts.notifiers.map((n) => n.name);
  const refuse = (path: PropertyKey[], message: string) => problems.push({ path, message, form: 'must' });
  if (new Set(notifiers).size !== notifiers.length) refuse(['alerts', 'notifiers'], 'notifiers with unique names');
  data.status_page.groups.forEach((group, i) =>
    group.sources.forEach((entry, j) => {
      if (!known.has(entry.source)) refuse(['status_page', 'groups', i, 'sources', j], `the name of a configured source ("${entry.source}" is not one)`);
    }),
  );
  data.alerts.rules.forEach((rule, i) => {
    for (const source of rule.sources) {
      if (source !== '*' && !known.has(source)) refuse(['alerts', 'rules', i, 'sources'], `a list of source names (or "*") ("${source}" is not one)`);
    }
    if (rule.notify.length === 0) refuse(['alerts', 'rules', i, 'notify'], 'a list of notifier names from alerts.notifiers');
    for (const name of rule.notify) {
      if (!notifiers.includes(name)) refuse(['alerts', 'rules', i, 'notify'], `a list of notifier names from alerts.notifiers ("${name}" is not one)`);
    }
  });
  data.alerts.maintenance.forEach((window, i) => {
    for (const source of window.sources) {
      if (!known.has(source)) refuse(['alerts', 'maintenance', i, 'sources'], `a list of source names ("${source}" is not one)`);
    }
  });
  return problems.map((p) => issueSentence(p, label));
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
    sentences.push(...crossReferences(parsed.data, [...sources, ...invalidSources.map((s) => s.definition)].map((s) => s.name), label));
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
  const { server, store, auth, engine, log, families, history, status_page: statusPage, alerts } = parsed.data;
  return { server, store, auth, engine, sources, invalidSources, families: families ?? {}, history, statusPage, alerts, log };
}
