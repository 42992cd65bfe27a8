// The secret values inside a loaded configuration, so error messages and log lines can be
// scrubbed of them (redactSecrets) even when a client library echoes one back.
import { collectSecrets } from '../shared/redact.ts';
import type { VigilConfig } from './types.ts';

/** Every string in `config` stored under a secret-looking key, and every URL password. */
export function configSecrets(config: VigilConfig): readonly string[] {
  const sources = [...config.sources, ...config.invalidSources.map((s) => s.definition)];
  return collectSecrets([config.store, config.auth, ...sources.map((source) => source.options)]).filter(
    (secret) => secret.length >= 3,
  );
}
