import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMysqlCheck } from '../../src/checks/mysql.ts';
import { CheckConfigError } from '../../src/checks/types.ts';
import { checkSources } from '../support/check-sources.ts';
import { sourceDefinition } from '../support/source-states.ts';

const SHARED_MYSQL_URL = process.env.VIGIL_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

const mysqlSource = checkSources('db', 'mysql', createMysqlCheck);

describe('the mysql check (against MariaDB)', () => {
  const table = `vigil_mycheck_${randomBytes(5).toString('hex')}`;
  let admin: mysql.Connection;
  beforeAll(async () => {
    admin = await mysql.createConnection(SHARED_MYSQL_URL);
    await admin.query(`CREATE TABLE ${table} (id INT AUTO_INCREMENT PRIMARY KEY, label VARCHAR(10), price DECIMAL(6,2))`);
    await admin.query(`INSERT INTO ${table} (label, price) VALUES ('a', 1.50), ('b', 2.25), ('c', 3.00)`);
  });
  afterAll(async () => {
    await admin?.query(`DROP TABLE IF EXISTS ${table}`);
    await admin?.end();
  });

  it('runs the test query and reports its first row, its latency, the server version and the pool', async () => {
    const { run } = mysqlSource({ url: SHARED_MYSQL_URL, query: `SELECT count(*) AS count, sum(price) AS total FROM ${table}` });
    const [versionRows] = await admin.query<mysql.RowDataPacket[]>('SELECT VERSION() AS version');

    const first = await run();
    expect(first.status).toBe('ok');
    expect(first.details).toMatchObject({
      server_version: versionRows[0]?.['version'],
      first_row: { count: 3, total: 6.75 },
      pool: { size: 2, total: 1, checked_in: 1, checked_out: 0, waiting: 0 },
    });
    const queryLatency = first.details?.['query_latency_ms'] as number;
    expect(queryLatency).toBeGreaterThan(0);
    expect(queryLatency).toBeLessThanOrEqual(first.latencyMs);

    await admin.query(`INSERT INTO ${table} (label, price) VALUES ('d', 0.25)`);
    const second = await run();
    expect(second.details?.['first_row']).toEqual({ count: 4, total: 7 });
    // The pool is long-lived: the second probe reused the first one's connection.
    expect(second.details?.['pool']).toMatchObject({ total: 1, checked_in: 1 });
  });

  it('takes host, port, user and database as fields and runs SELECT 1 by default', async () => {
    const url = new URL(SHARED_MYSQL_URL);
    const { run } = mysqlSource({ host: url.hostname, port: Number(url.port), user: 'root', database: 'test', pool_max: 4 });
    const result = await run();
    expect(result.status).toBe('ok');
    expect(result.details).toMatchObject({ first_row: { '1': 1 }, pool: { size: 4, total: 1 } });
  });

  it('reports a test query that fails as an error naming the phase, without details', async () => {
    const { run } = mysqlSource({ url: SHARED_MYSQL_URL, query: `SELECT * FROM ${table}_missing` });
    const result = await run();
    expect(result.status).toBe('error');
    expect(result.error).toBe(`mysql: query failed: Table 'test.${table}_missing' doesn't exist`);
    expect(result.details).toBeUndefined();
  });

  it('replaces a connection the server killed, without a failed probe', async () => {
    const { run } = mysqlSource({ url: SHARED_MYSQL_URL, query: 'SELECT CONNECTION_ID() AS id' });
    const first = await run();
    const id = (first.details?.['first_row'] as { id: number }).id;
    await admin.query(`KILL ${Number(id)}`);

    const second = await run();
    expect(second.status).toBe('ok');
    expect((second.details?.['first_row'] as { id: number }).id).not.toBe(id);
  });

  it('closes its pool on close(), and close() twice is harmless', async () => {
    const { check, run } = mysqlSource({ url: SHARED_MYSQL_URL, query: 'SELECT CONNECTION_ID() AS id' });
    const result = await run();
    const id = (result.details?.['first_row'] as { id: number }).id;
    const alive = async (): Promise<number> => {
      const [rows] = await admin.query<mysql.RowDataPacket[]>('SELECT count(*) AS n FROM information_schema.PROCESSLIST WHERE ID = ?', [id]);
      return Number(rows[0]?.['n']);
    };
    expect(await alive()).toBe(1);
    await check.close();
    await check.close();
    await expect.poll(alive, { timeout: 5_000 }).toBe(0);
  });

  it.each([
    ['an unparseable URL', { url: '::nope' }, 'option "url" must be a valid URL'],
    ['a URL of another scheme', { url: 'postgres://127.0.0.1/test' }, 'option "url" must be a URL starting with mysql://'],
    ['neither url nor host', {}, 'option "url" (or "host") must be set'],
    ['a password that is not a string', { host: '127.0.0.1', password: 1234 }, 'option "password" must be a string'],
    ['a pool that is not whole', { host: '127.0.0.1', pool_max: 1.5 }, 'option "pool_max" must be a whole number from 1 to 100'],
  ])('refuses %s with a CheckConfigError naming the key', (_case, options, message) => {
    const definition = { ...sourceDefinition('db', 'mysql'), options };
    expect(() => createMysqlCheck(definition)).toThrow(CheckConfigError);
    expect(() => createMysqlCheck(definition)).toThrow(message);
  });
});
