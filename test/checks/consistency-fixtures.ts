// The schema the consistency source assumes (see openapi/paths/health.yaml) and helpers to
// seed it and to fingerprint it, shared by the check's tests and the health family's tests.
import type { SourceDefinition } from '../../src/checks/types.ts';
import type { PrivateDatabase } from '../support/pg-database.ts';
import { sourceDefinition } from '../support/source-states.ts';

export const CONSISTENCY_SCHEMA = `
  CREATE TABLE monitor_jobs (
    id bigint PRIMARY KEY,
    status text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
  );
  CREATE TABLE files (
    file_uuid text PRIMARY KEY,
    file_name text NOT NULL,
    status text NOT NULL,
    job_id bigint
  );
`;

export interface FileRow {
  readonly uuid: string;
  readonly name: string;
  readonly status: string;
  readonly jobId?: number | null;
}

export async function insertJobs(db: PrivateDatabase, jobs: readonly (readonly [number, string])[]): Promise<void> {
  for (const [id, status] of jobs) await db.query('INSERT INTO monitor_jobs (id, status) VALUES ($1, $2)', [id, status]);
}

export async function insertFiles(db: PrivateDatabase, files: readonly FileRow[]): Promise<void> {
  for (const file of files) {
    await db.query('INSERT INTO files (file_uuid, file_name, status, job_id) VALUES ($1, $2, $3, $4)', [
      file.uuid,
      file.name,
      file.status,
      file.jobId ?? null,
    ]);
  }
}

/**
 * Row counts, plus a checksum over every row and its xmin (the id of the transaction that
 * last wrote it): any insert, update (even to the same values) or delete changes it.
 */
export async function fingerprint(db: PrivateDatabase): Promise<Record<string, unknown>> {
  const [row] = await db.query(`
    SELECT (SELECT count(*) FROM files)::int AS files,
           (SELECT count(*) FROM monitor_jobs)::int AS jobs,
           (SELECT md5(coalesce(string_agg(f::text || '@' || f.xmin::text, ',' ORDER BY file_uuid), '')) FROM files f) AS files_sum,
           (SELECT md5(coalesce(string_agg(j::text || '@' || j.xmin::text, ',' ORDER BY id), '')) FROM monitor_jobs j) AS jobs_sum`);
  return row ?? {};
}

export function consistencySource(
  name: string,
  options: Record<string, unknown>,
  overrides: Partial<SourceDefinition> = {},
): SourceDefinition {
  return { ...sourceDefinition(name, 'consistency', false), timeoutMs: 5_000, options, ...overrides };
}
