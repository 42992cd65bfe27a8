// `store:` — where Vigil keeps its own data (users, API keys, sessions, migrations).
import type { z } from 'zod';
import type { SecretContext } from '../secret-ref.ts';
import type { StoreConfig } from '../types.ts';
import { secret, section, text } from './fields.ts';

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
  })
    .transform((s): StoreConfig => ({ url: s.url, dataDir: s.data_dir }))
    .meta({ description: "Where Vigil keeps its own data (users, API keys, sessions, migrations)." });
}

export type StoreConfigInput = z.input<ReturnType<typeof storeSection>>;
