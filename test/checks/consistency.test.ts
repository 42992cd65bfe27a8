import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createConsistencyCheck, type ConsistencyCheckReport, type ConsistencyDetails } from '../../src/checks/consistency.ts';
import { runCheck } from '../../src/checks/run-check.ts';
import { CheckConfigError } from '../../src/checks/types.ts';
import { createPrivateDatabase, type PrivateDatabase } from '../support/pg-database.ts';
import { CONSISTENCY_SCHEMA, consistencySource, fingerprint, insertFiles, insertJobs } from './consistency-fixtures.ts';

function byName(details: ConsistencyDetails): Record<string, ConsistencyCheckReport> {
  return Object.fromEntries(details.checks.map((c) => [c.check, c]));
}

async function scan(options: Record<string, unknown>, timeoutMs = 5_000) {
  const check = createConsistencyCheck(consistencySource('app-consistency', options, { timeoutMs }));
  try {
    return await check.run(new AbortController().signal);
  } finally {
    await check.close();
  }
}

describe('consistency check configuration', () => {
  it.each([
    ["no url and no host", {}, /option "url" \(or "host"\) must be set/],
    ['a url of another scheme', { url: 'mysql://root@127.0.0.1/test' }, /option "url" must be a URL starting with postgres:/],
    ['checks that is not a list', { url: 'postgres://x@127.0.0.1/db', checks: 'SELECT 1' }, /option "checks" must be a list/],
    ['a check without sql', { url: 'postgres://x@127.0.0.1/db', checks: [{ check: 'x' }] }, /option "checks\[0\]\.sql"/],
    ['a check with a bad severity', { url: 'postgres://x@127.0.0.1/db', checks: [{ check: 'x', severity: 'fatal', sql: 'SELECT 1' }] }, /"checks\[0\]\.severity" must be "warn" or "info"/],
    ['a check with a bad name', { url: 'postgres://x@127.0.0.1/db', checks: [{ check: 'a b', sql: 'SELECT 1' }] }, /"checks\[0\]\.check"/],
    ['a check named like a builtin one', { url: 'postgres://x@127.0.0.1/db', checks: [{ check: 'stale_processing', sql: 'SELECT 1' }] }, /duplicate names \("stale_processing"/],
    ['nothing to check', { url: 'postgres://x@127.0.0.1/db', builtin: false }, /option "checks" must be non-empty/],
    ['a sample limit of 0', { url: 'postgres://x@127.0.0.1/db', sample_limit: 0 }, /option "sample_limit" must be a whole number/],
    ['a table name with a quote', { url: 'postgres://x@127.0.0.1/db', files_table: 'files"; DROP' }, /option "files_table" must be a table name/],
  ])('refuses %s, naming the key', (_title, options, message) => {
    expect(() => createConsistencyCheck(consistencySource('c', options))).toThrow(CheckConfigError);
    expect(() => createConsistencyCheck(consistencySource('c', options))).toThrow(message);
  });

  it('accepts host, port, user and database instead of a url', () => {
    const check = createConsistencyCheck(consistencySource('c', { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' }));
    expect(check.kind).toBe('consistency');
  });
});

describe('consistency check against PostgreSQL', () => {
  let db: PrivateDatabase;

  beforeAll(async () => {
    db = await createPrivateDatabase('vigil_h');
    await db.query(CONSISTENCY_SCHEMA);
  });
  afterAll(async () => {
    await db?.drop();
  });
  beforeEach(async () => {
    await db.query('TRUNCATE files, monitor_jobs');
  });

  it('is ok and lists every documented check with a count of 0 on clean data', async () => {
    await insertJobs(db, [[1, 'running']]);
    await insertFiles(db, [
      { uuid: 'u1', name: 'a.mp4', status: 'processing', jobId: 1 },
      { uuid: 'u2', name: 'b.mp4', status: 'done' },
    ]);
    const outcome = await scan({ url: db.url });
    expect(outcome.status).toBe('ok');
    const details = outcome.details as unknown as ConsistencyDetails;
    expect(details.checks.map((c) => [c.check, c.severity, c.count])).toEqual([
      ['stale_processing', 'warn', 0],
      ['orphaned_processing', 'warn', 0],
      ['processing_job_done', 'warn', 0],
      ['unregistered_with_uuid', 'info', 0],
    ]);
    expect(details.database).toBe(`postgres://127.0.0.1:5432/${db.name}`);
  });

  it('finds each documented anomaly and reports degraded', async () => {
    await insertJobs(db, [
      [1, 'running'],
      [2, 'completed'],
      [3, 'failed'],
    ]);
    await insertFiles(db, [
      { uuid: 'ok-1', name: 'fine.mp4', status: 'processing', jobId: 1 },
      { uuid: 'stale-1', name: 'stale1.mp4', status: 'processing', jobId: null },
      { uuid: 'stale-2', name: 'stale2.mp4', status: 'processing', jobId: null },
      { uuid: 'orphan-missing', name: 'orphan1.mp4', status: 'processing', jobId: 99 },
      { uuid: 'orphan-failed', name: 'orphan2.mp4', status: 'processing', jobId: 3 },
      { uuid: 'done-1', name: 'done.mp4', status: 'processing', jobId: 2 },
      { uuid: 'unreg-1', name: 'old.mp4', status: 'unregistered' },
    ]);
    const outcome = await scan({ url: db.url });
    expect(outcome.status).toBe('degraded');
    expect(outcome.message).toContain('stale_processing (2)');
    const checks = byName(outcome.details as unknown as ConsistencyDetails);
    expect(checks.stale_processing?.count).toBe(2);
    expect(checks.stale_processing?.files).toContainEqual({ file_name: 'stale1.mp4', file_uuid: 'stale-1', status: 'processing', detail: 'job_id is null' });
    expect(checks.orphaned_processing?.files.map((f) => [f.file_uuid, f.detail]).sort()).toEqual([
      ['orphan-failed', 'monitor_job 3 is failed'],
      ['orphan-missing', 'no monitor_job 99'],
    ]);
    expect(checks.processing_job_done?.files).toEqual([
      { file_name: 'done.mp4', file_uuid: 'done-1', status: 'processing', detail: 'monitor_job 2 is completed' },
    ]);
    expect(checks.unregistered_with_uuid).toMatchObject({ severity: 'info', count: 1 });
  });

  it('counts every anomaly but samples at most sample_limit files', async () => {
    await insertFiles(
      db,
      Array.from({ length: 7 }, (_, i) => ({ uuid: `s${i}`, name: `s${i}.mp4`, status: 'processing', jobId: null })),
    );
    const outcome = await scan({ url: db.url, sample_limit: 3 });
    const stale = byName(outcome.details as unknown as ConsistencyDetails).stale_processing;
    expect(stale?.count).toBe(7);
    expect(stale?.files).toHaveLength(3);
  });

  it('runs checks declared in the configuration, alone when builtin is false', async () => {
    await insertFiles(db, [
      { uuid: 'n1', name: 'nameless', status: 'done' },
      { uuid: 'n2', name: 'x.mp4', status: 'done' },
    ]);
    const outcome = await scan({
      url: db.url,
      builtin: false,
      checks: [
        { check: 'no_extension', severity: 'info', sql: "SELECT file_name, file_uuid, status, 'no extension' AS detail FROM files WHERE file_name NOT LIKE '%.%';" },
      ],
    });
    expect(outcome.status).toBe('degraded');
    expect((outcome.details as unknown as ConsistencyDetails).checks).toEqual([
      { check: 'no_extension', severity: 'info', count: 1, files: [{ file_name: 'nameless', file_uuid: 'n1', status: 'done', detail: 'no extension' }] },
    ]);
  });

  it('modifies nothing: row counts, rows and their xmin are identical after a scan', async () => {
    await insertJobs(db, [[2, 'completed']]);
    await insertFiles(db, [
      { uuid: 'stale', name: 's.mp4', status: 'processing', jobId: null },
      { uuid: 'done', name: 'd.mp4', status: 'processing', jobId: 2 },
    ]);
    const before = await fingerprint(db);
    for (let i = 0; i < 3; i += 1) expect((await scan({ url: db.url })).status).toBe('degraded');
    // xmin of every row is in the fingerprint: a write of any kind would change it. (The cluster's
    // transaction counter is not a usable witness: other tests write to the same server meanwhile.)
    expect(await fingerprint(db)).toEqual(before);
  });

  it.each([
    [
      'a function that deletes',
      "SELECT file_name, file_uuid, status, 'x' AS detail FROM files WHERE vigil_test_evil() = 1",
      /read-only transaction/,
    ],
    [
      'switching the transaction to read-write',
      "SELECT file_name, file_uuid, status, set_config('transaction_read_only', 'off', true) AS detail FROM files",
      /read-write mode must be set before any query|read-only/,
    ],
    ['a second statement after the SELECT', "SELECT file_name, file_uuid, status, 'x' AS detail FROM files; DELETE FROM files", /check "sneaky" failed/],
    ['a data-modifying WITH', "WITH d AS (DELETE FROM files RETURNING *) SELECT file_name, file_uuid, status, 'x' AS detail FROM d", /check "sneaky" failed/],
  ])('refuses a declared check that tries to write (%s) and the data stays untouched', async (_title, sql, message) => {
    await db.query(`CREATE OR REPLACE FUNCTION vigil_test_evil() RETURNS int LANGUAGE sql AS $$ DELETE FROM files; SELECT 1 $$`);
    await insertFiles(db, [{ uuid: 'keep', name: 'keep.mp4', status: 'done' }]);
    const before = await fingerprint(db);
    const check = createConsistencyCheck(consistencySource('app-consistency', { url: db.url, checks: [{ check: 'sneaky', sql }] }));
    await expect(check.run(new AbortController().signal)).rejects.toThrow(message);
    await check.close();
    expect(await fingerprint(db)).toEqual(before);
  });

  it('stops a slow check with the statement timeout', async () => {
    const check = createConsistencyCheck(
      consistencySource(
        'slow',
        { url: db.url, builtin: false, checks: [{ check: 'slow', sql: "SELECT 'f' AS file_name, 'u' AS file_uuid, 's' AS status, 'd' AS detail FROM pg_sleep(10)" }] },
        { timeoutMs: 700 },
      ),
    );
    const started = performance.now();
    await expect(check.run(new AbortController().signal)).rejects.toThrow(/check "slow" failed: .*statement timeout/);
    expect(performance.now() - started).toBeLessThan(5_000);
    await check.close();
  });

  it('reports an unreachable database through runCheck without its password', async () => {
    const definition = consistencySource('app-consistency', { url: 'postgres://postgres:Sup3rSecretPw@127.0.0.1:1/test' }, { timeoutMs: 2_000 });
    const result = await runCheck(definition, createConsistencyCheck(definition));
    expect(result.status).toBe('error');
    expect(result.error).toMatch(/^consistency: connect to postgres:\/\/127\.0\.0\.1:1\/test failed/);
    expect(JSON.stringify(result)).not.toContain('Sup3rSecretPw');
  });

  it('gives runCheck a degraded result carrying the report', async () => {
    await insertFiles(db, [{ uuid: 'stale', name: 's.mp4', status: 'processing' }]);
    const definition = consistencySource('app-consistency', { url: db.url });
    const check = createConsistencyCheck(definition);
    const result = await runCheck(definition, check);
    await check.close();
    expect(result.status).toBe('degraded');
    expect(byName(result.details as unknown as ConsistencyDetails).stale_processing?.count).toBe(1);
  });
});
