// Vigil as its users get it: a fresh copy of the repository runs `npm start` (which builds
// dist/ because there is none), then `npm pack`; the tarball is installed into another prefix
// without development dependencies, and its `vigil` bin runs under plain node: `vigil check`,
// then `vigil serve` answering every public endpoint of the spec, then exit 0 on SIGTERM.
// That installed tree is also the container image's /app (no container engine runs here): the
// Dockerfile's entrypoint, environment and health check, read from the Dockerfile, run as PID 1
// of a new PID namespace, as an unprivileged user, on a read-only bind mount of the tree.
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { NODE_FLAGS } from '../../src/node-flags.ts';
import { documentsStatus, loadSpec } from '../../src/http/spec.ts';
import { freePort, waitForPort } from '../support/ports.ts';
import { readImageContract } from '../support/dockerfile.ts';
import { startProcess, type TestProcess } from '../support/vigil-process.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'vigil-package-'));
// The unprivileged user of the container test must reach the installed tree (read-only).
chmodSync(work, 0o755);
afterAll(() => rmSync(work, { recursive: true, force: true }));
/** The installed prefix: <prefix>/node_modules/vigil is the image's /app. */
let prefix: string | undefined;

/** What a clone holds (the working tree's files, so uncommitted edits are what is tested). */
const CLONE = ['bin', 'generated', 'openapi', 'scripts', 'src', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'LICENSE', 'CHANGELOG.md', 'README.md', 'vigil.example.yaml', 'vigil.schema.json'];
/** Plain node on PATH and nothing of this checkout: no tsx, no VIGIL_* of the test runner. */
const PLAIN_ENV = { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: work };

function config(port: number, dataDir: string): string {
  const file = join(work, `vigil-${port}.yaml`);
  writeFileSync(file, `server:\n  port: ${port}\n  shutdown_grace: 5s\nstore:\n  data_dir: ${JSON.stringify(dataDir)}\nsources:\n  - { name: host, kind: resources, critical: false }\n`);
  return file;
}

