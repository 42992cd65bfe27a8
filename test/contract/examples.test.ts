// Every example in the bundled spec (media types, parameters, headers, and schemas' own
// `example` / `examples`) validates against its schema: the documents' example bodies are the
// spec's examples, so this is "each seed example body validates against its schema".
import { beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { collectExamples, createSpecValidator, type ExampleCase, type SpecValidator } from '../support/openapi.ts';

const FIXTURE_SPEC = fileURLToPath(new URL('../platform/fixtures/spec/openapi.yaml', import.meta.url));

let spec: SpecValidator;
let cases: ExampleCase[];

beforeAll(async () => {
  spec = await createSpecValidator();
  cases = collectExamples(spec);
});

describe('examples in the spec', () => {
  it('there are examples to check', () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  it('every example validates against its schema', () => {
    const failures = cases
      .map((c) => ({ where: decodeURIComponent(c.where), errors: spec.errorsAt(c.schemaPointer, c.value) }))
      .filter((f) => f.errors.length > 0);
    expect(failures).toEqual([]);
  });

  it('the walker finds examples of media types and of schemas (fixture spec)', async () => {
    const fixture = collectExamples(await createSpecValidator(FIXTURE_SPEC));
    expect(fixture.map((c) => decodeURIComponent(c.where))).toContain('/paths/~1fixture~1ping/get/responses/200/content/application~1json/example');
  });

  it('the checker catches an example that breaks its schema', async () => {
    const probe = cases.find((c) => typeof c.value === 'object' && c.value !== null && !Array.isArray(c.value));
    expect(probe, 'an object example to corrupt').toBeDefined();
    expect(spec.errorsAt((probe as ExampleCase).schemaPointer, 'not an object at all').length).toBeGreaterThan(0);
  });
});
