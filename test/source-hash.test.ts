// source_hash must be exactly what the documented shell command prints, in a scratch tree
// (odd file names included) and in this checkout.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeSourceHash, SOURCE_HASH_COMMAND, sourceFiles, VIGIL_ROOT } from '../src/source-hash.ts';

function shell(command: string, cwd: string): string {
  return execFileSync('bash', ['-o', 'pipefail', '-c', command], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/**
 * Other people edit this checkout while tests run: compare code and command until two code
 * runs around one command run agree (the tree held still), a few attempts at most.
 */
function stableComparison(command: () => string): { code: string; command: string } {
  let last = { code: '', command: '' };
  for (let attempt = 0; attempt < 5; attempt++) {
    const before = computeSourceHash();
    const printed = command();
    const after = computeSourceHash();
    last = { code: after, command: printed };
    if (before === after) return last;
  }
  return last;
}

describe('source hash in a scratch tree', () => {
  let root: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'vigil-source-hash-'));
    mkdirSync(join(root, 'src/a/deep'), { recursive: true });
    mkdirSync(join(root, 'openapi/paths'), { recursive: true });
    const files: Record<string, string> = {
      'package.json': '{"name":"x"}\n',
      'package-lock.json': '{}\n',
      'src/main.ts': 'console.log(1);\n',
      'src/a-b.ts': 'dash sorts before slash\n',
      'src/a/deep/z.ts': 'z\n',
      'src/a/with space.ts': 'space\n',
      'src/a/back\\slash.ts': 'backslash\n',
      'src/a/new\nline.ts': 'newline\n',
      'src/Upper.ts': 'uppercase sorts first\n',
      'src/é.ts': 'non-ascii sorts last\n',
      'src/.hidden': 'dotfiles count\n',
      'src/build-info.json': '{"gitHash":"generated"}\n',
      'openapi/openapi.yaml': 'openapi: 3.1.0\n',
      'openapi/paths/x.yaml': 'x: 1\n',
      'README.md': 'not shipped source\n',
    };
    for (const [path, content] of Object.entries(files)) writeFileSync(join(root, path), content);
    // find -type f neither follows nor lists symbolic links.
    symlinkSync('../package.json', join(root, 'src/link.json'));
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('equals the documented command, odd names and all', () => {
    expect(computeSourceHash({ root })).toBe(shell(SOURCE_HASH_COMMAND, root));
    expect(computeSourceHash({ root })).toMatch(/^[0-9a-f]{64}$/);
  });

  it('hashes the shipped files in bytewise order, without build output, links or other files', () => {
    const files = sourceFiles({ root });
    expect(files).toEqual([
      'openapi/openapi.yaml',
      'openapi/paths/x.yaml',
      'package-lock.json',
      'package.json',
      'src/.hidden',
      'src/Upper.ts',
      'src/a-b.ts',
      'src/a/back\\slash.ts',
      'src/a/deep/z.ts',
      'src/a/new\nline.ts',
      'src/a/with space.ts',
      'src/main.ts',
      'src/é.ts',
    ]);
  });

  it('changes when a source file changes and not when build output changes', () => {
    const before = computeSourceHash({ root });
    writeFileSync(join(root, 'src/build-info.json'), '{"gitHash":"other"}\n');
    expect(computeSourceHash({ root })).toBe(before);
    writeFileSync(join(root, 'src/a/deep/z.ts'), 'z changed\n');
    const after = computeSourceHash({ root });
    expect(after).not.toBe(before);
    expect(after).toBe(shell(SOURCE_HASH_COMMAND, root));
  });
});

describe('source hash of this checkout', () => {
  it('equals the documented command run in the installation directory', () => {
    const { code, command } = stableComparison(() => shell(SOURCE_HASH_COMMAND, VIGIL_ROOT));
    expect(code).toBe(command);
  });

  it('is what `npm run source-hash` prints', () => {
    const { code, command } = stableComparison(() => shell('npm run -s source-hash 2>/dev/null', VIGIL_ROOT));
    expect(code).toBe(command);
  });

  it('covers src/, openapi/ and the package files but not src/build-info.json', () => {
    const files = sourceFiles();
    expect(files).toContain('package.json');
    expect(files).toContain('package-lock.json');
    expect(files).toContain('src/source-hash.ts');
    expect(files).toContain('openapi/openapi.yaml');
    expect(files).not.toContain('src/build-info.json');
    expect(files.every((f) => /^(src\/|openapi\/|package(-lock)?\.json$)/.test(f))).toBe(true);
  });
});
