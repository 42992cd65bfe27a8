// The embedded data directory's lock: held by a live process only, whatever PIDs say. The
// holders here are real processes (node running src/store/dir-lock.ts through tsx), killed
// with SIGKILL the way a crashed container's PID 1 dies.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DirectoryBusyError, LOCK_INFO, LOCK_SOCKET, lockDirectory, lockDirectoryByFile } from '../../src/store/dir-lock.ts';
import { createStore } from '../../src/store/index.ts';
import { silentLogger } from './backends.ts';

const LOCK_MODULE = fileURLToPath(new URL('../../src/store/dir-lock.ts', import.meta.url));
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'vigil-dirlock-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Another process that takes the lock (`by`: socket or file) and keeps it until killed. */
async function holder(dir: string, by: 'socket' | 'file' = 'socket'): Promise<ChildProcess> {
  const take = by === 'socket' ? 'lockDirectory' : 'lockDirectoryByFile';
  const script = `const m = await import(${JSON.stringify(LOCK_MODULE)}); await m.${take}(${JSON.stringify(dir)}); console.log('locked'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  cleanups.push(() => {
    child.kill('SIGKILL');
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('locked')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`holder exited ${code} before locking`)));
  });
  return child;
}

async function killHard(child: ChildProcess): Promise<void> {
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await gone;
}

describe('the data directory lock', () => {
  it('refuses while another live process holds it, with a sentence that says to set store.url', async () => {
    const dir = await tempDir();
    const child = await holder(dir);
    const error = await lockDirectory(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DirectoryBusyError);
    expect((error as Error).message).toContain(`in use by another Vigil (process ${child.pid})`);
    expect((error as Error).message).toContain('set store.url to a PostgreSQL database');
    // The same refusal through the store a second Vigil opens at start-up.
    const store = await createStore({ url: undefined, dataDir: dir }, silentLogger).catch((e: unknown) => e);
    expect((store as Error).message).toMatch(/^store \(embedded\): the data directory .* is in use by another Vigil/);
  });

  it('opens again after the holder is killed with SIGKILL, its socket and lock file left behind', async () => {
    const dir = await tempDir();
    const child = await holder(dir);
    await killHard(child);
    expect(existsSync(path.join(dir, LOCK_SOCKET))).toBe(true);
    expect(JSON.parse(await readFile(path.join(dir, LOCK_INFO), 'utf8'))).toMatchObject({ pid: child.pid });
    const lock = await lockDirectory(dir);
    expect(lock.kind).toBe('socket');
    expect(JSON.parse(await readFile(path.join(dir, LOCK_INFO), 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    // Held by this process now: a second open, even from here, is refused.
    await expect(lockDirectory(dir)).rejects.toBeInstanceOf(DirectoryBusyError);
    await lock.release();
    expect(existsSync(path.join(dir, LOCK_SOCKET))).toBe(false);
    expect(existsSync(path.join(dir, LOCK_INFO))).toBe(false);
  });

  it('is not fooled by a lock file naming this PID (a container restart) or an unrelated live process', async () => {
    for (const pid of [process.pid, 1, process.ppid]) {
      const dir = await tempDir();
      await writeFile(path.join(dir, LOCK_INFO), `${JSON.stringify({ pid, host: hostname() })}\n`);
      const lock = await lockDirectory(dir);
      await lock.release();
      // The file of the earlier Vigil: just a PID.
      await writeFile(path.join(dir, LOCK_INFO), `${pid}\n`);
      await (await lockDirectory(dir)).release();
    }
  });

  it('lets exactly one of several processes racing for a stale lock win', async () => {
    const dir = await tempDir();
    await killHard(await holder(dir));
    const results = await Promise.allSettled([holder(dir), holder(dir), holder(dir)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });
});

describe('the fallback lock file (no Unix sockets on the file system)', () => {
  it('refuses a live holder and takes over from a dead one or a reused PID', async () => {
    const dir = await tempDir();
    const child = await holder(dir, 'file');
    await expect(lockDirectoryByFile(dir)).rejects.toBeInstanceOf(DirectoryBusyError);
    await killHard(child);
    await (await lockDirectoryByFile(dir)).release();

    // This PID with another start time: the same number, a different process (PID 1 in a container).
    const recorded = { pid: process.pid, host: hostname(), startTicks: '1', bootId: (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim() };
    await writeFile(path.join(dir, LOCK_INFO), JSON.stringify(recorded));
    await (await lockDirectoryByFile(dir)).release();
    // An unrelated live process whose start time does not match.
    await writeFile(path.join(dir, LOCK_INFO), JSON.stringify({ ...recorded, pid: process.ppid }));
    await (await lockDirectoryByFile(dir)).release();
  });
});
