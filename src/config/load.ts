// Loads Vigil's configuration: one YAML file (`--config <path>` or VIGIL_CONFIG), or the
// embedded defaults when neither is given; then VIGIL_<SECTION>__<KEY> overrides; then
// validation (build.ts). Pure apart from reading the files it is pointed at.
//
// The file is read with js-yaml's CORE schema (YAML 1.2 core: the same values as the `yaml`
// package's default), which builds plain values directly: 20,000 sources take ~0.2 s and
// ~15 MB, where `yaml`'s document model took ~1.7 s and ~190 MB of heap at start-up (issue 10).
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CORE_SCHEMA, load as parseYaml } from 'js-yaml';
import { buildConfig, ConfigError } from './build.ts';
import { applyEnvOverrides, envOverrides } from './env-overrides.ts';
import type { VigilConfig } from './types.ts';

export { ConfigError } from './build.ts';

export interface LoadConfigInput {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Base for relative paths; defaults to process.cwd(). */
  readonly cwd?: string;
  /**
   * Read only these top-level sections and leave the rest unread (defaults, no secrets
   * resolved): the CLI's store commands need `store` alone, not the JWT or Hasura secrets.
   */
  readonly sections?: readonly string[];
}

/**
 * What Vigil runs with when no file is given: listen on loopback, keep its own data in an
 * embedded store, and watch this host's resources so a fresh start has something real to show.
 */
export const EMBEDDED_DEFAULTS: Readonly<Record<string, unknown>> = {
  server: { host: '127.0.0.1', port: 8080 },
  store: { data_dir: './.vigil-data' },
  sources: [{ name: 'host', kind: 'resources', critical: false, tags: ['host'] }],
  // So /health/detailed shows the host's figures on a first start, not a null block.
  families: { health: { resources: 'host' } },
};

/** The file named by `--config <path>`, `--config=<path>` or VIGIL_CONFIG (argv wins). */
export function configPathFrom(argv: readonly string[], env: LoadConfigInput['env']): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--config' || arg === '-c') {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('-')) throw new ConfigError(['--config needs a file path'], 'command line');
      return next;
    }
    if (arg.startsWith('--config=')) return arg.slice('--config='.length);
  }
  return env.VIGIL_CONFIG || undefined;
}

function readYaml(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError([code === 'ENOENT' ? 'the file does not exist' : `the file cannot be read (${code ?? 'error'})`], path);
  }
  let value: unknown;
  try {
    value = parseYaml(text, { schema: CORE_SCHEMA, filename: path });
  } catch (error) {
    throw new ConfigError([`the file is not valid YAML: ${(error as Error).message.split('\n')[0]}`], path);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(['the file must hold a mapping (server:, store:, auth:, sources:, ...)'], path);
  }
  // A copy: the parser's longer strings are slices of the file's text, so every kept option
  // value (a URL...) kept the whole text alive (2.8 MB at 20,000 sources) for the process's life.
  return structuredClone(value) as Record<string, unknown>;
}

export function loadConfig(input: LoadConfigInput): VigilConfig {
  const cwd = input.cwd ?? process.cwd();
  const given = configPathFrom(input.argv, input.env);
  const path = given === undefined ? undefined : resolve(cwd, given);
  const fileRaw = path === undefined ? structuredClone(EMBEDDED_DEFAULTS) as Record<string, unknown> : readYaml(path);
  const where = path ?? 'embedded defaults';
  let applied: ReturnType<typeof applyEnvOverrides>;
  try {
    applied = applyEnvOverrides(fileRaw, envOverrides(input.env));
  } catch (error) {
    throw new ConfigError([(error as Error).message], where);
  }
  const raw = input.sections
    ? Object.fromEntries(Object.entries(applied.raw).filter(([key]) => input.sections?.includes(key)))
    : applied.raw;
  return buildConfig({
    raw,
    origins: applied.origins,
    secrets: { env: input.env, baseDir: path === undefined ? cwd : dirname(path) },
    where,
  });
}
