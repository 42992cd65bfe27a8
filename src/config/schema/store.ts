// `store:` — where Vigil keeps its own data (users, API keys, sessions, migrations).
import type { z } from 'zod';
import type { SecretContext } from '../secret-ref.ts';
import type { StoreConfig } from '../types.ts';
import { duration, flag, secret, section, text } from './fields.ts';

const coordinationSection = section({
  enabled: flag().prefault(true).meta({
    description:
      'With `url`: replicas on this PostgreSQL share one probe schedule (each source leased by one replica) and one view (results pushed to every replica). False: every replica probes every source and answers from its own results.',
  }),
  lease_ttl: duration({ min: 300 }).prefault('15s').meta({
    description:
      "How long a replica's lease on a source lasts unless renewed (every third of it); a replica that dies has its sources probed by another within one interval + `lease_ttl`. At least 300ms.",
  }),
}).meta({ description: 'Replicas sharing this store (only with `url`).' });

export function storeSection(secrets: SecretContext) {
  return section({
    url: secret(secrets)
      .pipe(text().regex(/^postgres(ql)?:\/\//, { error: 'a postgres:// or postgresql:// URL' }))
      .optional()
      .meta({
        description:
          'PostgreSQL URL (`postgres://` or `postgresql://`) for Vigil\'s own data; a secret (`{ env: NAME }` or `{ file: path }` allowed). Absent: the embedded PostgreSQL (PGlite) in `data_dir`.',
      }),
    data_dir: text().prefault('./.vigil-data').meta({
      description: 'Directory of the embedded store (relative to the working directory); unused when `url` is set.',
    }),
    embedded_tier_up: flag().prefault(false).meta({
      description:
        "Embedded store only: let V8 recompile PGlite's hot WebAssembly with its optimising compiler, as it does by default. Heavy queries (aggregates over thousands of rows) up to about 1.5x faster, for about 50 MiB more resident memory, which the compiler's working memory leaves behind. False: its baseline compiler only.",
    }),
    coordination: coordinationSection.prefault({}),
  })
    .transform(
      (s): StoreConfig => ({
        url: s.url,
        dataDir: s.data_dir,
        embeddedTierUp: s.embedded_tier_up,
        coordination: { enabled: s.coordination.enabled, leaseTtlMs: s.coordination.lease_ttl },
      }),
    )
    .meta({ description: "Where Vigil keeps its own data (users, API keys, sessions, migrations)." });
}

export type StoreConfigInput = z.input<ReturnType<typeof storeSection>>;
