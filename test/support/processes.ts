// Private dependency processes for tests that stop, break or count traffic on a dependency:
// redis-server, nats-server and PostgreSQL on a free loopback port, each in its own temp dir.
// Only the processes started here are ever signalled (by their own pid); the shared services
// are never touched.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from './ports.ts';

export interface PrivateProcess {
  readonly port: number;
  /** The process's own temp directory (data, sockets, logs). */
  readonly dir: string;
  /** Kills the process abruptly, as a crash would; `restart()` brings it back on the same port. */
  kill(): Promise<void>;
  /** Starts the process again on the same port (after `kill`). */
  restart(): Promise<void>;
  /**
   * Freezes the process (SIGSTOP): connections stay open but nothing answers. PostgreSQL's
   * backends are its children and serve open connections on their own, so for it the
   * postmaster and every child are frozen.
   */
  freeze(): void;
  /** Thaws a frozen process (SIGCONT). */
  thaw(): void;
  /** Sends `name` to the process (SIGHUP: reload its configuration). */
  signal(name: NodeJS.Signals): void;
  /** Stops the process and removes its temp dir. Safe to call twice. */
  stop(): Promise<void>;
  /** What the process wrote to stdout/stderr, for a failing test's message. */
  output(): string;
}

interface LaunchSpec {
  readonly name: string;
  readonly dir: string;
  readonly command: (port: number) => { readonly file: string; readonly args: readonly string[] };
  /** Resolves once the process serves (beyond the port being open), or throws to retry. */
  readonly ready?: (port: number) => Promise<void>;
  /** Signal for `kill()`: a crash. */
  readonly killSignal: NodeJS.Signals;
  /** Signal for `stop()`: an orderly shutdown. */
  readonly stopSignal: NodeJS.Signals;
  /** freeze()/thaw() signal the process's children too (PostgreSQL's backends). */
  readonly freezeChildren?: boolean;
}

/** The pids of `pid`'s children (Linux), read from /proc: only this test's own processes. */
function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    const listed = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' });
    return listed.stdout.trim().split(/\s+/).filter(Boolean).map(Number);
  }
}

