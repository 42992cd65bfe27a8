// Examples of the spec for the contract tests; the validator itself is src/http/spec-validator.ts.
import { createSpecValidator, pointerOf, type SpecValidator } from '../../src/http/spec-validator.ts';

export { createSpecValidator, pointerOf, type SpecValidator };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface ExampleCase {
  /** Where the example lives, as a readable JSON pointer. */
  readonly where: string;
  readonly schemaPointer: string;
  readonly value: unknown;
}

const SUBSCHEMA_KEYS = ['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains', 'propertyNames', 'unevaluatedItems', 'unevaluatedProperties'];
const SUBSCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'dependentSchemas'];
const SUBSCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];

/** Every example in the document with the pointer of the schema it must satisfy. */
export function collectExamples(spec: SpecValidator): ExampleCase[] {
  const cases: ExampleCase[] = [];
  const seenSchemas = new Set<string>();
  const join = (pointer: string, ...segments: string[]) => `${pointer}${pointerOf(segments)}`;

  function walkSchema(pointer: string): void {
    if (seenSchemas.has(pointer)) return;
    seenSchemas.add(pointer);
    const node = spec.valueAt(pointer);
    if (!isRecord(node) || typeof node.$ref === 'string') return;
    if ('example' in node) cases.push({ where: join(pointer, 'example'), schemaPointer: pointer, value: node.example });
    if (Array.isArray(node.examples)) {
      node.examples.forEach((value, index) => cases.push({ where: join(pointer, 'examples', String(index)), schemaPointer: pointer, value }));
    }
    for (const key of SUBSCHEMA_KEYS) if (isRecord(node[key])) walkSchema(join(pointer, key));
    for (const key of SUBSCHEMA_MAPS) {
      const map = node[key];
      if (isRecord(map)) for (const name of Object.keys(map)) walkSchema(join(pointer, key, name));
    }
    for (const key of SUBSCHEMA_LISTS) {
      const list = node[key];
      if (Array.isArray(list)) list.forEach((_, index) => walkSchema(join(pointer, key, String(index))));
    }
  }

  function walk(node: unknown, pointer: string): void {
    if (Array.isArray(node)) {
      node.forEach((child, index) => walk(child, join(pointer, String(index))));
      return;
    }
    if (!isRecord(node)) return;
    if (isRecord(node.schema)) {
      // A media type, parameter or header object: its examples follow its schema.
      const schemaPointer = join(pointer, 'schema');
      if ('example' in node) cases.push({ where: join(pointer, 'example'), schemaPointer, value: node.example });
      if (isRecord(node.examples)) {
        for (const name of Object.keys(node.examples)) {
          const at = spec.locate([...pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')), 'examples', name]);
          const example = at === undefined ? undefined : spec.valueAt(at);
          if (isRecord(example) && 'value' in example) {
            cases.push({ where: join(pointer, 'examples', name), schemaPointer, value: example.value });
          }
        }
      }
      walkSchema(schemaPointer);
    }
    for (const [key, child] of Object.entries(node)) {
      if (key === 'schema' || key === 'example' || key === 'examples') continue;
      if (pointer === '/components' && key === 'schemas' && isRecord(child)) {
        for (const name of Object.keys(child)) walkSchema(join(pointer, key, name));
        continue;
      }
      walk(child, join(pointer, key));
    }
  }

  walk(spec.document, '');
  return cases;
}

