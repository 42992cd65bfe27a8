// One live process per embedded data directory. PGlite is single-process: two Vigils on one
// directory corrupt it. The lock is the kernel's, not a PID in a file: the holder listens on a
// Unix socket in the directory, and the kernel closes it when the holder dies however it dies
// (kill -9, OOM, a container's PID 1). A second process that can connect knows a live holder
// exists; one that is refused knows the socket is a leftover and takes it over. No PID is
// trusted, so a PID reused by the next start (always 1 in a container) or a PID naming some
// unrelated live process changes nothing. `vigil.lock` beside it only says who holds it (for
// the message). Where Unix sockets cannot be created (some network or host-mounted file
// systems), the lock falls back to that file, recording PID, process start time and boot id, so
// a reused PID is still told apart from the holder.
import { readFileSync } from 'node:fs';
import { mkdir, readFile, readlink, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { hostname } from 'node:os';
import path from 'node:path';

export const LOCK_SOCKET = 'vigil.lock.sock';
export const LOCK_INFO = 'vigil.lock';
const TAKEOVER_DIR = 'vigil.lock.takeover';
/** A takeover that has not finished in this long was abandoned by a process that died. */
const TAKEOVER_STALE_MS = 10_000;
/** Linux's sun_path is 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH = 100;

export const DATA_DIR_BUSY = 'VIGIL_DATA_DIR_BUSY';

/** Who holds (or held) a directory, as written to `vigil.lock`. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  /** Identifies the process beyond its PID: start time (clock ticks after boot) and boot id. */
  readonly startTicks?: string;
  readonly bootId?: string;
  readonly pidNamespace?: string;
}

/** The directory is held by another live process. */
export class DirectoryBusyError extends Error {
  override readonly name = 'DirectoryBusyError';
  /** Carried into StoreError.code, so callers (the CLI) can tell "busy" from other failures. */
  readonly code = DATA_DIR_BUSY;
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder | undefined,
  ) {
    const who = holder ? `process ${holder.pid}${holder.host === hostname() ? '' : ` on ${holder.host}`}` : 'another process';
    super(
      `the data directory ${dataDir} is in use by another Vigil (${who}). The embedded store serves one ` +
        `process only: to run more than one Vigil, set store.url to a PostgreSQL database; to use this ` +
        `directory, stop that process first.`,
    );
  }
}

export interface DirectoryLock {
  /** How the lock is held: the kernel's socket, or the fallback file. */
  readonly kind: 'socket' | 'file';
  release(): Promise<void>;
}

function readProc(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/<pid>/stat (after the parenthesised command, which may hold spaces). */
function startTicksOf(pid: number | 'self'): string | undefined {
  const text = readProc(`/proc/${pid}/stat`);
  if (!text) return undefined;
  return text.slice(text.lastIndexOf(')') + 2).split(' ')[19];
}

async function currentHolder(): Promise<LockHolder> {
  return {
    pid: process.pid,
    host: hostname(),
    startTicks: startTicksOf('self'),
    bootId: readProc('/proc/sys/kernel/random/boot_id')?.trim(),
    pidNamespace: await readlink('/proc/self/ns/pid').catch(() => undefined),
  };
}

async function readHolder(dataDir: string): Promise<LockHolder | undefined> {
  try {
    const value = JSON.parse(await readFile(path.join(dataDir, LOCK_INFO), 'utf8')) as Partial<LockHolder>;
    return typeof value.pid === 'number' && typeof value.host === 'string' ? (value as LockHolder) : undefined;
  } catch {
    return undefined; // absent, or the old "<pid>\n" format: nobody to name
  }
}

/** The socket's path as bound: relative to the working directory when the absolute one is too long. */
function socketAddress(dataDir: string): string | undefined {
  const absolute = path.join(dataDir, LOCK_SOCKET);
  if (Buffer.byteLength(absolute) <= MAX_SOCKET_PATH) return absolute;
  const relative = path.relative(process.cwd(), absolute);
  return Buffer.byteLength(relative) <= MAX_SOCKET_PATH ? relative : undefined;
}

function listen(address: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    // A prober only needs its connect to succeed; nothing is ever exchanged.
    const server = createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen(address, () => {
      server.off('error', reject);
      server.unref();
      resolve(server);
    });
  });
}

