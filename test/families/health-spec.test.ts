// The 001 operations in the spec: every example (the document's own among them) validates
// against its response schema, and the contract carries the documented auth.
import $RefParser from '@apidevtools/json-schema-ref-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSpec, type OperationInfo } from '../../src/http/spec.ts';

type Json = Record<string, unknown>;

const OPERATIONS = ['getHealth', 'getHealthDetailed', 'getHealthConsistency', 'getSftpgoStats'] as const;

describe('001 health operations in the spec', () => {
  let paths: Json;
  let operations: readonly OperationInfo[];

  beforeAll(async () => {
    const spec = await loadSpec();
    operations = spec.operations;
    const document = (await $RefParser.dereference(structuredClone(spec.document) as Json)) as Json;
    paths = document.paths as Json;
  });

  function examplesOf(operationId: string): [string, Json, unknown][] {
    const op = operations.find((o) => o.operationId === operationId);
    if (!op) throw new Error(`no operation ${operationId}`);
    const operation = (paths[op.path] as Json)[op.method] as Json;
    const found: [string, Json, unknown][] = [];
    for (const [status, response] of Object.entries(operation.responses as Json)) {
      const media = ((response as Json).content as Json | undefined)?.['application/json'] as Json | undefined;
      if (!media) continue;
      if ('example' in media) found.push([status, media.schema as Json, media.example]);
      for (const [name, example] of Object.entries((media.examples as Json | undefined) ?? {})) {
        found.push([`${status} ${name}`, media.schema as Json, (example as Json).value]);
      }
    }
    return found;
  }

  it.each(OPERATIONS)('%s: every example validates against its schema', (operationId) => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    const examples = examplesOf(operationId);
    expect(examples.length).toBeGreaterThan(1);
    for (const [where, schema, example] of examples) {
      const validate = ajv.compile(schema);
      expect(validate(example) ? [] : [where, validate.errors]).toEqual([]);
    }
  });

  it.each<[string, string, string | undefined]>([
    ['getHealth', 'public', undefined],
    ['getHealthDetailed', 'required', 'health:read'],
    ['getHealthConsistency', 'required', 'health:read'],
    ['getSftpgoStats', 'public', undefined],
  ])('%s is %s (scope %s), tagged health', (operationId, mode, scope) => {
    const op = operations.find((o) => o.operationId === operationId);
    expect(op).toMatchObject({ family: 'health', security: { mode }, scope });
    if (mode === 'required') {
      expect(op?.minRole).toBe('viewer');
      expect([...(op?.security.mode === 'required' ? op.security.accepted : [])].sort()).toEqual(['adminApiKey', 'apiKey', 'bearerJwt', 'sessionCookie']);
      expect(op?.statuses).toEqual(expect.arrayContaining(['200', '401', '403']));
    }
  });
});
