// createApp refuses to start unless handlers and the spec's operations match one to one
// (openapi-backend's strict mode), naming every mismatch.
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { loadSpec } from '../../src/http/spec.ts';
import type { AppDeps } from '../../src/http/types.ts';
import { captureLogger, testConfig } from '../support/app.ts';
import { createFixtureIdentity } from './fixtures/fixture-app.ts';
import { stubFactory } from './fixtures/stubs.ts';

// createApp only calls the factories and reads config/logger/identity before listening.
function bareDeps(): AppDeps {
  return {
    config: testConfig(),
    identity: createFixtureIdentity(),
    logger: captureLogger().logger,
  } as unknown as AppDeps;
}

describe('start-up check against the real spec', () => {
  it('refuses an operation without a handler, naming it and its route', async () => {
    const { operations } = await loadSpec();
    const victim = operations[operations.length - 1];
    if (!victim) throw new Error('the spec has no operations');
    const attempt = createApp(bareDeps(), [stubFactory(operations, [victim.operationId])]);
    await expect(attempt).rejects.toThrow(victim.operationId);
    await expect(attempt).rejects.toThrow(`${victim.method.toUpperCase()} ${victim.path}`);
    await expect(attempt).rejects.toThrow(/operations without a handler/);
  });

  it('refuses a handler without an operation, naming it', async () => {
    const { operations } = await loadSpec();
    const extra = () => ({ getSomethingUndocumented: () => undefined });
    await expect(createApp(bareDeps(), [stubFactory(operations), extra])).rejects.toThrow(
      /handlers without an operation in the spec: getSomethingUndocumented/,
    );
  });

  it('refuses two handlers for one operation', async () => {
    const { operations } = await loadSpec();
    await expect(createApp(bareDeps(), [stubFactory(operations), stubFactory(operations.slice(0, 1))])).rejects.toThrow(
      new RegExp(`more than one handler: ${operations[0]?.operationId}`),
    );
  });

  it('starts when every operation has exactly one handler', async () => {
    const { operations } = await loadSpec();
    const app = await createApp(bareDeps(), [stubFactory(operations)]);
    expect(typeof app.listen).toBe('function');
  });

  it('lists every operation of the spec, with the family of its first tag', async () => {
    const { document, operations } = await loadSpec();
    const paths = document.paths as Record<string, Record<string, { operationId?: string }>>;
    const expected = Object.values(paths).flatMap((item) =>
      Object.values(item)
        .map((op) => op?.operationId)
        .filter((id): id is string => typeof id === 'string'),
    );
    expect(operations.map((op) => op.operationId).sort()).toEqual(expected.sort());
  });
});
