// 001's `schema` block is the WATCHED application's schema: a postgres source names the
// application's migrations table (and column) and its required list (a directory of migration
// files and/or an explicit list), and families.health.schema picks that source. Against the
// real local PostgreSQL, with a migrations table of this file's own (random name, dropped after).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getHealthDetailed } from '../../generated/sdk.gen.ts';
import { createMysqlCheck } from '../../src/checks/mysql.ts';
import { createPostgresCheck } from '../../src/checks/postgres.ts';
import { CheckConfigError } from '../../src/checks/types.ts';
import { createApiKey } from '../../src/identity/index.ts';
import { parseHealthConfig } from '../../src/config/families/health.ts';
import { startTestApp, testSource, type TestApp } from '../support/app.ts';
import { checkSources } from '../support/check-sources.ts';
import { SHARED_PG_URL } from '../support/pg-database.ts';

const HOUR = 3_600_000;
const suffix = randomBytes(5).toString('hex');
const TABLE = `app_schema_migrations_${suffix}`;

const postgresSource = checkSources('app-db', 'postgres', createPostgresCheck);
const mysqlSource = checkSources('app-db', 'mysql', createMysqlCheck);
const SHARED_MYSQL_URL = process.env.VIGIL_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

describe("the watched application's schema migrations", () => {
  let admin: pg.Client;
  let dir: string;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: SHARED_PG_URL });
    await admin.connect();
    await admin.query(`CREATE TABLE ${TABLE} (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    await admin.query(`INSERT INTO ${TABLE} (name, applied_at) VALUES ('001_init.sql', '2026-05-01T10:00:00Z'), ('002_users', '2026-05-02T10:00:00Z')`);
    dir = mkdtempSync(join(tmpdir(), 'vigil-app-migrations-'));
    for (const name of ['001_init.sql', '002_users.sql', '003_index.sql']) writeFileSync(join(dir, name), '-- migration\n');
    writeFileSync(join(dir, 'README.md'), 'not a migration\n');
  });
  afterAll(async () => {
    await admin?.query(`DROP TABLE IF EXISTS ${TABLE}`).catch(() => undefined);
    await admin?.end();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reports the applied migrations and the required ones not applied, as the source details', async () => {
    const result = await postgresSource({
      url: SHARED_PG_URL,
      migrations: { table: `public.${TABLE}`, column: 'name', applied_at_column: 'applied_at', directory: dir, required: ['000_extensions.sql'] },
    }).run();
    expect(result.status).toBe('ok');
    expect(result.details?.['migrations']).toEqual({
      table_exists: true,
      applied: [
        { filename: '001_init.sql', applied_at: '2026-05-01T10:00:00.000Z' },
        // Recorded without its extension: still 002_users.sql.
        { filename: '002_users', applied_at: '2026-05-02T10:00:00.000Z' },
      ],
      required: ['000_extensions.sql', '003_index.sql'],
    });
  });

  it('reports a migrations table that does not exist, everything required pending, and the database still ok', async () => {
    const result = await postgresSource({ url: SHARED_PG_URL, migrations: { table: `${TABLE}_absent`, directory: dir } }).run();
    expect(result.status).toBe('ok');
    expect(result.details?.['migrations']).toEqual({ table_exists: false, applied: [], required: ['001_init.sql', '002_users.sql', '003_index.sql'] });
  });

  it.each([
    [{ column: 'name' }, 'option "migrations.table" must be set'],
    [{ table: 'a.b.c' }, 'option "migrations.table" must be a table name, optionally schema-qualified'],
    [{ table: TABLE, required: 'x.sql' }, 'option "migrations.required" must be a list of strings'],
  ])('refuses migrations %j, naming the key', (migrations, message) => {
    const definition = testSource({ name: 'app-db', kind: 'postgres', url: SHARED_PG_URL, migrations });
    expect(() => createPostgresCheck(definition)).toThrow(CheckConfigError);
    expect(() => createPostgresCheck(definition)).toThrow(message);
  });

  it('refuses families.health.schema naming a source without migrations, naming the key', () => {
    const sources = [testSource({ name: 'app-db', kind: 'postgres', url: SHARED_PG_URL }), testSource({ name: 'cache', kind: 'redis' })];
    expect(() => parseHealthConfig({ schema: 'app-db' }, sources)).toThrow('families.health.schema: source "app-db" has no "migrations" option');
    expect(() => parseHealthConfig({ schema: 'cache' }, sources)).toThrow('families.health.schema');
  });

  describe('GET /health/detailed', () => {
    let app: TestApp;
    let key: string;

    beforeAll(async () => {
      app = await startTestApp({
        sources: [
          {
            name: 'app-db',
            kind: 'postgres',
            url: SHARED_PG_URL,
            intervalMs: HOUR,
            migrations: { table: TABLE, column: 'name', applied_at_column: 'applied_at', directory: dir },
          },
        ],
        config: { families: { health: { services: ['app-db'], schema: 'app-db' } } },
      });
      key = (await createApiKey(app.deps.store, { name: 'schema-reader', role: 'viewer', scopes: ['health:read'] })).key;
    });
    afterAll(() => app?.close());

    it("reports the application's schema, and follows a migration being applied", async () => {
      let { data } = await getHealthDetailed({ client: app.client, headers: { 'X-API-Key': key } });
      expect(data?.schema).toEqual({
        table_exists: true,
        applied: [
          { filename: '001_init.sql', applied_at: '2026-05-01T10:00:00.000Z' },
          { filename: '002_users', applied_at: '2026-05-02T10:00:00.000Z' },
        ],
        required: ['003_index.sql'],
        ok: false,
      });
      // Vigil's own migrations are not in it.
      expect(JSON.stringify(data?.schema)).not.toMatch(/vigil|0001_/i);

      await admin.query(`INSERT INTO ${TABLE} (name, applied_at) VALUES ('003_index.sql', '2026-05-03T10:00:00Z')`);
      await app.deps.engine.runNow('app-db');
      ({ data } = await getHealthDetailed({ client: app.client, headers: { 'X-API-Key': key } }));
      expect(data?.schema).toMatchObject({ table_exists: true, required: [], ok: true });
      expect(data?.schema.applied).toHaveLength(3);
    });
  });
});

describe("the watched application's schema migrations on MySQL/MariaDB", () => {
  let admin: mysql.Connection;
  let dir: string;

  beforeAll(async () => {
    admin = await mysql.createConnection(SHARED_MYSQL_URL);
    await admin.query(`CREATE TABLE ${TABLE} (version varchar(255) PRIMARY KEY, applied_at datetime NOT NULL)`);
    await admin.query(`INSERT INTO ${TABLE} (version, applied_at) VALUES ('001_init.sql', '2026-05-01 10:00:00')`);
    dir = mkdtempSync(join(tmpdir(), 'vigil-app-migrations-'));
    for (const name of ['001_init.sql', '002_users.sql']) writeFileSync(join(dir, name), '-- migration\n');
  });
  afterAll(async () => {
    await admin?.query(`DROP TABLE IF EXISTS ${TABLE}`).catch(() => undefined);
    await admin?.end();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reports the applied migrations and the required ones not applied, with MySQL quoting', async () => {
    const result = await mysqlSource({
      url: SHARED_MYSQL_URL,
      migrations: { table: `test.${TABLE}`, column: 'version', applied_at_column: 'applied_at', directory: dir },
    }).run();
    expect(result.status).toBe('ok');
    expect(result.details?.['migrations']).toMatchObject({
      table_exists: true,
      applied: [{ filename: '001_init.sql', applied_at: expect.stringMatching(/^2026-05-01T/) }],
      required: ['002_users.sql'],
    });
  });

  it('reports a migrations table that does not exist, and the database still ok', async () => {
    const result = await mysqlSource({ url: SHARED_MYSQL_URL, migrations: { table: `${TABLE}_absent`, directory: dir } }).run();
    expect(result.status).toBe('ok');
    expect(result.details?.['migrations']).toEqual({ table_exists: false, applied: [], required: ['001_init.sql', '002_users.sql'] });
  });

  it('may stand for families.health.schema', () => {
    const sources = [testSource({ name: 'app-db', kind: 'mysql', url: SHARED_MYSQL_URL, migrations: { table: TABLE } })];
    expect(parseHealthConfig({ schema: 'app-db' }, sources).schema).toBe('app-db');
  });
});
