// The one-time setup token: how a newcomer creates the first admin while Vigil runs, on either
// store (with the embedded one the CLI cannot open the data directory the server holds).
// While no admin exists, a start issues a random token, keeps only its SHA-256 in memory, and
// writes the token to `<store.data_dir>/setup-token` (mode 0600). The log line names the file,
// never the token: whoever can read Vigil's data directory could create users with the CLI
// anyway, so reading the file proves nothing more than that. `POST /v1/auth/setup` with the
// token in `X-Vigil-Setup-Token` creates the first admin; the token then stops working and the
// file is removed. A restart issues a new token (and overwrites the file) while no admin exists.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { safeErrorMessage } from '../shared/redact.ts';
import { constantTimeEqual, randomToken, sha256Hex } from './secrets.ts';

export const SETUP_TOKEN_HEADER = 'X-Vigil-Setup-Token';
export const SETUP_TOKEN_FILE = 'setup-token';
/** Tells a setup token apart from every other credential at a glance (and in leak scanners). */
export const SETUP_TOKEN_PREFIX = 'vst_';

export interface SetupTokens {
  /** A new token (any earlier one stops working); the caller shows it only where it is safe. */
  issue(): string;
  /** Is `presented` the current, unused token? */
  verify(presented: string): boolean;
  /** The first admin exists: the token stops working (and `onConsumed` hooks run once). */
  consume(): void;
  /** Runs when the token is consumed (the file that holds it is removed). */
  onConsumed(hook: () => void): void;
  active(): boolean;
}

export function createSetupTokens(): SetupTokens {
  let hash: string | undefined;
  let hooks: (() => void)[] = [];
  return {
    issue() {
      const token = `${SETUP_TOKEN_PREFIX}${randomToken(32)}`;
      hash = sha256Hex(token);
      return token;
    },
    verify(presented) {
      return hash !== undefined && presented.startsWith(SETUP_TOKEN_PREFIX) && constantTimeEqual(sha256Hex(presented), hash);
    },
    consume() {
      if (hash === undefined) return;
      hash = undefined;
      const run = hooks;
      hooks = [];
      for (const hook of run) hook();
    },
    onConsumed(hook) {
      hooks.push(hook);
    },
    active: () => hash !== undefined,
  };
}

/** The sentence logged when no admin exists: where the token is and what to do with it. */
export function setupHint(file: string | undefined): string {
  const cli = 'or create one with `vigil users add <username> --role admin` (with the embedded store, while Vigil is stopped)';
  if (file === undefined) {
    return `No admin user exists yet. The one-time setup token could not be written to the data directory; ${cli}.`;
  }
  return (
    `No admin user exists yet. Create the first one while Vigil runs: POST /v1/auth/setup with ` +
    `{"username","password"} and the one-time token in ${file} as the ${SETUP_TOKEN_HEADER} header ` +
    `(README, "The first admin"); ${cli}.`
  );
}

/**
 * Issues a token, writes it to `<dataDir>/setup-token` and logs where it is; the file goes once
 * the first admin exists. `dataDir` is undefined for an in-memory store (nothing to write to).
 */
export async function offerFirstAdminSetup(input: { readonly tokens: SetupTokens; readonly dataDir: string | undefined; readonly logger: Logger }): Promise<string | undefined> {
  const { tokens, dataDir, logger } = input;
  const token = tokens.issue();
  let file: string | undefined;
  if (dataDir !== undefined) {
    const target = path.resolve(dataDir, SETUP_TOKEN_FILE);
    try {
      await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
      // Replaced whole on each start; readable by Vigil's user only.
      await rm(target, { force: true });
      await writeFile(target, `${token}\n`, { mode: 0o600, flag: 'wx' });
      file = target;
    } catch (error) {
      logger.warn({ err: safeErrorMessage(error, [token]) }, 'the setup token could not be written');
    }
  }
  if (file !== undefined) {
    const written = file;
    tokens.onConsumed(() => void rm(written, { force: true }).catch(() => undefined));
  }
  logger.warn({ setupTokenFile: file }, setupHint(file));
  return file;
}

/**
 * An admin exists: a token file left from an earlier start (Vigil stopped before the token was
 * used, then the admin came from the CLI) names a token no process holds any more. Remove it,
 * so nobody mistakes it for a live one.
 */
export async function withdrawStaleSetupToken(dataDir: string | undefined): Promise<void> {
  if (dataDir === undefined) return;
  await rm(path.resolve(dataDir, SETUP_TOKEN_FILE), { force: true }).catch(() => undefined);
}
