// A check under test, built straight from its factory: a source definition with the config
// loader's defaults and the given options, the check, and `run` (one probe through runCheck, as
// the engine runs it). Checks keep long-lived clients, so every check made here is closed after
// each test.
//
//   const redisSource = checkSources('cache', 'redis', createRedisCheck);
//   const result = await redisSource({ url: 'redis://127.0.0.1:6379' }).run();
import { afterEach } from 'vitest';
import { runCheck } from '../../src/checks/run-check.ts';
import type { Check, CheckResult, SourceDefinition } from '../../src/checks/types.ts';
import { sourceDefinition } from './source-states.ts';

export interface CheckUnderTest {
  readonly definition: SourceDefinition;
  readonly check: Check;
  run(): Promise<CheckResult>;
}

/** Omit `timeoutMs` for the loader's default. */
export type CheckSource = (options: Record<string, unknown>, timeoutMs?: number) => CheckUnderTest;

/** Call at module or `describe` level: it registers the `afterEach` that closes the checks. */
export function checkSources(name: string, kind: string, create: (definition: SourceDefinition) => Check): CheckSource {
  const opened: Check[] = [];
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
