// vigil.schema.json and docs/configuration.md, both made from the configuration schema
// (src/config/schema.ts). `npm run docs:config` writes them; test/platform/config-schema.test.ts
// fails when the committed files differ from what this produces.
import { z } from 'zod';
import { KIND_OPTIONS } from '../src/checks/registry.ts';
import { SOURCE_KINDS } from '../src/checks/types.ts';
import { documentSchema } from '../src/config/document.ts';
import { sourceCommonShape } from '../src/config/schema/sources.ts';
import { DURATION_PATTERN, SIZE_PATTERN } from '../src/config/schema/fields.ts';

type Json = { readonly [key: string]: unknown };

/** The JSON Schema (draft 2020-12) of what the file may hold, as editors use it. */
export function configJsonSchema(): Json {
  const schema = z.toJSONSchema(documentSchema(), { io: 'input', unrepresentable: 'any' /* stringList's z.custom: its .meta() gives the JSON Schema */ });
  return { ...schema, $id: 'https://vigil.invalid/vigil.schema.json' };
}

export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

function isJson(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function members(schema: Json): readonly Json[] {
  const list = schema.anyOf ?? schema.oneOf;
  return Array.isArray(list) ? list.filter(isJson) : [];
}

function hasPattern(schema: Json, pattern: RegExp): boolean {
  return members(schema).some((member) => member.pattern === pattern.source);
}

function isSecret(schema: Json): boolean {
  const nested = members(schema).flatMap((member) => [member, ...members(member)]);
  return nested.some((member) => isJson(member.properties) && 'env' in member.properties);
}

/** A reader's name for the type of `schema`. */
function typeOf(schema: Json): string {
  if (hasPattern(schema, DURATION_PATTERN)) return 'duration';
  if (hasPattern(schema, SIZE_PATTERN)) return 'size';
  if (isSecret(schema)) return 'secret';
  if (Array.isArray(schema.enum)) return `one of ${schema.enum.map((value) => `\`${String(value)}\``).join(', ')}`;
  if (schema.const !== undefined) return `\`${String(schema.const)}\``;
  switch (schema.type) {
    case 'integer': {
      const range = typeof schema.minimum === 'number' && typeof schema.maximum === 'number' ? ` (${schema.minimum}–${schema.maximum})` : '';
      return `integer${range}`;
    }
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'string':
      return 'string';
    case 'array': {
      const items = isJson(schema.items) ? typeOf(schema.items) : 'value';
      return items === 'string' ? 'list of strings' : `list of ${items}`;
    }
    case 'object':
      return isJson(schema.properties) ? 'mapping' : 'mapping of names to values';
    default: {
      const types = members(schema).map(typeOf);
      return types.length > 0 ? [...new Set(types)].join(' or ') : 'any';
    }
  }
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function defaultOf(schema: Json, required: boolean): string {
  if (schema.default !== undefined) {
    const value = schema.default;
    if (isJson(value) && Object.keys(value).length === 0) return '';
    return `\`${typeof value === 'string' ? value : JSON.stringify(value)}\``;
  }
  return required ? 'required' : '';
}

interface Table {
  readonly key: string;
  readonly schema: Json;
}

/** The properties of an object schema, and the nested mappings to describe after it. */
function table(prefix: string, schema: Json): { readonly lines: string[]; readonly nested: Table[] } {
  const properties = isJson(schema.properties) ? schema.properties : {};
  const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
  const lines = ['| Key | Type | Default | Description |', '| --- | --- | --- | --- |'];
  const nested: Table[] = [];
  for (const [name, child] of Object.entries(properties)) {
    if (!isJson(child)) continue;
    const key = `${prefix}${name}`;
    const description = typeof child.description === 'string' ? child.description : '';
    const more = child.type === 'object' && isJson(child.properties) ? ` See [\`${key}\`](#${anchor(key)}).` : '';
    if (more) nested.push({ key, schema: child });
    lines.push(`| \`${key}\` | ${cell(typeOf(child))} | ${cell(defaultOf(child, required.includes(name)))} | ${cell(description + more)} |`);
  }
  return { lines, nested };
}

function anchor(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9_ -]/g, '').replace(/ /g, '-');
}

function describeMapping(key: string, schema: Json, depth: number, prefix = `${key}.`): string[] {
  const out = [`${'#'.repeat(depth)} ${key}`, ''];
  if (typeof schema.description === 'string') out.push(schema.description, '');
  const { lines, nested } = table(prefix, schema);
  out.push(...lines, '');
  for (const child of nested) out.push(...describeMapping(child.key, child.schema, depth + 1));
  return out;
}

