// Validating values against the bundled spec's schemas (OpenAPI 3.1 = JSON Schema 2020-12),
// with `$ref`s resolved by ajv inside the one bundled document. The contract tests check every
// answer with it; the fast path (fast-path.ts) checks each body it caches.
//
//   const specAjv = await createSpecValidator();
//   const pointer = specAjv.responseSchemaPointer(op, 200, 'application/json');
//   expect(specAjv.errorsAt(pointer, body)).toEqual([]);
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { loadSpec, type OperationInfo, type SpecDocument } from './spec.ts';

const SPEC_ID = 'vigil-spec';

/** OpenAPI's own formats that JSON Schema does not define: accepted as-is. */
const OPENAPI_FORMATS = ['int32', 'int64', 'float', 'double', 'byte', 'binary', 'password'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSON pointer ("/paths/~1health/get") from segments. */
export function pointerOf(segments: readonly string[]): string {
  return segments.map((s) => `/${s.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

function segmentsOf(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => decodeURIComponent(s).replace(/~1/g, '/').replace(/~0/g, '~'));
}

export interface SpecValidator {
  readonly document: SpecDocument;
  /**
   * Walks `segments` from the root, following local `$ref`s on the way, and returns the
   * canonical pointer of where it lands (undefined when there is nothing there).
   */
  locate(segments: readonly string[]): string | undefined;
  valueAt(pointer: string): unknown;
  /** The pointer of the schema an operation documents for `status` and `contentType`. */
  responseSchemaPointer(op: OperationInfo, status: number, contentType: string): string | undefined;
  /** Content types documented for `status` (empty: no body documented). */
  responseContentTypes(op: OperationInfo, status: number): string[] | undefined;
  /** ajv's messages for `value` against the schema at `pointer` (empty when valid). */
  errorsAt(pointer: string, value: unknown): string[];
  /**
   * A check of one property's value on its own, when the object schema at `pointer` constrains
   * that property through `properties` alone (no keyword relating it to the other fields), so
   * that a body valid with one value of it stays valid with any value this check accepts.
   * Undefined otherwise.
   */
  propertyCheck(pointer: string, property: string): ((value: unknown) => boolean) | undefined;
}

/**
 * Object-schema keywords that say nothing about how one listed property relates to the others
 * (`additionalProperties` and `unevaluatedProperties` concern unlisted ones only).
 */
const INDEPENDENT_KEYWORDS = new Set(['type', 'required', 'properties', 'additionalProperties', 'unevaluatedProperties', 'title', 'description', 'examples', 'example', '$id', '$schema', '$comment']);

export async function createSpecValidator(specPath?: string): Promise<SpecValidator> {
  const { document } = await loadSpec(specPath);
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  addFormats.default(ajv);
  for (const format of OPENAPI_FORMATS) ajv.addFormat(format, true);
  ajv.addSchema(structuredClone(document) as Record<string, unknown>, SPEC_ID);
  const compiled = new Map<string, ValidateFunction>();

  function valueAt(pointer: string): unknown {
    let node: unknown = document;
    for (const segment of segmentsOf(pointer)) node = isRecord(node) || Array.isArray(node) ? (node as Record<string, unknown>)[segment] : undefined;
    return node;
  }

  function follow(pointer: string): string {
    for (let hops = 0; hops < 20; hops++) {
      const node = valueAt(pointer);
      if (!isRecord(node) || typeof node.$ref !== 'string' || !node.$ref.startsWith('#')) return pointer;
      pointer = node.$ref.slice(1);
    }
    return pointer;
  }

  function locate(segments: readonly string[]): string | undefined {
    let pointer = '';
    for (const segment of segments) {
      pointer = `${follow(pointer)}${pointerOf([segment])}`;
      if (valueAt(pointer) === undefined) return undefined;
    }
    return follow(pointer);
  }

  function responseKey(op: OperationInfo, status: number): string | undefined {
    const code = String(status);
    return [code, `${code[0]}XX`, 'default'].find((key) => op.statuses.includes(key));
  }

  function responseContentTypes(op: OperationInfo, status: number): string[] | undefined {
    const key = responseKey(op, status);
    if (!key) return undefined;
    const pointer = locate(['paths', op.path, op.method, 'responses', key]);
    const response = pointer === undefined ? undefined : valueAt(pointer);
    const content = isRecord(response) && isRecord(response.content) ? response.content : {};
    return Object.keys(content);
  }

  function compiledAt(pointer: string): ValidateFunction {
    let validate = compiled.get(pointer);
    if (!validate) {
      const ref = `${SPEC_ID}#${segmentsOf(pointer).map((s) => encodeURIComponent(pointerOf([s]).slice(1))).map((s) => `/${s}`).join('')}`;
      validate = ajv.compile({ $ref: ref });
      compiled.set(pointer, validate);
    }
    return validate;
  }

  return {
    document,
    locate,
    valueAt,
    responseContentTypes,
    responseSchemaPointer(op, status, contentType) {
      const key = responseKey(op, status);
      if (!key) return undefined;
      const types = responseContentTypes(op, status) ?? [];
      const bare = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
      const type = types.find((t) => t.toLowerCase() === bare) ?? types.find((t) => t === '*/*');
      if (!type) return undefined;
      return locate(['paths', op.path, op.method, 'responses', key, 'content', type, 'schema']);
    },
    errorsAt(pointer, value) {
      const validate = compiledAt(pointer);
      if (validate(value)) return [];
      return (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
    },
    propertyCheck(pointer, property) {
      const schema = valueAt(follow(pointer));
      if (!isRecord(schema) || !isRecord(schema.properties) || !Object.hasOwn(schema.properties, property)) return undefined;
      if (Object.keys(schema).some((keyword) => !INDEPENDENT_KEYWORDS.has(keyword) && !keyword.startsWith('x-'))) return undefined;
      const validate = compiledAt(follow(`${follow(pointer)}${pointerOf(['properties', property])}`));
      return (value) => validate(value) === true;
    },
  };
}
