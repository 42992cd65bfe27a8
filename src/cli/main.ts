// `vigil` — the one command: `vigil serve` runs the server, `vigil check` validates a
// configuration, and users/keys/migrate operate Vigil's identity data from a shell:
//   vigil users add ada --role admin        (from a checkout: npm run vigil -- users add ...)
// It reads the same configuration as the server (`--config <file>` or VIGIL_CONFIG, then
// VIGIL_* overrides), so it opens the same store; each command reads only the sections it
// needs (users/keys/migrate: `store`), so secrets it never uses need not be set. Output is plain
// text (`--json` on lists); secrets (a generated password, a new key) are printed once, on
// stdout, and nowhere else.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { pino, type Logger } from 'pino';
import { safeErrorMessage } from '../shared/redact.ts';
import { ConfigError, loadConfig } from '../config/load.ts';
import { configSecrets } from '../config/secrets.ts';
import type { VigilConfig } from '../config/types.ts';
import {
  createApiKey,
  createUser,
  generatePassword,
  IdentityInputError,
  isRole,
  listApiKeys,
  listUsers,
  revokeApiKey,
  setUserDisabled,
  SETUP_TOKEN_FILE,
  SETUP_TOKEN_HEADER,
  type ApiKeyRecord,
  type UserRecord,
} from '../identity/index.ts';
import { ROLES, type Role } from '../identity/types.ts';
import { DATA_DIR_BUSY } from '../store/dir-lock.ts';
import { createStore, migrate, StoreError } from '../store/index.ts';
import type { Store } from '../store/types.ts';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export const USAGE = `Usage: vigil [--config <file>] <command> [options]

Commands:
  serve                  Start the server (SIGTERM/SIGINT stop it gracefully).
  check                  Validate the configuration without starting: every problem is
                         printed naming its key; exit 0 valid, 2 invalid.
  users add <username> --role <role> [--password-stdin]
                         Create a user. Without --password-stdin a password is generated
                         and printed once. Roles: ${ROLES.join(', ')}.
  users list [--json]    List users (never their password hashes).
  users disable <username> | users enable <username>
  keys create --name <name> [--role <role>] [--scope <scope> ...] [--admin]
                         Create an API key and print it once (only its hash is stored).
                         --admin makes an admin key (role admin, scope system:admin).
  keys list [--json]     List keys by id and prefix (never the key itself).
  keys revoke <id>       Revoke a key by id or by its vgl_<id> prefix.
  migrate [--status]     Apply pending store migrations, or show their state.

Options:
  -c, --config <file>    Configuration file (default: $VIGIL_CONFIG, else embedded defaults).
  -h, --help             Show this help.

Exit codes: 0 success, 1 failure (refused input, not found, store unavailable), 2 usage error
or (check) an invalid configuration.
With the embedded store, users and keys need the Vigil server stopped (it holds the data
directory); while it runs, create the first admin with the setup token (POST /v1/auth/setup).`;

export interface CliIo {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Everything on standard input (for --password-stdin). */
  readonly readStdin: () => Promise<string>;
  readonly cwd?: string;
}

