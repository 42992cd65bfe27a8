// `families.system` / `families.admin`: parsed once at start-up, every refusal naming the key.
import { describe, expect, it } from 'vitest';
import type { SourceDefinition } from '../../src/checks/types.ts';
import { parseAdminFamily } from '../../src/routes/admin.ts';
import { FamilyConfigError, parseFamilySources } from '../../src/config/families/family-config.ts';
import { parseSystemFamily, SYSTEM_FAMILY_COMPONENTS } from '../../src/routes/system.ts';
import { sourceDefinition } from '../support/source-states.ts';
import { SYSTEM_FAMILY } from './system-fixtures.ts';

const sources: SourceDefinition[] = [
  sourceDefinition('mariadb', 'mysql'),
  sourceDefinition('search', 'elasticsearch'),
  sourceDefinition('broker', 'rabbitmq'),
  sourceDefinition('cache', 'redis'),
  sourceDefinition('api-container', 'http'),
  sourceDefinition('admin-ui', 'http'),
  sourceDefinition('app-db', 'postgres'),
];

/** Just what the parsers read of AppDeps: the families section and the engine's sources. */
function deps(families: Record<string, unknown>) {
  const states = sources.map((definition) => ({ definition, latest: undefined }));
  return {
    config: { families },
    engine: { sources: () => states },
  } as unknown as Parameters<typeof parseSystemFamily>[0];
}

describe('families.system', () => {
  it('maps each component to its source and leaves the others unconfigured', () => {
    const parsed = parseSystemFamily(
      deps({
        system: { ...SYSTEM_FAMILY, user_frontend: null },
      }),
    );
    expect(parsed).toEqual({
      MySQL: 'mariadb',
      Elasticsearch: 'search',
      RabbitMQ: 'broker',
      Redis: 'cache',
      SystemContainer: 'api-container',
      AdminFrontend: 'admin-ui',
      UserFrontend: undefined,
    });
  });

  it('maps nothing when the section is absent', () => {
    expect(Object.values(parseSystemFamily(deps({}))).every((v) => v === undefined)).toBe(true);
  });

  it.each<[string, unknown, string]>([
    ['an unknown source', { mysql: 'x' }, 'families.system.mysql: no source named "x"'],
    ['a source of the wrong kind', { redis: 'mariadb' }, 'families.system.redis: source "mariadb" is of kind "mysql"; expected a "redis" source'],
    ['an unknown component', { mongo: 'cache' }, 'families.system.mongo: unknown component; expected one of mysql, elasticsearch'],
    ['a value that is not a name', { redis: 6379 }, 'families.system.redis: must be the name of a source'],
    ['a section that is not a mapping', ['cache'], 'families.system: must be a mapping of component to source name'],
  ])('refuses %s, naming the key', (_label, section, message) => {
    expect(() => parseSystemFamily(deps({ system: section }))).toThrow(FamilyConfigError);
    expect(() => parseSystemFamily(deps({ system: section }))).toThrow(message);
  });
});

describe('families.admin', () => {
  it('accepts a postgres or mysql database and a redis cache', () => {
    expect(parseAdminFamily(deps({ admin: { database: 'app-db', cache: 'cache' } }))).toEqual({ database: 'app-db', cache: 'cache' });
    expect(parseAdminFamily(deps({ admin: { database: 'mariadb' } }))).toEqual({ database: 'mariadb', cache: undefined });
  });

  it.each<[unknown, string]>([
    [{ database: 'cache' }, 'families.admin.database: source "cache" is of kind "redis"; expected a "postgres" or "mysql" source'],
    [{ cache: 'nope' }, 'families.admin.cache: no source named "nope"'],
    [{ db: 'app-db' }, 'families.admin.db: unknown component; expected one of database, cache'],
  ])('refuses %j, naming the key', (section, message) => {
    expect(() => parseAdminFamily(deps({ admin: section }))).toThrow(message);
  });
});

describe('parseFamilySources', () => {
  it('knows every component key of the system family', () => {
    expect(Object.keys(SYSTEM_FAMILY_COMPONENTS)).toEqual([
      'mysql',
      'elasticsearch',
      'rabbitmq',
      'redis',
      'system_container',
      'admin_frontend',
      'user_frontend',
    ]);
    expect(parseFamilySources('x', undefined, { a: ['redis'] }, sources)).toEqual({ a: undefined });
  });
});