describe('the built and installed package', () => {
  it('builds on npm start, packs, installs without dev dependencies and serves under plain node', { timeout: 420_000 }, async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies)).not.toContain('tsx');
    expect(Object.keys(pkg.devDependencies)).toContain('tsx');

    const clone = join(work, 'clone');
    for (const entry of CLONE) cpSync(join(ROOT, entry), join(clone, entry), { recursive: true, filter: (src) => !src.endsWith('src/build-info.json') });
    symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'));
    expect(existsSync(join(clone, 'dist'))).toBe(false);

    // The README's first command on a fresh clone: npm start builds, then runs node dist/...
    const firstPort = await freePort();
    const npmStart = startProcess({
      file: 'npm',
      args: ['start', '--', '--config', config(firstPort, join(work, 'data-start'))],
      cwd: clone,
      env: { ...PLAIN_ENV, PATH: process.env.PATH ?? '', VIGIL_GIT_HASH: 'pkgtest1' },
      group: true,
    });
    await npmStart.waitForLine(/vigil listening/, 240_000);
    // With Vigil's node flags (src/node-flags.ts), as the container's entry point runs it.
    expect(npmStart.output()).toContain(`node ${NODE_FLAGS.join(' ')} dist/src/main.js`);
    const health = (await (await fetch(`http://127.0.0.1:${firstPort}/health`)).json()) as { build_git_hash: string };
    expect(health.build_git_hash).toBe('pkgtest1');
    npmStart.signal('SIGTERM');
    await npmStart.exited;

    await run('npm', ['pack', '--pack-destination', work], { cwd: clone, env: { ...process.env, npm_config_loglevel: 'error' } });
    const tarball = join(work, `vigil-${(JSON.parse(readFileSync(join(clone, 'package.json'), 'utf8')) as { version: string }).version}.tgz`);
    prefix = join(work, 'prefix');
    await run('npm', ['install', '--prefix', prefix, '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], {
      cwd: work,
      env: process.env,
      timeout: 240_000,
    });
    const installed = join(prefix, 'node_modules');
    expect(existsSync(join(installed, 'vigil', 'dist', 'src', 'main.js'))).toBe(true);
    expect(existsSync(join(installed, 'tsx'))).toBe(false);
    const bin = join(installed, '.bin', 'vigil');

    const port = await freePort();
    const file = config(port, join(work, 'data-installed'));
    const checked = await run(bin, ['check', '--config', file], { cwd: work, env: PLAIN_ENV });
    expect(checked.stdout).toContain('valid (1 sources');

    const served = startProcess({ file: bin, args: ['serve', '--config', file], cwd: work, env: PLAIN_ENV });
    await served.waitForLine(/vigil listening/, 120_000);
    await waitForPort(port);
    const spec = await loadSpec();
    const publicGets = spec.operations.filter((op) => op.security.mode === 'public' && op.method === 'get' && !op.path.includes('{'));
    expect(publicGets.length).toBeGreaterThan(5);
    for (const op of publicGets) {
      const response = await fetch(`http://127.0.0.1:${port}${op.path}`);
      await response.arrayBuffer();
      expect({ path: op.path, status: response.status, documented: documentsStatus(op, response.status) }).toMatchObject({ documented: true });
    }
    for (const path of ['/docs/', '/openapi.json', '/openapi.yaml']) expect((await fetch(`http://127.0.0.1:${port}${path}`)).status, path).toBe(200);

    served.signal('SIGTERM');
    expect(await served.exited).toEqual({ code: 0, signal: null });
    expect(served.output()).toContain('vigil stopped');
  });

  it('runs the image contract: PID 1 in a new PID namespace, unprivileged, read-only tree, kill -9, restart', { timeout: 360_000 }, async () => {
    expect(prefix, 'the package test above installed the tree').toBeDefined();
    const installed = prefix as string;
    const image = readImageContract(join(ROOT, 'Dockerfile'));
    const app = join(installed, 'node_modules', 'vigil');
    const toHost = (arg: string) => arg.replace(/^\/app\//, `${app}/`);
    const [uid, gid] = [65534, 65534]; // nobody: not root, owns nothing of the tree
    const data = join(work, 'container-data');
    mkdirSync(data);
    chownSync(data, uid, gid);
    const port = await freePort();
    // The image's own environment, with /data moved to the test's volume and loopback only.
    // The image's configuration file is the repository's (COPY'd to /etc/vigil/vigil.yaml).
    const imageConfig = image.env.VIGIL_CONFIG === '/etc/vigil/vigil.yaml' ? join(ROOT, 'deploy/container/vigil.yaml') : image.env.VIGIL_CONFIG;
    const env = {
      ...image.env,
      VIGIL_CONFIG: imageConfig ?? '',
      PATH: PLAIN_ENV.PATH,
      HOME: '/nonexistent',
      VIGIL_STORE__DATA_DIR: data,
      VIGIL_SERVER__HOST: '127.0.0.1',
      VIGIL_SERVER__PORT: String(port),
    };
    const command = image.command.map(toHost);
    // A new PID and mount namespace: the tree is remounted read-only, then the entrypoint is exec'd
    // as nobody, so node itself is PID 1 (a container's init: only signals it handles reach it).
    const inNamespace = `mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec setpriv --reuid=${uid} --regid=${gid} --clear-groups -- "$@"`;
    const startContainer = () =>
      startProcess({ file: 'unshare', args: ['--pid', '--fork', '--mount-proc', 'sh', '-c', inNamespace, installed, ...command], cwd: '/', env });
    /** The host's PID of the namespace's PID 1 (unshare's only child). */
    const initPid = (container: TestProcess) => Number(readFileSync(`/proc/${container.child.pid}/task/${container.child.pid}/children`, 'utf8').trim());
    const healthcheck = () =>
      run(toHost(image.healthcheck?.[0] ?? 'node'), (image.healthcheck ?? []).slice(1).map(toHost), { env }).then(
        () => 0,
        (error: { code?: number }) => error.code ?? 1,
      );

    const first = startContainer();
    await first.waitForLine(/vigil listening/, 180_000);
    expect((await fetch(`http://127.0.0.1:${port}/livez`)).status).toBe(200);
    expect(await healthcheck()).toBe(0);
    // The lock names PID 1, as in every container; the tree could not be written.
    expect(JSON.parse(readFileSync(join(data, 'vigil.lock'), 'utf8'))).toMatchObject({ pid: 1 });
    expect(first.output()).not.toMatch(/EROFS|EACCES/);

    // kill -9 of PID 1: nothing runs any clean-up. The next start reuses PID 1 and must open.
    process.kill(initPid(first), 'SIGKILL');
    await first.exited;
    const second = startContainer();
    await second.waitForLine(/vigil listening/, 180_000);
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);

    // docker stop: SIGTERM to PID 1, exit 0 within the grace period (server.shutdown_grace, 10 s).
    const stopAt = Date.now();
    process.kill(initPid(second), 'SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - stopAt).toBeLessThan(10_000);
    expect(second.output()).toContain('vigil stopped');
    expect(await healthcheck()).toBe(1);
  });
});
