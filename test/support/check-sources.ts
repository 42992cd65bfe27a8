// A check under test, built straight from its factory: a source definition with the config
// loader's defaults and the given options, the check, and `run` (one probe through runCheck, as
// the engine runs it). Checks keep long-lived clients, so every check made here is closed after
// each test.
//
//   const redisSource = checkSources('cache', 'redis', createRedisCheck);
//   const result = await redisSource({ url: 'redis://127.0.0.1:6379' }).run();
import { afterEach } from 'vitest';
import { runCheck } from '../../src/checks/run-check.ts';
import type { Check, KindResult, SourceDefinition, SourceKind } from '../../src/checks/types.ts';
import { sourceDefinition } from './source-states.ts';

export interface CheckUnderTest<K extends SourceKind = SourceKind> {
  readonly definition: SourceDefinition;
  readonly check: Check<K>;
  /** A result typed by the check's kind, so its details read without casts. */
  run(): Promise<KindResult<K>>;
}

/** Omit `timeoutMs` for the loader's default. */
export type CheckSource<K extends SourceKind = SourceKind> = (options: Record<string, unknown>, timeoutMs?: number) => CheckUnderTest<K>;

/** Call at module or `describe` level: it registers the `afterEach` that closes the checks. */
export function checkSources<K extends SourceKind>(name: string, kind: K, create: (definition: SourceDefinition) => Check<K>): CheckSource<K> {
  const opened: Check<K>[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((check) => check.close()));
  });
  return (options, timeoutMs) => {
    const defaults = sourceDefinition(name, kind);
    const definition = { ...defaults, timeoutMs: timeoutMs ?? defaults.timeoutMs, options };
    const check = create(definition);
    opened.push(check);
    return { definition, check, run: () => runCheck(definition, check) };
  };
}