/** 'live' when something accepts on the socket, 'stale' when nothing does. */
function probe(address: string): Promise<'live' | 'stale'> {
  return new Promise((resolve) => {
    const socket = connect(address);
    socket.once('connect', () => {
      socket.destroy();
      resolve('live');
    });
    socket.once('error', () => resolve('stale'));
  });
}

/** Exclusive right to replace a leftover socket, so two starters never both take it over. */
async function withTakeover<T>(dataDir: string, work: () => Promise<T>): Promise<T | 'retry'> {
  const marker = path.join(dataDir, TAKEOVER_DIR);
  try {
    await mkdir(marker);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const since = await stat(marker).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (since > TAKEOVER_STALE_MS) await rmdir(marker).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    return 'retry';
  }
  try {
    return await work();
  } finally {
    await rmdir(marker).catch(() => undefined);
  }
}

function isSocketUnsupported(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EPERM' || code === 'EACCES' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EINVAL' || code === 'ENAMETOOLONG';
}

async function socketLock(dataDir: string, address: string): Promise<DirectoryLock | 'unsupported'> {
  const infoPath = path.join(dataDir, LOCK_INFO);
  for (let attempt = 0; attempt < 200; attempt += 1) {
    let server: Server | undefined;
    try {
      server = await listen(address);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EADDRINUSE') {
        if (isSocketUnsupported(error)) return 'unsupported';
        throw error;
      }
    }
    if (!server) {
      if ((await probe(address)) === 'live') throw new DirectoryBusyError(dataDir, await readHolder(dataDir));
      // Nothing listens: the holder died and left its socket. Replace it, one starter at a time.
      const taken = await withTakeover(dataDir, async () => {
        if ((await probe(address)) === 'live') throw new DirectoryBusyError(dataDir, await readHolder(dataDir));
        await rm(address, { force: true });
        return listen(address);
      });
      if (taken === 'retry') continue;
      server = taken;
    }
    const held = server;
    await writeFile(infoPath, `${JSON.stringify(await currentHolder())}\n`);
    return {
      kind: 'socket',
      async release() {
        await rm(infoPath, { force: true });
        // Closing a bound Unix socket server removes its file.
        await new Promise<void>((resolve) => held.close(() => resolve()));
      },
    };
  }
  throw new Error(`cannot lock ${dataDir}: another process keeps taking it over`);
}

/** Whether the process `holder` names is that very process, alive (not a reused PID). */
function holderAlive(holder: LockHolder, self: LockHolder): boolean {
  if (holder.host !== self.host) return true; // cannot tell from here: assume it runs
  if (holder.bootId && self.bootId && holder.bootId !== self.bootId) return false; // rebooted since
  if (holder.pidNamespace && self.pidNamespace && holder.pidNamespace !== self.pidNamespace) return true;
  if (holder.pid === self.pid) return false; // our own PID, reused: the holder is gone
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const ticks = startTicksOf(holder.pid);
  return holder.startTicks === undefined || ticks === undefined || ticks === holder.startTicks;
}

/** The fallback where Unix sockets cannot be created (exported for its tests). */
export async function lockDirectoryByFile(dataDir: string): Promise<DirectoryLock> {
  const infoPath = path.join(dataDir, LOCK_INFO);
  const self = await currentHolder();
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      await writeFile(infoPath, `${JSON.stringify(self)}\n`, { flag: 'wx' });
      return { kind: 'file', release: () => rm(infoPath, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = await readHolder(dataDir);
      if (holder && holderAlive(holder, self)) throw new DirectoryBusyError(dataDir, holder);
      await rm(infoPath, { force: true });
    }
  }
  throw new Error(`cannot lock ${dataDir}`);
}

/** Locks `dataDir` (which must exist) for this process; throws DirectoryBusyError when held. */
export async function lockDirectory(dataDir: string): Promise<DirectoryLock> {
  const address = socketAddress(dataDir);
  if (address !== undefined) {
    const lock = await socketLock(dataDir, address);
    if (lock !== 'unsupported') return lock;
  }
  return lockDirectoryByFile(dataDir);
}