class UsageError extends Error {
  override readonly name = 'UsageError';
}

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  help: { type: 'boolean', short: 'h' },
  role: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  name: { type: 'string' },
  scope: { type: 'string', multiple: true },
  admin: { type: 'boolean' },
  json: { type: 'boolean' },
  status: { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function parse(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function roleOption(value: string | undefined, required: boolean): Role | undefined {
  if (value === undefined) {
    if (required) throw new UsageError('--role is required');
    return undefined;
  }
  if (!isRole(value)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
  return value;
}

const iso = (date: Date | null) => (date ? date.toISOString() : '-');

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()).join('\n');
}

function userRows(users: readonly UserRecord[]): string {
  return table([
    ['USERNAME', 'ROLE', 'CREATED', 'DISABLED'],
    ...users.map((u) => [u.username, u.role, iso(u.createdAt), u.disabled ? 'yes' : 'no']),
  ]);
}

function keyRows(keys: readonly ApiKeyRecord[]): string {
  return table([
    ['ID', 'PREFIX', 'NAME', 'ROLE', 'SCOPES', 'CREATED', 'LAST USED', 'REVOKED'],
    ...keys.map((k) => [k.id, k.prefix, k.name, k.role, k.scopes.join(',') || '-', iso(k.createdAt), iso(k.lastUsedAt), iso(k.revokedAt)]),
  ]);
}

function expectArgs(positionals: readonly string[], count: number, usage: string): void {
  if (positionals.length !== count) throw new UsageError(`usage: vigil ${usage}`);
}

async function withStore<T>(config: VigilConfig, logger: Logger, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await createStore(config.store, logger);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

async function readPassword(io: CliIo): Promise<string> {
  // One trailing newline is the shell's (`echo pw |`), not part of the password.
  return (await io.readStdin()).replace(/\r?\n$/, '');
}

async function run(io: CliIo, positionals: readonly string[], values: Values, config: VigilConfig, logger: Logger): Promise<number> {
  const [group, action, ...rest] = positionals;
  const out = io.stdout;
  switch (`${group ?? ''} ${action ?? ''}`.trim()) {
    case 'users add': {
      expectArgs(rest, 1, 'users add <username> --role <role> [--password-stdin]');
      const role = roleOption(values.role, true) as Role;
      const generated = !values['password-stdin'];
      const password = generated ? generatePassword() : await readPassword(io);
      const user = await withStore(config, logger, (store) => createUser(store, { username: rest[0] as string, password, role }));
      out(`Created user ${user.username} (role ${user.role}).`);
      if (generated) out(`Password (shown once, store it now): ${password}`);
      return EXIT.ok;
    }
    case 'users list': {
      expectArgs(rest, 0, 'users list [--json]');
      const users = await withStore(config, logger, listUsers);
      out(values.json ? JSON.stringify(users, null, 2) : users.length === 0 ? 'No users.' : userRows(users));
      return EXIT.ok;
    }
    case 'users disable':
    case 'users enable': {
      expectArgs(rest, 1, `users ${action} <username>`);
      const disabled = action === 'disable';
      const found = await withStore(config, logger, (store) => setUserDisabled(store, rest[0] as string, disabled));
      if (!found) {
        io.stderr(`vigil: no user named "${rest[0]}"`);
        return EXIT.failed;
      }
      out(`User ${rest[0]} ${disabled ? 'disabled' : 'enabled'}.`);
      return EXIT.ok;
    }
    case 'keys create': {
      expectArgs(rest, 0, 'keys create --name <name> [--role <role>] [--scope <scope> ...] [--admin]');
      if (!values.name) throw new UsageError('--name is required');
      const created = await withStore(config, logger, (store) =>
        createApiKey(store, { name: values.name as string, role: roleOption(values.role, false), scopes: values.scope ?? [], admin: values.admin ?? false }),
      );
      const { record } = created;
      out(`Created ${values.admin ? 'admin ' : ''}key ${record.id} "${record.name}" (role ${record.role}, scopes ${record.scopes.join(',') || '-'}).`);
      out(`Key (shown once, store it now): ${created.key}`);
      return EXIT.ok;
    }
    case 'keys list': {
      expectArgs(rest, 0, 'keys list [--json]');
      const keys = await withStore(config, logger, listApiKeys);
      out(values.json ? JSON.stringify(keys, null, 2) : keys.length === 0 ? 'No keys.' : keyRows(keys));
      return EXIT.ok;
    }
    case 'keys revoke': {
      expectArgs(rest, 1, 'keys revoke <id>');
      const revoked = await withStore(config, logger, (store) => revokeApiKey(store, rest[0] as string));
      if (!revoked) {
        io.stderr(`vigil: no active key with id "${rest[0]}"`);
        return EXIT.failed;
      }
      out(`Revoked key ${rest[0]}.`);
      return EXIT.ok;
    }
    default:
      if (group === 'migrate') {
        expectArgs(positionals.slice(1), 0, 'migrate [--status]');
        if (values.status) {
          const status = await (async () => {
            const store = await createStore(config.store, logger, { skipMigrations: true });
            try {
              return await store.migrationStatus();
            } finally {
              await store.close();
            }
          })();
          for (const row of status.applied) out(`applied  ${row.filename}  ${row.applied_at}`);
          for (const name of status.required) out(`pending  ${name}`);
          if (status.applied.length === 0 && status.required.length === 0) out('No migrations.');
          return EXIT.ok;
        }
        const { applied, store } = await migrate(config.store, logger);
        await store.close();
        out(applied.length === 0 ? 'Store is up to date.' : applied.map((name) => `Applied ${name}`).join('\n'));
        return EXIT.ok;
      }
      throw new UsageError(group ? `unknown command "${positionals.slice(0, 2).join(' ')}"` : 'no command given');
  }
}

/** How to create the first admin while the server holds the embedded store (identity/setup-token.ts). */
function setupTokenHint(config: VigilConfig): string {
  const file = path.resolve(config.store.dataDir, SETUP_TOKEN_FILE);
  return (
    `To create the first admin while Vigil runs, send the one-time token in ${file} as ${SETUP_TOKEN_HEADER}:\n` +
    `  curl -H "${SETUP_TOKEN_HEADER}: $(cat ${file})" -H 'content-type: application/json' \\\n` +
    `    -d '{"username":"ada","password":"<at least 8 characters>"}' http://<host>:<port>/v1/auth/setup`
  );
}

/** The loader's view of `--config`. */
function configArgv(values: Values): string[] {
  return values.config ? ['--config', values.config] : [];
}

/** Users, keys and migrate open the store and nothing else: no JWT or Hasura secret needed. */
const STORE_SECTIONS = ['store', 'log'];

/** `vigil check`: the whole configuration as `vigil serve` would load it, without starting. */
function runCheck(io: CliIo, values: Values, positionals: readonly string[]): number {
  if (positionals.length !== 1) throw new UsageError('usage: vigil check [--config <file>]');
  const where = values.config ?? io.env.VIGIL_CONFIG ?? 'embedded defaults';
  let config: VigilConfig;
  try {
    config = loadConfig({ argv: configArgv(values), env: io.env, cwd: io.cwd });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr(`vigil: ${error.message}`);
    return EXIT.usage;
  }
  // The server starts with these and reports them `failed`; for a check they are problems.
  if (config.invalidSources.length > 0) {
    const lines = config.invalidSources.flatMap(({ reason }) => reason.split('; ')).map((issue) => `  - ${issue}`);
    io.stderr(`vigil: invalid configuration (${where}):\n${lines.join('\n')}`);
    return EXIT.usage;
  }
  const store = config.store.url ? 'PostgreSQL (store.url)' : `embedded (${config.store.dataDir})`;
  io.stdout(`${where}: valid (${config.sources.length} sources, store ${store}).`);
  return EXIT.ok;
}

/** Runs the CLI and returns its exit code; never throws. */
export async function runCli(io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(io.argv);
  } catch (error) {
    io.stderr(`vigil: ${(error as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.help || positionals[0] === 'help') {
    io.stdout(USAGE);
    return EXIT.ok;
  }
  let config: VigilConfig | undefined;
  try {
    if (positionals[0] === 'check') return runCheck(io, values, positionals);
    if (positionals[0] === 'serve') throw new UsageError('usage: vigil serve [--config <file>]');
    config = loadConfig({ argv: configArgv(values), env: io.env, cwd: io.cwd, sections: STORE_SECTIONS });
    // Diagnostics go to stderr so stdout carries only results (and the one-time secrets).
    const logger = pino({ level: 'warn', base: { service: 'vigil-cli' } }, pino.destination({ dest: 2, sync: true }));
    return await run(io, positionals, values, config, logger);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`vigil: ${error.message}\n\n${USAGE}`);
      return EXIT.usage;
    }
    if (error instanceof StoreError && error.code === DATA_DIR_BUSY && config && positionals[0] === 'users') {
      // The one thing a newcomer needs while the server runs: the first admin.
      io.stderr(`vigil: ${error.message}\n${setupTokenHint(config)}`);
      return EXIT.failed;
    }
    if (error instanceof ConfigError || error instanceof IdentityInputError || error instanceof StoreError) {
      io.stderr(`vigil: ${error.message}`);
      return EXIT.failed;
    }
    io.stderr(`vigil: ${safeErrorMessage(error, config ? configSecrets(config) : [])}`);
    return EXIT.failed;
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

/** The process entry point (bin/vigil.mjs, `npm run vigil`): real argv, env and streams. */
export async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const parsed = (() => {
    try {
      return parse(argv);
    } catch {
      return undefined; // runCli reports it
    }
  })();
  // `serve` runs the server in this process until a signal stops it (loaded only for serve).
  if (parsed && parsed.positionals[0] === 'serve' && parsed.positionals.length === 1 && !parsed.values.help) {
    const { serve } = await import('../main.ts');
    await serve(configArgv(parsed.values), process.env);
    return;
  }
  process.exitCode = await runCli({
    argv: process.argv.slice(2),
    env: process.env,
    stdout: (text) => process.stdout.write(`${text}\n`),
    stderr: (text) => process.stderr.write(`${text}\n`),
    readStdin: () => readAll(process.stdin),
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
