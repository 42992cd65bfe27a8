// `sources:` — every dependency Vigil watches. A source has the keys Vigil reads itself (Hasura's
// names, below) and its kind's own options (every other key, read by src/checks/<kind>.ts).
// The list and the names are checked with the whole file; everything else about one source is
// checked on its own, so a bad source is reported `failed` and the rest still starts.
import { z } from 'zod';
import { SOURCE_KINDS, type SourceDefinition } from '../../checks/types.ts';
import { resolveSecretRefs, SecretResolutionError, type SecretContext } from '../secret-ref.ts';
import { duration, flag, integer, issue, stringList } from './fields.ts';
import { configIssues, type ConfigIssue } from './issues.ts';

const NO_TAGS: readonly string[] = Object.freeze([]);

export const SOURCE_NAME_PATTERN = /^[A-Za-z0-9][\w.-]{0,127}$/;

const sourceName = z
  .string({ error: 'a name of letters, digits, ".", "_" or "-" (at most 128 characters)' })
  .regex(SOURCE_NAME_PATTERN, { error: 'a name of letters, digits, ".", "_" or "-" (at most 128 characters)' })
  .meta({ description: 'Unique name of the source: letters, digits, `.`, `_` or `-` (at most 128 characters).' });

const KIND_LIST = SOURCE_KINDS.join(', ');

/** The loader's `kind`: any string is kept (an unknown one makes the source `failed`). */
const sourceKind = z
  .string({ error: `one of ${KIND_LIST}` })
  .min(1, { error: `one of ${KIND_LIST}` })
  .superRefine((kind, ctx) => {
    if (kind !== '' && !(SOURCE_KINDS as readonly string[]).includes(kind)) {
      ctx.issues.push(issue(kind, `"${kind}" is not a known kind (expected one of ${KIND_LIST})`, 'suffix'));
    }
  })
  .meta({ description: 'Which dependency this is; decides the other keys (see each kind below).' });

/** The keys Vigil reads itself, with Hasura's defaults; every other key is the kind's option. */
export const sourceCommonShape = {
  name: sourceName,
  kind: sourceKind,
  interval: duration()
    .prefault('10s')
    .meta({
      description:
        'Time between runs. A failure shows within max(interval, timeout) + min(max(interval, timeout) + 1 s, ' +
        '(retries + 1) × (timeout + 1 s) + retries × retry_interval): README "Detection time".',
    }),
  timeout: duration().prefault('10s').meta({ description: "One attempt's time limit." }),
  retries: integer(0, 100).prefault(3).meta({ description: 'Extra attempts after a failed one, within the interval.' }),
  retry_interval: duration({ min: 0 }).prefault('10s').meta({ description: 'Time between those attempts.' }),
  critical: flag()
    .prefault(true)
    .meta({ description: 'A failing critical source makes Vigil unhealthy; a failing non-critical one only degrades it.' }),
  tags: stringList().prefault([]).meta({ description: 'Free labels, reported with the source.' }),
} as const;

type CommonKey = keyof typeof sourceCommonShape;
const COMMON_KEYS = Object.keys(sourceCommonShape) as CommonKey[];

/** Hasura's defaults for a source, in milliseconds (read off the fields above). */
export const SOURCE_DEFAULTS = {
  intervalMs: sourceCommonShape.interval.parse(undefined),
  timeoutMs: sourceCommonShape.timeout.parse(undefined),
  retries: sourceCommonShape.retries.parse(undefined),
  retryIntervalMs: sourceCommonShape.retry_interval.parse(undefined),
  critical: sourceCommonShape.critical.parse(undefined),
} as const;

/** `sources:` as the whole file sees it: a list of mappings with unique, valid names. */
export const sourceList = z
  .array(z.looseObject({ name: sourceName }, { error: 'a mapping with name and kind' }), {
    error: 'a list of sources (each a mapping with name and kind)',
  })
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((source, index) => {
      if (seen.has(source.name)) ctx.issues.push(issue(source, `unique ("${source.name}" is used twice)`, 'must', [index, 'name']));
      seen.add(source.name);
    });
  })
  .meta({ description: 'Every dependency Vigil watches. Each runs in the background on its own interval; the APIs answer from its last result.' });

export type SourceInput = z.input<typeof sourceList>[number];

export interface ParsedSource {
  readonly definition: SourceDefinition;
  /** Why the source cannot be checked as configured (it is reported `failed`); absent when it can. */
  readonly problems: readonly ConfigIssue[];
}

/**
 * One source of the list: defaults merged, durations in ms, secrets in its options resolved.
 * Never throws on bad input: each problem is returned, and the definition keeps what could be
 * read (defaults for the rest) so the source can still be reported by name.
 */
export function parseSource(raw: Readonly<Record<string, unknown>>, secrets: SecretContext): ParsedSource {
  const problems: ConfigIssue[] = [];
  const read = <K extends CommonKey>(key: K): z.output<(typeof sourceCommonShape)[K]> | undefined => {
    const value = raw[key] ?? undefined;
    const result = sourceCommonShape[key].safeParse(value);
    if (result.success) return result.data as z.output<(typeof sourceCommonShape)[K]>;
    problems.push(...configIssues(result.error, [key]));
    return undefined;
  };
  const values = Object.fromEntries(COMMON_KEYS.map((key) => [key, read(key)])) as {
    [K in CommonKey]: z.output<(typeof sourceCommonShape)[K]> | undefined;
  };
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) if (!(COMMON_KEYS as string[]).includes(key)) options[key] = value;
  let resolved: Record<string, unknown> = options;
  try {
    resolved = resolveSecretRefs(options, secrets, '') as Record<string, unknown>;
  } catch (error) {
    if (!(error instanceof SecretResolutionError)) throw error;
    // "password: environment variable PG_PASSWORD is not set"; the unresolved reference stays.
    problems.push({ path: [], message: error.message, form: 'member' });
  }
  const definition: SourceDefinition = {
    name: String(raw.name),
    kind: typeof raw.kind === 'string' ? raw.kind : '',
    critical: values.critical ?? SOURCE_DEFAULTS.critical,
    intervalMs: values.interval ?? SOURCE_DEFAULTS.intervalMs,
    timeoutMs: values.timeout ?? SOURCE_DEFAULTS.timeoutMs,
    retries: values.retries ?? SOURCE_DEFAULTS.retries,
    retryIntervalMs: values.retry_interval ?? SOURCE_DEFAULTS.retryIntervalMs,
    // Most sources have none: one shared empty list instead of one per source.
    tags: values.tags?.length ? values.tags : NO_TAGS,
    options: resolved,
  };
  return { definition, problems };
}

