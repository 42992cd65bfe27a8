// Build facts for /health: recorded by scripts/build-info.mjs, read by src/build-info.ts,
// with sensible values when the recording is missing.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readBuildInfo } from '../../src/build-info.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'vigil-build-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function gitHead(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

describe('build info', () => {
  it('the script records package.json version, the git hash and the build time', () => {
    const before = Date.now();
    execFileSync(process.execPath, ['scripts/build-info.mjs'], { cwd: ROOT });
    const recorded = JSON.parse(readFileSync(join(ROOT, 'src/build-info.json'), 'utf8')) as Record<string, string>;
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(recorded.version).toBe(pkg.version);
    expect(recorded.gitHash).toBe(gitHead());
    expect(Date.parse(recorded.buildTimestamp as string)).toBeGreaterThanOrEqual(before - 1000);
  });

  it('reads a recorded file', () => {
    const file = join(dir, 'recorded.json');
    writeFileSync(file, JSON.stringify({ version: '9.9.9', gitHash: 'abc1234', buildTimestamp: '2024-01-02T03:04:05.000Z' }));
    expect(readBuildInfo({ buildInfo: pathToFileURL(file) })).toEqual({
      version: '9.9.9',
      gitHash: 'abc1234',
      buildTimestamp: '2024-01-02T03:04:05.000Z',
    });
  });

  it('falls back to package.json, "unknown" and now when nothing was recorded', () => {
    const pkg = join(dir, 'package.json');
    writeFileSync(pkg, JSON.stringify({ version: '1.2.3' }));
    const info = readBuildInfo({ buildInfo: pathToFileURL(join(dir, 'missing.json')), packageJson: pathToFileURL(pkg) });
    expect(info.version).toBe('1.2.3');
    expect(info.gitHash).toBe('unknown');
    expect(Math.abs(Date.parse(info.buildTimestamp) - Date.now())).toBeLessThan(60_000);
  });
});
