// vigil.schema.json and docs/configuration.md come from the configuration schema: the
// committed files must be what `npm run docs:config` writes, the editor schema must accept the
// shipped files and refuse a misspelled key, as the loader does.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configJsonSchemaText, configReferenceMarkdown } from '../../scripts/config-reference.ts';
import { createCheck } from '../../src/checks/registry.ts';
import { CheckConfigError } from '../../src/checks/types.ts';
import { loadConfig } from '../../src/config/load.ts';

const file = (relative: string) => fileURLToPath(new URL(`../../${relative}`, import.meta.url));
const read = (relative: string) => readFileSync(file(relative), 'utf8');

const validate = new Ajv2020({ allErrors: true }).compile(JSON.parse(read('vigil.schema.json')) as object);

function problems(document: unknown): string[] {
  return validate(document) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
}

describe('the generated configuration files', () => {
  it('vigil.schema.json is what the schema produces (run `npm run docs:config`)', () => {
    expect(read('vigil.schema.json')).toBe(configJsonSchemaText());
  });

  it('docs/configuration.md is what the schema produces (run `npm run docs:config`)', () => {
    expect(read('docs/configuration.md')).toBe(configReferenceMarkdown());
  });
});

describe('vigil.schema.json', () => {
  it.each(['vigil.example.yaml', 'config/local.yaml'])('accepts %s, which points editors at it', (relative) => {
    const text = read(relative);
    expect(text.split('\n')[0]).toMatch(/^# yaml-language-server: \$schema=(\.\.\/|\.\/)vigil\.schema\.json$/);
    expect(problems(parse(text))).toEqual([]);
  });

  it.each([
    ['a misspelled top-level key', (doc: Record<string, unknown>) => ({ ...doc, sever: { port: 8080 } }), 'sever'],
    ['a misspelled server key', (doc: Record<string, unknown>) => ({ ...doc, server: { ...(doc.server as object), prot: 8080 } }), 'prot'],
    [
      'a misspelled session key',
      (doc: Record<string, unknown>) => ({ ...doc, auth: { ...(doc.auth as object), session: { ttl: '1h', idle_timout: '5m' } } }),
      'idle_timout',
    ],
  ])('refuses %s, naming it', (_title, change, key) => {
    const document = change(parse(read('vigil.example.yaml')) as Record<string, unknown>);
    const found = problems(document);
    expect(found).not.toEqual([]);
    expect(found.join('\n')).toContain(`"additionalProperty":"${key}"`);
  });

  it('refuses a value of the wrong type and a duration it cannot read', () => {
    expect(problems({ server: { port: 'eighty' } })).not.toEqual([]);
    expect(problems({ auth: { session: { ttl: 'soon' } } })).not.toEqual([]);
    expect(problems({ auth: { session: { ttl: '1h30m' } }, server: { body_limit: '2MB' } })).toEqual([]);
  });
});

describe("a source kind's options", () => {
  const demoEnv = Object.fromEntries(
    ['ES_URL', 'QDRANT_URL', 'SFTPGO_URL', 'CONTAINER_URL', 'ADMIN_UI_URL', 'USER_UI_URL'].map((name) => [`VIGIL_DEMO_${name}`, 'http://127.0.0.1:9']),
  );
  const dirs = { VIGIL_DEMO_SCRIPTS_DIR: '/nonexistent/s', VIGIL_DEMO_MODELS_DIR: '/nonexistent/m', VIGIL_DEMO_IDENTITIES_DIR: '/nonexistent/i' };

  it.each([
    ['vigil.example.yaml', { PG_PASSWORD: 'p', VIGIL_JWT_SECRET: 'j'.repeat(32), HASURA_ADMIN_SECRET: 'h' }],
    ['config/local.yaml', { ...demoEnv, ...dirs, VIGIL_DEMO_HASURA_SECRET: 'h' }],
  ])('are all accepted by the checks of %s', async (relative, env) => {
    const config = loadConfig({ argv: ['--config', file(relative)], env });
    for (const source of config.sources) {
      const check = createCheck(source);
      await check.close();
    }
    expect(config.sources.length).toBeGreaterThan(2);
  });

  it('refuses a misspelled option in the editor schema and at check creation, naming it', () => {
    const document = { sources: [{ name: 'db', kind: 'postgres', url: 'postgres://127.0.0.1/test', querry: 'SELECT 2' }] };
    expect(problems(document).join('\n')).toContain('"additionalProperty":"querry"');
    const [source] = loadConfig({ argv: ['--config', file('vigil.example.yaml')], env: { PG_PASSWORD: 'p', VIGIL_JWT_SECRET: 'j'.repeat(32), HASURA_ADMIN_SECRET: 'h' } }).sources.filter((s) => s.kind === 'postgres');
    const misspelled = { ...source!, options: { ...source!.options, querry: 'SELECT 2' } };
    expect(() => createCheck(misspelled)).toThrow(CheckConfigError);
    expect(() => createCheck(misspelled)).toThrow(/^source "db" \(postgres\): option "querry" is not a known option \(expected one of url, host, port, user, password, database, query, pool_max, max_connection_age, migrations\)$/);
  });

  it('accepts { env: NAME } for a string option in the editor schema, as the loader does', () => {
    expect(problems({ sources: [{ name: 'es', kind: 'elasticsearch', url: { env: 'ES_URL' } }] })).toEqual([]);
    expect(problems({ sources: [{ name: 'es', kind: 'elasticsearch', url: 'http://127.0.0.1:9200', ca_fil: 'x' }] })).not.toEqual([]);
  });
});
