// The operation table the platform derives from a spec: Express paths, families, security.
import { describe, expect, it } from 'vitest';
import { findOperation, listOperations, toExpressPath } from '../../src/http/spec.ts';

const schemes = { components: { securitySchemes: { apiKey: {}, adminApiKey: {}, hasuraAdminSecret: {}, hasuraRole: {}, sessionCookie: {} } } };

function spec(operation: Record<string, unknown>, path = '/x') {
  return { ...schemes, paths: { [path]: { get: { operationId: 'op', tags: ['health'], responses: {}, ...operation } } } };
}

describe('the operation table', () => {
  it.each([
    ['/health', '/health'],
    ['/items/{id}', '/items/:id'],
    ['/a/{first}/b/{second}', '/a/:first/b/:second'],
    ['/files/{file-name}', '/files/:"file-name"'],
    ['/v1/odd(path)', '/v1/odd\\(path\\)'],
  ])('%s is routed in Express 5 as %s', (path, expected) => {
    expect(toExpressPath(path)).toBe(expected);
  });

  it.each([
    ['no security', {}, { mode: 'public' }],
    ['empty security', { security: [] }, { mode: 'public' }],
    ['one scheme', { security: [{ apiKey: [] }] }, { mode: 'required', accepted: ['apiKey'] }],
    ['Hasura secret with role', { security: [{ hasuraAdminSecret: [], hasuraRole: [] }] }, { mode: 'required', accepted: ['hasuraAdminSecret'] }],
    ['anonymous allowed', { security: [{}, { sessionCookie: [] }] }, { mode: 'optional', accepted: ['sessionCookie'] }],
  ])('%s gives %j', (_title, operation, expected) => {
    expect(listOperations(spec(operation))[0]?.security).toEqual(expected);
  });

  it.each([
    ['an unknown scheme', { security: [{ oauth: [] }] }, /security scheme "oauth"/],
    ['an unknown role', { security: [{ apiKey: [] }], 'x-vigil-min-role': 'god' }, /x-vigil-min-role must be one of/],
    ['a first tag that is no family', { tags: ['misc'] }, /first tag must be one of/],
    ['no operationId', { operationId: undefined }, /GET \/x has no operationId/],
  ])('refuses %s, naming the operation', (_title, operation, message) => {
    expect(() => listOperations(spec(operation))).toThrow(message);
  });

  it('prefers a literal segment over a parameter, like Express', () => {
    const operations = listOperations({
      paths: {
        '/items/{id}': { get: { operationId: 'byId', tags: ['health'] } },
        '/items/new': { get: { operationId: 'fresh', tags: ['health'] } },
      },
    });
    expect(findOperation(operations, 'GET', '/items/new')?.operationId).toBe('fresh');
    expect(findOperation(operations, 'GET', '/items/42')?.operationId).toBe('byId');
    expect(findOperation(operations, 'HEAD', '/items/42/')?.operationId).toBe('byId');
    expect(findOperation(operations, 'POST', '/items/42')).toBeUndefined();
  });
});
