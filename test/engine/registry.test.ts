import { describe, expect, it } from 'vitest';
import { createCheck } from '../../src/checks/registry.ts';
import { CheckConfigError, SOURCE_KINDS } from '../../src/checks/types.ts';
import { sourceDefinition } from '../support/source-states.ts';

describe('the check registry', () => {
  it.each([
    ['elasticsearch', { url: 'http://127.0.0.1:9200' }],
    ['qdrant', { url: 'http://127.0.0.1:6333' }],
    ['http', { url: 'http://127.0.0.1:8080/healthz' }],
    ['filesystem', { path: '/tmp' }],
    ['resources', {}],
    ['postgres', { url: 'postgres://postgres@127.0.0.1:5432/test' }],
    ['mysql', { url: 'mysql://root@127.0.0.1:3306/test' }],
    ['redis', { url: 'redis://127.0.0.1:6379' }],
    ['rabbitmq', { url: 'amqp://guest:guest@127.0.0.1:5672' }],
    ['nats', { url: 'nats://127.0.0.1:4222' }],
  ])('builds a %s check from its kind', async (kind, options) => {
    const check = createCheck({ ...sourceDefinition('dep', kind), options });
    expect(check.kind).toBe(kind);
    await check.close();
  });

  it('refuses an unknown kind, listing the known ones', () => {
    const definition = sourceDefinition('dep', 'mongodb');
    expect(() => createCheck(definition)).toThrow(CheckConfigError);
    expect(() => createCheck(definition)).toThrow(`source "dep": unknown kind "mongodb"; expected one of ${SOURCE_KINDS.join(', ')}`);
  });

  it('passes a factory refusal through as a CheckConfigError', () => {
    expect(() => createCheck({ ...sourceDefinition('dep', 'http'), options: { url: 'ftp://x' } })).toThrow(CheckConfigError);
  });
});
