import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFilesystemCheck, globToRegExp } from '../../src/checks/filesystem.ts';
import { runCheck } from '../../src/checks/run-check.ts';
import { CheckConfigError } from '../../src/checks/types.ts';
import { sourceDefinition } from '../support/source-states.ts';

function fsSource(options: Record<string, unknown>) {
  const definition = { ...sourceDefinition('pipeline', 'filesystem'), options };
  const check = createFilesystemCheck(definition);
  return { check, run: () => runCheck(definition, check) };
}

describe('the filesystem check', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'vigil-fs-'));
    await writeFile(join(root, 'asr.py'), 'print("asr")\n');
    await writeFile(join(root, 'ocr.py'), 'print("ocr")\n');
    await writeFile(join(root, 'README.md'), '# scripts\n');
    await writeFile(join(root, '.hidden.py'), '');
    await mkdir(join(root, 'yolo'));
    await mkdir(join(root, 'nested.py'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('counts the files matching the pattern, directly in the directory, and follows a file being added', async () => {
    const { run } = fsSource({ path: root, pattern: '*.py' });
    const first = await run();
    expect(first.status).toBe('ok');
    expect(first.details).toEqual({ path: root, directory_exists: true, files_count: 2, entries: {}, integrity: null, executables: {} });

    await writeFile(join(root, 'face.py'), 'print("face")\n');
    expect((await run()).details).toMatchObject({ files_count: 3 });
  });

  it('counts every visible file without a pattern', async () => {
    expect((await fsSource({ path: root }).run()).details).toMatchObject({ files_count: 3 });
  });

  it('reports each named entry and degrades while one is missing', async () => {
    const { run } = fsSource({ path: root, entries: ['yolo', 'asr.py', 'pose'] });
    const missing = await run();
    expect(missing.status).toBe('degraded');
    expect(missing.error).toBe(`filesystem: ${root}: missing pose`);
    expect(missing.details?.entries).toEqual({ yolo: true, 'asr.py': true, pose: false });

    await mkdir(join(root, 'pose'));
    const complete = await run();
    expect(complete.status).toBe('ok');
    expect(complete.details?.entries).toEqual({ yolo: true, 'asr.py': true, pose: true });
  });

  it('verifies a sha256sum manifest and follows a file being changed', async () => {
    const { stdout } = await promisify(execFile)('sha256sum', ['asr.py', 'ocr.py', 'README.md'], { cwd: root });
    await writeFile(join(root, 'SHA256SUMS'), stdout);
    const { run } = fsSource({ path: root, manifest: 'SHA256SUMS' });

    const intact = await run();
    expect(intact.status).toBe('ok');
    expect(intact.details?.integrity).toEqual({ matched: 3, total: 3, ok: true });

    await writeFile(join(root, 'ocr.py'), 'print("tampered")\n');
    const tampered = await run();
    expect(tampered.status).toBe('degraded');
    expect(tampered.details?.integrity).toEqual({ matched: 2, total: 3, ok: false });
    expect(tampered.error).toBe(`filesystem: ${root}: 2/3 files match the manifest`);

    // README.md is listed but gone: two files are present, one matches, and a listed file is missing.
    await rm(join(root, 'README.md'));
    const removed = await run();
    expect(removed.details?.integrity).toEqual({ matched: 1, total: 2, ok: false });
    expect(removed.error).toBe(`filesystem: ${root}: 1/2 files match the manifest; listed but missing: README.md`);
  });

  it('counts the scripts present in the integrity total: an unlisted script is unmatched', async () => {
    const { stdout } = await promisify(execFile)('sha256sum', ['asr.py', 'ocr.py'], { cwd: root });
    await writeFile(join(root, 'SHA256SUMS'), stdout);
    const { run } = fsSource({ path: root, pattern: '*.py', manifest: 'SHA256SUMS' });
    const listed = await run();
    expect(listed.status).toBe('ok');
    expect(listed.details).toMatchObject({ files_count: 2, integrity: { matched: 2, total: 2, ok: true } });

    // 001's example: total = scripts_count, and every unlisted script counts against matched.
    await writeFile(join(root, 'face.py'), 'print("face")\n');
    const unlisted = await run();
    expect(unlisted.status).toBe('degraded');
    expect(unlisted.details).toMatchObject({ files_count: 3, integrity: { matched: 2, total: 3, ok: false } });
    expect(unlisted.error).toBe(`filesystem: ${root}: 2/3 files match the manifest; not in the manifest: face.py`);
  });

  it('does not count the manifest itself as a script', async () => {
    const { stdout } = await promisify(execFile)('sha256sum', ['asr.py', 'ocr.py', 'README.md'], { cwd: root });
    await writeFile(join(root, 'SHA256SUMS'), stdout);
    const result = await fsSource({ path: root, manifest: 'SHA256SUMS' }).run();
    expect(result.status).toBe('ok');
    expect(result.details).toMatchObject({ files_count: 3, integrity: { matched: 3, total: 3, ok: true } });
  });

  it('degrades when the manifest cannot be read', async () => {
    const result = await fsSource({ path: root, manifest: join(root, 'absent.sums') }).run();
    expect(result.status).toBe('degraded');
    expect(result.details?.integrity).toEqual({ matched: 0, total: 0, ok: false });
    expect(result.error).toContain('cannot be read');
  });

  it('looks executables up on PATH', async () => {
    const result = await fsSource({ path: root, executables: ['node', 'sh', 'vigil-no-such-tool'] }).run();
    expect(result.status).toBe('degraded');
    expect(result.details?.executables).toEqual({ node: true, sh: true, 'vigil-no-such-tool': false });
    expect(result.error).toBe(`filesystem: ${root}: not on PATH: vigil-no-such-tool`);
  });

  it('reports a missing directory as error, still with its details', async () => {
    const { run } = fsSource({ path: root, entries: ['yolo'], executables: ['sh'] });
    expect((await run()).status).toBe('ok');
    await rm(root, { recursive: true });
    const gone = await run();
    expect(gone.status).toBe('error');
    expect(gone.error).toBe(`filesystem: directory ${root} does not exist`);
    expect(gone.details).toEqual({ path: root, directory_exists: false, files_count: 0, entries: { yolo: false }, integrity: null, executables: { sh: true } });
  });

  it.each([
    [{}, 'option "path" must be set'],
    [{ path: '/tmp', entries: 'yolo' }, 'option "entries" must be a list of strings'],
    [{ path: '/tmp', executables: [1] }, 'option "executables" must be a list of strings'],
  ])('refuses the options %j', (options, message) => {
    const definition = { ...sourceDefinition('pipeline', 'filesystem'), options };
    expect(() => createFilesystemCheck(definition)).toThrow(CheckConfigError);
    expect(() => createFilesystemCheck(definition)).toThrow(message);
  });
});

describe('the filesystem pattern', () => {
  it.each([
    ['*.py', 'asr.py', true],
    ['*.py', 'asr.pyc', false],
    ['*.py', 'asrpy', false],
    ['model-?.bin', 'model-1.bin', true],
    ['model-?.bin', 'model-12.bin', false],
    ['*', 'anything', true],
    ['[a].txt', '[a].txt', true],
  ])('%s against %s is %s', (pattern, name, matches) => {
    expect(globToRegExp(pattern).test(name)).toBe(matches);
  });
});
