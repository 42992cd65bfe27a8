// The 000 and 002 operations in the spec: every example (the documents' own among them)
// validates against its schema, and the contract carries the documented auth and statuses.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSpec, type OperationInfo } from '../../src/http/spec.ts';
import { createSpecValidator, type SpecValidator } from '../support/openapi.ts';
import { ALL_CHECKS_OK } from './system-fixtures.ts';

type Json = Record<string, unknown>;

const OPERATIONS = ['postSystemHealthCheck', 'getSystemHealthCheck', 'getPublicHealth', 'getAdminHealth'] as const;

let validator: SpecValidator;
let operations: readonly OperationInfo[];

beforeAll(async () => {
  operations = (await loadSpec()).operations;
  validator = await createSpecValidator();
});

function op(operationId: string): OperationInfo {
  const found = operations.find((o) => o.operationId === operationId);
  if (!found) throw new Error(`no operation ${operationId}`);
  return found;
}

/** [where, schema pointer, example value] for every example of an operation's bodies. */
function examplesOf(operationId: string): [string, string, unknown][] {
  const { path, method, statuses } = op(operationId);
  const found: [string, string, unknown][] = [];
  const collect = (where: string, mediaSegments: string[]) => {
    const media = validator.locate(mediaSegments);
    if (media === undefined) return;
    const schema = validator.locate([...mediaSegments, 'schema']) as string;
    const examples = ((validator.valueAt(media) as Json).examples ?? {}) as Json;
    for (const [name, example] of Object.entries(examples)) found.push([`${where} ${name}`, schema, (example as Json).value]);
  };
  collect('request', ['paths', path, method, 'requestBody', 'content', 'application/json']);
  for (const status of statuses) collect(status, ['paths', path, method, 'responses', status, 'content', 'application/json']);
  return found;
}

describe('000 and 002 operations in the spec', () => {
  it.each(OPERATIONS)('%s: every example validates against its schema', (operationId) => {
    const examples = examplesOf(operationId);
    expect(examples.length).toBeGreaterThan(0);
    for (const [where, schema, value] of examples) expect([where, validator.errorsAt(schema, value)]).toEqual([where, []]);
  });

  it('keeps the documents\' own example bodies', () => {
    const values = (id: string) => examplesOf(id).map(([, , value]) => value);
    expect(values('postSystemHealthCheck')).toContainEqual({ Checks: ALL_CHECKS_OK });
    expect(values('postSystemHealthCheck')).toContainEqual({
      Errors: [
        { Code: 1, Message: 'Authentication failed. Invalid admin API key.' },
        { Code: 2, Message: 'There is no registered admin user.' },
        { Code: 3, Message: 'Elasticsearch connection failed.' },
        { Code: 4, Message: 'RabbitMQ connection failed.' },
        { Code: 5, Message: 'Redis connection failed.' },
        { Code: 6, Message: 'Session is not active.' },
      ],
    });
    expect(values('getAdminHealth')).toContainEqual(expect.objectContaining({ source_hash: 'a1b2c3d4e5f6...', status: 'healthy' }));
  });

  it.each<[string, string, string[], string | undefined, string[]]>([
    // 408 (a slow body), 431 (headers too large) and 503 (connection cap, credentials uncheckable) come from the platform.
    ['postSystemHealthCheck', 'system', ['adminApiKey'], 'system:admin', ['200', '400', '403', '408', '413', '415', '429', '431', '500', '503']],
    ['getSystemHealthCheck', 'system', ['adminApiKey'], 'system:admin', ['200', '400', '403', '429', '431', '500', '503']],
    ['getAdminHealth', 'admin', ['sessionCookie'], undefined, ['200', '400', '401', '403', '429', '431', '500', '503']],
  ])('%s is tagged %s, needs admin via %j (scope %s) and documents %j', (operationId, family, accepted, scope, statuses) => {
    const info = op(operationId);
    expect(info).toMatchObject({ family, minRole: 'admin', scope, security: { mode: 'required', accepted } });
    expect([...info.statuses].sort()).toEqual([...statuses].sort());
    // 000 answers auth failure with 403 only (the document has no 401).
    if (family === 'system') expect(info.statuses).not.toContain('401');
  });

  it('serves the public health without a credential', () => {
    expect(op('getPublicHealth')).toMatchObject({ family: 'admin', security: { mode: 'public' } });
    expect([...op('getPublicHealth').statuses].sort()).toEqual(['200', '400', '431', '500', '503']);
  });
});
