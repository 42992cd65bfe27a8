// The secret values inside a loaded configuration, so error messages and log lines can be
// scrubbed of them (redactSecrets) even when a client library echoes one back.
import type { VigilConfig } from './types.ts';

const SECRET_KEY = /pass|secret|token|key|credential|auth/i;

function collect(value: unknown, key: string, out: Set<string>): void {
  if (typeof value === 'string') {
    if (SECRET_KEY.test(key)) out.add(value);
    const password = urlPassword(value);
    if (password) out.add(password);
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) collect(item, key, out);
    return;
  }
  if (value && typeof value === 'object') {
    for (const [childKey, child] of Object.entries(value)) collect(child, childKey, out);
  }
}

function urlPassword(raw: string): string | undefined {
  if (!raw.includes('://')) return undefined;
  try {
    const url = new URL(raw);
    return url.password ? decodeURIComponent(url.password) : undefined;
  } catch {
    return undefined;
  }
}

/** Every string in `config` stored under a secret-looking key, and every URL password. */
export function configSecrets(config: VigilConfig): readonly string[] {
  const out = new Set<string>();
  collect(config.store, 'store', out);
  collect(config.auth, 'auth', out);
  for (const source of [...config.sources, ...config.invalidSources.map((s) => s.definition)]) {
    collect(source.options, 'options', out);
  }
  return [...out].filter((secret) => secret.length >= 3);
}