const INTRO = `# Configuration reference

<!-- Generated by \`npm run docs:config\` from src/config/schema.ts: do not edit by hand.
     CI fails when this file differs from what the schema produces. -->

Vigil reads one YAML file, given with \`--config <file>\` or \`VIGIL_CONFIG\`; without one it runs on
embedded defaults (127.0.0.1:8080, an embedded store under \`./.vigil-data\`, one \`resources\`
source named \`host\`). [\`vigil.example.yaml\`](../vigil.example.yaml) is an annotated example.

- **Durations** are written \`"500ms"\`, \`"10s"\`, \`"2m"\`, \`"1h"\`, \`"1h30m"\` (units \`ms\`, \`s\`, \`m\`,
  \`h\`, \`d\`), or as a plain number of milliseconds. **Sizes** are \`"100kb"\`, \`"1mb"\` (units \`b\`,
  \`kb\`, \`mb\`, \`gb\`) or a plain number of bytes.
- **Secrets** (type *secret*, and any option of a source) can be written inline or, better,
  \`{ env: NAME }\` (read from an environment variable) or \`{ file: path }\` (read from a file,
  relative to the configuration file; one trailing newline is dropped). A secret under \`auth:\`
  or \`store:\` that cannot be resolved refuses start-up; one inside a source only makes that
  source \`failed\`.
- **Environment overrides**: \`VIGIL_<SECTION>__<KEY>[__<KEY>...]\` sets the key of the same path,
  lower-cased, over the file (\`VIGIL_SERVER__PORT=9000\`, \`VIGIL_AUTH__SESSION__IDLE_TIMEOUT=15m\`).
  Values are read as YAML scalars. \`sources\` cannot be overridden this way.
- **Validation**: every problem is reported at start-up as one sentence naming the key and what
  is expected (\`server.port must be an integer from 1 to 65535\`), all at once. **Unknown keys are
  refused** (\`server.prot is not a known key (expected one of host, port, ...)\`), so a typo never
  passes silently. A source whose settings are wrong is reported \`failed\` with such a sentence,
  and everything else still starts.
- **Editors**: [\`vigil.schema.json\`](../vigil.schema.json) is the JSON Schema of this file. With
  the YAML extension (yaml-language-server), the first line
  \`# yaml-language-server: $schema=./vigil.schema.json\` gives completion and checking.
`;

/** The keys every source has, then each kind's options (from the kinds' own schemas). */
function sourcesPart(name: string): string[] {
  const common = z.toJSONSchema(
    z.object({ ...sourceCommonShape, kind: z.enum(SOURCE_KINDS).meta({ description: sourceCommonShape.kind.meta()?.description }) }),
    { io: 'input', unrepresentable: 'any' },
  ) as Json;
  const out = [
    'Each entry has these keys (Hasura\'s names and defaults) and its kind\'s options below:',
    '',
    ...table(`${name}[].`, common).lines,
    '',
    'Any option may be written `{ env: NAME }` or `{ file: path }`. An option that is not listed for',
    'the kind is refused: the source is reported `failed` with a sentence naming it',
    '(`source "db" (postgres): option "querry" is not a known option (expected one of url, ...)`),',
    'and everything else still starts. So is a bad value (`option "port" must be a whole number from 1 to 65535`).',
    '',
  ];
  for (const kind of SOURCE_KINDS) {
    const schema = z.toJSONSchema(KIND_OPTIONS[kind], { io: 'input', unrepresentable: 'any' }) as Json;
    out.push(`### kind: ${kind}`, '');
    if (typeof schema.description === 'string') out.push(schema.description, '');
    const { lines, nested } = table('', schema);
    out.push(...lines.map((line, index) => (index === 0 ? line.replace('| Key |', '| Option |') : line)), '');
    for (const child of nested) out.push(...describeMapping(child.key, child.schema, 4));
  }
  return out;
}

/** docs/configuration.md. */
export function configReferenceMarkdown(): string {
  const schema = configJsonSchema();
  const properties = isJson(schema.properties) ? schema.properties : {};
  const out: string[] = [INTRO];
  for (const [name, section] of Object.entries(properties)) {
    if (!isJson(section)) continue;
    if (section.type === 'array' && isJson(section.items)) {
      out.push(`## ${name}`, '');
      if (typeof section.description === 'string') out.push(section.description, '');
      out.push(...sourcesPart(name));
      continue;
    }
    if (section.type === 'object' && isJson(section.properties)) {
      out.push(...describeMapping(name, section, 2));
      continue;
    }
    out.push(`## ${name}`, '');
    if (typeof section.description === 'string') out.push(section.description, '');
  }
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}
