// The Dockerfile's rules, checked on the parsed file (dockerfile-ast) plus the linter of the
// Dockerfile language server (dockerfile-utils). The image's run-time contract (entrypoint in
// a PID namespace, read-only tree, kill -9, restart) is tested in package.test.ts.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { NODE_FLAGS } from '../../src/node-flags.ts';
import { isCopy, readImageContract } from '../support/dockerfile.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DOCKERFILE = join(ROOT, 'Dockerfile');
const image = readImageContract(DOCKERFILE);
const IMAGE_CONFIG = '/etc/vigil/vigil.yaml';
const CONFIG_SOURCE = 'deploy/container/vigil.yaml';
const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));

describe('the Dockerfile', () => {
  it('has no problem the Dockerfile linter reports', () => {
    expect(validate(readFileSync(DOCKERFILE, 'utf8')).map((d) => `${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
  });

  it('is multi-stage: the runtime stage copies the build output from the build stage only', () => {
    expect(image.stages.length).toBeGreaterThanOrEqual(2);
    const [build, runtime] = [image.stages[0]!, image.stages.at(-1)!];
    expect(build.name).toBe('build');
    const runtimeCopies = runtime.instructions.filter(isCopy);
    const fromBuild = runtimeCopies.filter((copy) => copy.getFromFlag()?.getValue() === 'build').map((copy) => copy.getArgumentsContent() ?? '');
    for (const built of ['/app/dist', '/app/node_modules', '/app/openapi']) expect(fromBuild.some((args) => args.includes(built)), built).toBe(true);
    // No compiler or tsx in the runtime stage: nothing is installed or built there.
    expect(runtime.instructions.filter((i) => i.getKeyword() === 'RUN').map((i) => i.getArgumentsContent())).not.toContainEqual(expect.stringMatching(/npm (ci|install)|build/));
    const buildRuns = build.instructions.filter((i) => i.getKeyword() === 'RUN').map((i) => i.getArgumentsContent() ?? '').join('\n');
    expect(buildRuns).toContain('npm ci');
    expect(buildRuns).toContain('npm run build');
    expect(buildRuns).toContain('npm prune --omit=dev');
  });

  it('runs as a non-root user, with the data directory a volume that user owns', () => {
    expect(image.user).toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(image.user);
    // The data directory comes from the image's configuration file, not from a VIGIL_* variable
    // (which would override any file mounted over it, e.g. Kubernetes' ConfigMap).
    expect(Object.keys(image.env).filter((name) => name.startsWith('VIGIL_') && name !== 'VIGIL_CONFIG')).toEqual([]);
    expect(image.env.VIGIL_CONFIG).toBe(IMAGE_CONFIG);
    const config = parse(readFileSync(join(ROOT, CONFIG_SOURCE), 'utf8')) as { store: { data_dir: string }; server: { host: string; port: number } };
    expect(config.store.data_dir).toBe('/data');
    expect(config.server).toMatchObject({ host: '0.0.0.0', port: 8080 });
    const copied = image.stages.at(-1)!.instructions.filter(isCopy).map((copy) => copy.getArgumentsContent());
    expect(copied).toContain(`${CONFIG_SOURCE} ${IMAGE_CONFIG}`);
    expect(image.volumes).toContain('/data');
    const runs = image.stages.at(-1)!.instructions.filter((i) => i.getKeyword() === 'RUN').map((i) => i.getArgumentsContent() ?? '');
    expect(runs.join('\n')).toMatch(new RegExp(`chown ${image.user}(:\\S+)? /data`));
  });

  it('starts Vigil in exec form (node is PID 1 and gets the signals), stops with SIGTERM', () => {
    // With Vigil's node flags, as npm start runs it (src/node-flags.ts).
    expect(image.command.slice(0, 2 + NODE_FLAGS.length)).toEqual(['node', ...NODE_FLAGS, '/app/bin/vigil.mjs']);
    expect(image.command).toContain('serve');
    const stop = image.stages.at(-1)!.instructions.find((i) => i.getKeyword() === 'STOPSIGNAL');
    expect(stop?.getArgumentsContent()).toBe('SIGTERM');
  });

  it('checks health on /livez with node, no curl needed', () => {
    expect(image.healthcheck?.[0]).toBe('node');
    const script = image.healthcheck?.[1]?.replace(/^\/app\//, '') ?? '';
    expect(readFileSync(join(ROOT, script), 'utf8')).toContain('/livez');
  });

  it('bakes the build info at build time from a build argument (no .git in the context)', () => {
    const build = image.stages[0]!.instructions;
    expect(build.some((i) => i.getKeyword() === 'ARG' && i.getArgumentsContent()?.startsWith('VIGIL_GIT_HASH'))).toBe(true);
    expect(build.some((i) => i.getKeyword() === 'RUN' && /VIGIL_GIT_HASH=.*npm run build/.test(i.getArgumentsContent() ?? ''))).toBe(true);
  });

  it('fetches nothing with ADD and copies only files the build context holds', () => {
    const all = image.stages.flatMap((s) => s.instructions);
    expect(all.filter((i) => i.getKeyword() === 'ADD')).toEqual([]);
    for (const copy of all.filter(isCopy)) {
      if (copy.getFromFlag()) continue;
      const args = (copy.getArgumentsContent() ?? '').split(/\s+/);
      for (const source of args.slice(0, -1)) {
        expect(existsSync(join(ROOT, source)), source).toBe(true);
        expect(ignored.some((pattern) => source === pattern || source.startsWith(`${pattern}/`)), `${source} is in .dockerignore`).toBe(false);
      }
    }
  });

  it('keeps history, local data, builds and dependencies out of the build context', () => {
    for (const entry of ['.git', 'node_modules', 'dist', '.vigil-data', 'test', '.env']) expect(ignored).toContain(entry);
  });
});
