// The configuration file as editors and the reference see it: the loader's schema (schema.ts)
// with each source's kind-specific options (src/checks/registry.ts) in place of the raw
// mappings the loader hands to the checks. Only ever turned into JSON Schema
// (scripts/config-reference.ts), never parsed with.
import { z } from 'zod';
import { KIND_OPTIONS } from '../checks/registry.ts';
import { SOURCE_KINDS } from '../checks/types.ts';
import { familiesDocument } from './families/schema.ts';
import { rootSchema } from './schema.ts';
import { secretRef } from './schema/fields.ts';
import { sourceCommonShape, sourceList } from './schema/sources.ts';
import type { SecretContext } from './secret-ref.ts';

/** Never consulted: nothing is parsed with the document schema. */
const NO_SECRETS: SecretContext = { env: {}, baseDir: '.' };

/**
 * A kind's options as they may be written: the loader resolves `{ env: NAME }` / `{ file: path }`
 * in any option, so every string option also takes a reference.
 */
function writtenOptions(shape: Readonly<Record<string, z.ZodType>>): Record<string, z.ZodType> {
  return Object.fromEntries(
    Object.entries(shape).map(([key, schema]) => {
      const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
      if (json.type !== 'string') return [key, schema];
      return [key, z.union([schema, secretRef]).meta({ description: schema.meta()?.description })];
    }),
  );
}

const { kind: _loaderKind, ...common } = sourceCommonShape;

/** One source: the common keys, `kind`, and that kind's options, nothing else. */
const sourceDocument = z.discriminatedUnion(
  'kind',
  SOURCE_KINDS.map((kind) =>
    z
      .strictObject({
        ...common,
        kind: z.literal(kind).meta({ description: KIND_OPTIONS[kind].meta()?.description }),
        ...writtenOptions(KIND_OPTIONS[kind].shape),
      })
      .meta({ title: `${kind} source` }),
  ) as unknown as readonly [z.ZodObject, ...z.ZodObject[]],
);

export function documentSchema() {
  return rootSchema(NO_SECRETS, z.array(sourceDocument).meta({ description: sourceList.meta()?.description }), familiesDocument).meta({
    title: 'Vigil configuration',
    description: 'The configuration file of Vigil (`--config <file>` or VIGIL_CONFIG). Reference: docs/configuration.md.',
  });
}
