// Vigil as its users get it: a fresh copy of the repository runs `npm start` (which builds
// dist/ because there is none), then `npm pack`; the tarball is installed into another prefix
// without development dependencies, and its `vigil` bin runs under plain node: `vigil check`,
// then `vigil serve` answering every public endpoint of the spec, then exit 0 on SIGTERM.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { documentsStatus, loadSpec } from '../../src/http/spec.ts';
import { freePort, waitForPort } from '../support/ports.ts';
import { startProcess } from '../support/vigil-process.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'vigil-package-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** What a clone holds (the working tree's files, so uncommitted edits are what is tested). */
const CLONE = ['bin', 'generated', 'openapi', 'scripts', 'src', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'LICENSE', 'CHANGELOG.md', 'README.md', 'vigil.example.yaml'];
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
    expect(npmStart.output()).toContain('node dist/src/main.js');
    const health = (await (await fetch(`http://127.0.0.1:${firstPort}/health`)).json()) as { build_git_hash: string };
    expect(health.build_git_hash).toBe('pkgtest1');
    npmStart.signal('SIGTERM');
    await npmStart.exited;

    await run('npm', ['pack', '--pack-destination', work], { cwd: clone, env: { ...process.env, npm_config_loglevel: 'error' } });
    const tarball = join(work, `vigil-${(JSON.parse(readFileSync(join(clone, 'package.json'), 'utf8')) as { version: string }).version}.tgz`);
    const prefix = join(work, 'prefix');
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
});
