// The SDK as a user gets it: `npm pack` of packages/client (its prepack builds JS and .d.ts),
// installed into a temporary project outside the repository, type-checked there with
// `tsc --noEmit`, and run with plain node against a running Vigil: three operations, one of
// them with a credential given by the caller. The package's version is the spec's.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createApiKey } from '../../src/identity/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PACKAGE_DIR = join(ROOT, 'packages/client');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const work = mkdtempSync(join(tmpdir(), 'vigil-sdk-'));
const project = join(work, 'consumer');

let vigil: TestApp;
let apiKey: string;

function run(file: string, args: readonly string[], cwd: string): string {
  try {
    return execFileSync(file, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' } });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${file} ${args.join(' ')} failed in ${cwd}:\n${failed.stdout ?? ''}${failed.stderr ?? ''}`);
  }
}

/**
 * Node in the consumer project, asynchronously: Vigil runs in this test's own event loop, so a
 * synchronous child calling it would wait forever.
 */
async function runNode(args: readonly string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [...args], { cwd: project, encoding: 'utf8', timeout: 60_000 });
  return stdout;
}

/** tsc in the consumer project; returns its diagnostics ('' when the project type-checks). */
function typecheck(): string {
  try {
    execFileSync(process.execPath, [TSC, '--noEmit', '-p', project], { cwd: project, encoding: 'utf8', stdio: 'pipe' });
    return '';
  } catch (error) {
    return (error as { stdout?: string }).stdout ?? String(error);
  }
}

const CONSUMER = (baseUrl: string, key: string) => `// @ts-check
import { createVigilClient, getHealth, getHealthDetailed, getReadyz } from 'vigil-client';

const client = createVigilClient({ baseUrl: ${JSON.stringify(baseUrl)}, credentials: { apiKey: ${JSON.stringify(key)} } });
const anonymous = createVigilClient({ baseUrl: ${JSON.stringify(baseUrl)} });

const health = await getHealth({ client });
const readyz = await getReadyz({ client, parseAs: 'text' });
const detailed = await getHealthDetailed({ client });
const refused = await getHealthDetailed({ client: anonymous });

/** @type {string | undefined} */
const status = health.data?.status;
console.log(JSON.stringify({
  health: [health.response.status, status],
  readyz: [readyz.response.status],
  detailed: [detailed.response.status, typeof detailed.data],
  refused: [refused.response.status],
}));
`;

beforeAll(async () => {
  vigil = await startTestApp();
  apiKey = (await createApiKey(vigil.deps.store, { name: 'sdk', scopes: ['health:read'] })).key;

  run('npm', ['pack', '--pack-destination', work, '--silent'], PACKAGE_DIR);
  const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'));
  if (!tarball) throw new Error('npm pack wrote no tarball');

  run('mkdir', ['-p', project], work);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        lib: ['ES2023', 'DOM'],
        types: [],
        allowJs: true,
        checkJs: true,
        strict: true,
        noEmit: true,
      },
      include: ['*.mjs'],
    }),
  );
  run('npm', ['install', join(work, tarball), '--no-audit', '--no-fund', '--prefer-offline', '--silent'], project);
  writeFileSync(join(project, 'main.mjs'), CONSUMER(vigil.baseUrl, apiKey));
}, 240_000);

afterAll(async () => {
  await vigil?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('the vigil-client package', () => {
  it('carries the spec version and a README', () => {
    const spec = parse(readFileSync(join(ROOT, 'openapi/openapi.yaml'), 'utf8')) as { info: { version: string } };
    const installed = JSON.parse(readFileSync(join(project, 'node_modules/vigil-client/package.json'), 'utf8')) as { version: string; name: string };
    expect(installed.name).toBe('vigil-client');
    expect(installed.version).toBe(spec.info.version);
    expect(readFileSync(join(project, 'node_modules/vigil-client/README.md'), 'utf8')).toContain('createVigilClient');
    // Built JS and declarations, no sources or generated TypeScript shipped.
    const shipped = readdirSync(join(project, 'node_modules/vigil-client/dist'), { recursive: true }).map(String);
    expect(shipped).toContain('index.js');
    expect(shipped).toContain('index.d.ts');
    expect(shipped.some((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toBe(false);
  });

  it('type-checks in a project outside the repository, and a wrong field does not', () => {
    expect(typecheck()).toBe('');
    writeFileSync(join(project, 'wrong.mjs'), `// @ts-check\nimport { getHealth } from 'vigil-client';\nconst { data } = await getHealth({ baseUrl: 'x' });\nconsole.log(data?.statuz);\n`);
    try {
      expect(typecheck()).toMatch(/statuz/);
    } finally {
      rmSync(join(project, 'wrong.mjs'));
    }
  }, 120_000);

  it('calls three operations on a running Vigil with plain node, with the caller’s base URL and credential', async () => {
    const out = await runNode(['main.mjs']);
    const result = JSON.parse(out.trim()) as Record<string, unknown[]>;
    expect(result.health).toEqual([200, 'ok']);
    expect(result.readyz).toEqual([200]);
    expect(result.detailed).toEqual([200, 'object']);
    // The credential is what made the difference.
    expect(result.refused?.[0]).toBe(401);
  }, 60_000);

  it('refuses a base URL that is not an http(s) URL', async () => {
    const out = await runNode([
      '--input-type=module',
      '-e',
      "import { createVigilClient } from 'vigil-client'; try { createVigilClient({ baseUrl: '127.0.0.1:8080' }); } catch (e) { console.log(e.message); }",
    ]);
    expect(out).toContain('baseUrl must be an http(s) URL');
  });
});