function signalChildren(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  for (const child of childPids(pid)) {
    try {
      process.kill(child, signal);
    } catch {
      // exited meanwhile
    }
  }
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** If a test file dies before its afterAll, its processes must not outlive it. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function signalAndWait(child: ChildProcess, signal: NodeJS.Signals, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  // A frozen process only acts on the signal once thawed.
  child.kill('SIGCONT');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited(child);
  clearTimeout(timer);
}

async function launch(spec: LaunchSpec, portHint?: number): Promise<PrivateProcess> {
  installExitHook();
  let log = '';
  let child: ChildProcess | undefined;
  let stopped: Promise<void> | undefined;

  const spawnOn = async (port: number): Promise<void> => {
    const { file, args } = spec.command(port);
    const proc = spawn(file, [...args], { cwd: spec.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    running.add(proc);
    proc.once('exit', () => running.delete(proc));
    const keep = (chunk: Buffer): void => {
      log = (log + chunk.toString()).slice(-20_000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    const died = exited(proc).then(() => {
      throw new Error(`${spec.name} exited early on port ${port}: ${log.slice(-2_000)}`);
    });
    try {
      await Promise.race([
        (async () => {
          await waitForPort(port, 20_000);
          await spec.ready?.(port);
        })(),
        died,
      ]);
    } catch (error) {
      await signalAndWait(proc, 'SIGKILL');
      throw error;
    } finally {
      died.catch(() => undefined);
    }
  };

  // A free port can be taken before the child binds it: try a few.
  let port = portHint ?? (await freePort());
  for (let attempt = 1; ; attempt += 1) {
    try {
      await spawnOn(port);
      break;
    } catch (error) {
      if (portHint !== undefined || attempt >= 3) {
        rmSync(spec.dir, { recursive: true, force: true });
        throw error;
      }
      port = await freePort();
    }
  }

  return {
    port,
    dir: spec.dir,
    async kill() {
      if (spec.freezeChildren) signalChildren(child?.pid, 'SIGCONT');
      if (child) await signalAndWait(child, spec.killSignal);
    },
    async restart() {
      if (spec.freezeChildren) signalChildren(child?.pid, 'SIGCONT');
      if (child) await signalAndWait(child, spec.killSignal);
      await spawnOn(port);
    },
    signal(name) {
      child?.kill(name);
    },
    freeze() {
      // The parent first: a stopped postmaster forks no new backend while its children stop.
      child?.kill('SIGSTOP');
      if (spec.freezeChildren) signalChildren(child?.pid, 'SIGSTOP');
    },
    thaw() {
      if (spec.freezeChildren) signalChildren(child?.pid, 'SIGCONT');
      child?.kill('SIGCONT');
    },
    stop() {
      stopped ??= (async () => {
        // A frozen child would keep its parent from exiting.
        if (spec.freezeChildren) signalChildren(child?.pid, 'SIGCONT');
        if (child) await signalAndWait(child, spec.stopSignal);
        rmSync(spec.dir, { recursive: true, force: true });
      })();
      return stopped;
    },
    output: () => log,
  };
}

export interface RedisProcessInput {
  /** Sets `requirepass`: every client must AUTH with it. */
  readonly password?: string;
}

/** A private redis-server (no persistence) on a free port. */
export function startRedis(input: RedisProcessInput = {}): Promise<PrivateProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-redis-'));
  return launch({
    name: 'redis-server',
    dir,
    command: (port) => ({
      file: 'redis-server',
      args: [
        '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no',
        '--dir', dir, '--logfile', '',
        ...(input.password ? ['--requirepass', input.password] : []),
      ],
    }),
    killSignal: 'SIGKILL',
    stopSignal: 'SIGTERM',
  });
}

export interface NatsProcessInput {
  /** Enables JetStream (store in the temp dir). Default true. */
  readonly jetstream?: boolean;
  readonly user?: string;
  readonly password?: string;
  /** A configuration file (`-c`), re-read on SIGHUP; written by the caller. */
  readonly configFile?: string;
}

/** A private nats-server on a free port, JetStream on by default. */
export function startNats(input: NatsProcessInput = {}): Promise<PrivateProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-nats-'));
  const jetstream = input.jetstream ?? true;
  return launch({
    name: 'nats-server',
    dir,
    command: (port) => ({
      file: 'nats-server',
      args: [
        '-a', '127.0.0.1', '-p', String(port),
        ...(jetstream ? ['-js', '-sd', join(dir, 'js')] : []),
        ...(input.user ? ['--user', input.user] : []),
        ...(input.password ? ['--pass', input.password] : []),
        ...(input.configFile ? ['-c', input.configFile] : []),
      ],
    }),
    killSignal: 'SIGKILL',
    stopSignal: 'SIGTERM',
  });
}

export interface PostgresProcessInput {
  /**
   * Password of the `postgres` superuser; when set, TCP connections must authenticate with it
   * (scram-sha-256). Without it, loopback connections are trusted.
   */
  readonly password?: string;
  /** Extra server settings (`-c key=value`), e.g. `{ log_statement: 'all' }` to see every query in `output()`. */
  readonly settings?: Readonly<Record<string, string>>;
}

export const POSTGRES_BIN = process.env.VIGIL_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** The same command run as the `postgres` user when we are root (initdb and postgres refuse root). */
function asPostgresUser(file: string, args: readonly string[]): { file: string; args: readonly string[] } {
  if (process.getuid?.() !== 0) return { file, args };
  // setpriv execs in place, so the child's pid is postgres itself and signals reach it.
  return { file: 'setpriv', args: ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', file, ...args] };
}

function postgresIds(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
}

/**
 * A private PostgreSQL cluster (initdb in a temp dir, fsync off) on a free port; superuser
 * `postgres`, database `postgres`.
 */
export async function startPostgres(input: PostgresProcessInput = {}): Promise<PrivateProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-pg-'));
  const data = join(dir, 'data');
  const ids = postgresIds();
  if (ids) chownSync(dir, ids.uid, ids.gid);
  const initArgs = ['-D', data, '-U', 'postgres', '-E', 'UTF8', '--no-sync', '--auth-local=trust'];
  if (input.password) {
    const pwfile = join(dir, 'pwfile');
    writeFileSync(pwfile, `${input.password}\n`, { mode: 0o600 });
    if (ids) chownSync(pwfile, ids.uid, ids.gid);
    initArgs.push('--auth-host=scram-sha-256', `--pwfile=${pwfile}`);
  } else {
    initArgs.push('--auth-host=trust');
  }
  const init = asPostgresUser(join(POSTGRES_BIN, 'initdb'), initArgs);
  const initRun = spawnSync(init.file, [...init.args], { encoding: 'utf8', timeout: 60_000 });
  if (initRun.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${initRun.stderr || initRun.stdout}`);
  }
  return launch({
    name: 'postgres',
    dir,
    command: (port) =>
      asPostgresUser(join(POSTGRES_BIN, 'postgres'), [
        '-D', data, '-p', String(port), '-k', dir,
        '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off',
        '-c', 'full_page_writes=off', '-c', 'max_connections=30', '-c', 'shared_buffers=16MB',
        ...Object.entries(input.settings ?? {}).flatMap(([key, value]) => ['-c', `${key}=${value}`]),
      ]),
    ready: async (port) => {
      // The port opens before recovery ends; pg_isready says when connections are accepted.
      for (let tries = 0; tries < 100; tries += 1) {
        const ping = spawnSync(join(POSTGRES_BIN, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-t', '1'], { encoding: 'utf8' });
        if (ping.status === 0) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error('postgres did not accept connections');
    },
    // SIGQUIT is PostgreSQL's immediate shutdown (a crash); SIGINT its fast, clean one.
    killSignal: 'SIGQUIT',
    stopSignal: 'SIGINT',
    freezeChildren: true,
  });
}
