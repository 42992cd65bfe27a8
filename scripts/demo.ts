// `npm run demo`: starts Vigil with config/local.yaml against this machine's services, seeds a
// little data so every field has something real to measure, and prints each documented
// endpoint's answer. Elasticsearch, Qdrant, SFTPGo and the HTTP front ends are not installed
// here, so the demo serves them with the same small protocol-level servers the tests use.
//
// The services are shared (other people, other demos, the tests): every name the demo creates
// on them (database, streams and their subjects, KV bucket, queue) carries a random suffix, is
// written into a copy of config/local.yaml, and is removed when the demo ends, also on Ctrl-C
// (SIGINT) and SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect as connectNats } from '@nats-io/transport-node';
import amqp from 'amqplib';
import pg from 'pg';
import { pino } from 'pino';
import { createApiKey, createUser } from '../src/identity/index.ts';
import { createStore } from '../src/store/index.ts';
import { freePort } from '../test/support/ports.ts';
import { startElasticsearchServer } from '../test/support/servers/elasticsearch.ts';
import { startHttpServer } from '../test/support/servers/http.ts';
import { startQdrantServer } from '../test/support/servers/qdrant.ts';
import { startSftpgoServer } from '../test/support/servers/sftpgo.ts';

const PG_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/test';
const NATS_URL = 'nats://127.0.0.1:4222';
const RABBIT_URL = 'amqp://guest:guest@127.0.0.1:5672';
const PROCESSORS = ['asr', 'yolo', 'face', 'pose', 'ocr', 'cut', 'scene', 'asrx', 'visual_chunk'];
/** How long one clean-up step may take before the demo gives up on it and goes on. */
const CLEANUP_STEP_MS = 5_000;

/** What this run creates on the shared services, each name unique to the run. */
interface DemoNames {
  readonly suffix: string;
  readonly database: string;
  readonly jobsStream: string;
  readonly dlqStream: string;
  readonly jobsSubject: string;
  readonly dlqSubject: string;
  readonly bucket: string;
  readonly queue: string;
}

function demoNames(suffix = randomBytes(4).toString('hex')): DemoNames {
  return {
    suffix,
    database: `vigil_demo_${suffix}`,
    jobsStream: `VIGIL_DEMO_JOBS_${suffix}`,
    dlqStream: `VIGIL_DEMO_DLQ_${suffix}`,
    jobsSubject: `vigil.demo.${suffix}.jobs`,
    dlqSubject: `vigil.demo.${suffix}.dlq`,
    bucket: `vigil-demo-job-queue-${suffix}`,
    queue: `vigil-demo-jobs-${suffix}`,
  };
}

/** config/local.yaml with this run's names in place of the fixed ones it ships with. */
function withDemoNames(yaml: string, names: DemoNames): string {
  const replacements: [string, string][] = [
    ['vigil_demo', names.database],
    ['VIGIL_DEMO_JOBS', names.jobsStream],
    ['VIGIL_DEMO_DLQ', names.dlqStream],
    ['vigil-demo-job-queue', names.bucket],
    ['vigil-demo-jobs', names.queue],
  ];
  let text = yaml;
  for (const [fixed, unique] of replacements) {
    const pattern = new RegExp(`(?<![\\w-])${fixed}(?![\\w-])`, 'g');
    if (!pattern.test(text)) throw new Error(`config/local.yaml no longer mentions "${fixed}": update scripts/demo.ts`);
    text = text.replace(pattern, unique);
  }
  return text;
}

/** Clean-up steps, run once in reverse order of registration, each bounded in time. */
function createCleanups(): { add(label: string, step: () => Promise<unknown>): void; run(): Promise<void> } {
  const steps: { readonly label: string; readonly step: () => Promise<unknown> }[] = [];
  let running: Promise<void> | undefined;
  return {
    add(label, step) {
      steps.push({ label, step });
    },
    run() {
      running ??= (async () => {
        for (const { label, step } of steps.reverse()) {
          let timer: NodeJS.Timeout | undefined;
          const gaveUp = new Promise<'timeout'>((resolve) => {
            timer = setTimeout(() => resolve('timeout'), CLEANUP_STEP_MS);
          });
          const outcome = await Promise.race([step().then(() => 'done' as const, (error: unknown) => error), gaveUp]);
          clearTimeout(timer);
          if (outcome === 'timeout') console.error(`clean-up: ${label} took too long; left behind`);
          else if (outcome !== 'done') console.error(`clean-up: ${label} failed: ${outcome instanceof Error ? outcome.message : String(outcome)}`);
        }
      })();
      return running;
    },
  };
}

type Cleanups = ReturnType<typeof createCleanups>;

async function seedDatabase(names: DemoNames, cleanups: Cleanups): Promise<void> {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${names.database}`);
  } finally {
    await admin.end();
  }
  cleanups.add(`database ${names.database}`, async () => {
    const dropper = new pg.Client({ connectionString: PG_ADMIN_URL });
    await dropper.connect();
    try {
      // FORCE ends the connections Vigil may still hold on this run's own database.
      await dropper.query(`DROP DATABASE IF EXISTS ${names.database} WITH (FORCE)`);
    } finally {
      await dropper.end();
    }
  });
  const db = new pg.Client({ connectionString: PG_ADMIN_URL.replace(/\/test$/, `/${names.database}`) });
  await db.connect();
  await db.query(`
    CREATE TABLE monitor_jobs (id text PRIMARY KEY, status text NOT NULL);
    CREATE TABLE files (file_uuid text PRIMARY KEY, file_name text NOT NULL, status text NOT NULL, job_id text);
    CREATE TABLE identities (id serial PRIMARY KEY, name text NOT NULL);
    INSERT INTO monitor_jobs VALUES ('job-1', 'running'), ('job-2', 'completed');
    INSERT INTO files VALUES
      ('0b8e6d1c-0001', 'intro.mp4', 'ready', 'job-2'),
      ('0b8e6d1c-0002', 'video.mp4', 'processing', NULL),
      ('0b8e6d1c-0003', 'talk.mp4', 'processing', 'job-1'),
      ('0b8e6d1c-0004', 'outro.mp4', 'processing', 'job-2'),
      ('0b8e6d1c-0005', 'old.mp4', 'unregistered', NULL);
    INSERT INTO identities (name) SELECT 'person-' || n FROM generate_series(1, 3) AS n;
  `);
  await db.end();
}

async function seedNats(names: DemoNames, cleanups: Cleanups): Promise<void> {
  const nc = await connectNats({ servers: NATS_URL, timeout: 3000 });
  cleanups.add(`NATS streams ${names.jobsStream}, ${names.dlqStream} and KV bucket ${names.bucket}`, async () => {
    const cleaner = await connectNats({ servers: NATS_URL, timeout: 3000 });
    try {
      const jsm = await jetstreamManager(cleaner);
      for (const stream of [names.jobsStream, names.dlqStream, `KV_${names.bucket}`]) await jsm.streams.delete(stream).catch(() => false);
    } finally {
      await cleaner.close();
    }
  });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: names.jobsStream, subjects: [`${names.jobsSubject}.>`] });
  await jsm.streams.add({ name: names.dlqStream, subjects: [`${names.dlqSubject}.>`] });
  await jsm.consumers.add(names.jobsStream, { durable_name: 'workers' });
  const js = jsm.jetstream();
  for (let i = 1; i <= 6; i++) await js.publish(`${names.jobsSubject}.${i}`, JSON.stringify({ job: i }));
  await js.publish(`${names.dlqSubject}.5`, JSON.stringify({ job: 5, reason: 'gave up' }));
  const kv = await new Kvm(nc).create(names.bucket);
  const statuses = ['completed', 'completed', 'completed', 'processing', 'pending', 'failed'];
  for (const [index, status] of statuses.entries()) await kv.put(`job-${index + 1}`, JSON.stringify({ status }));
  await nc.drain();
}

async function seedRabbitmq(names: DemoNames, cleanups: Cleanups): Promise<void> {
  const connection = await amqp.connect(RABBIT_URL);
  cleanups.add(`RabbitMQ queue ${names.queue}`, async () => {
    const cleaner = await amqp.connect(RABBIT_URL);
    try {
      const channel = await cleaner.createChannel();
      await channel.deleteQueue(names.queue);
    } finally {
      await cleaner.close();
    }
  });
  const channel = await connection.createChannel();
  await channel.assertQueue(names.queue, { durable: false, autoDelete: false });
  for (let i = 1; i <= 3; i++) channel.sendToQueue(names.queue, Buffer.from(JSON.stringify({ job: i })));
  await channel.close();
  await connection.close();
}

async function seedFiles(root: string): Promise<Record<string, string>> {
  const scripts = join(root, 'scripts');
  const models = join(root, 'models');
  const identities = join(root, 'identities');
  for (const dir of [scripts, models, identities]) await mkdir(dir, { recursive: true });
  const manifest: string[] = [];
  // One top-level script per processor plus a directory of its own (the processors' entries).
  for (const name of [...PROCESSORS, 'common']) {
    const text = `# ${name} processor\nprint("${name}")\n`;
    await writeFile(join(scripts, `${name}.py`), text);
    manifest.push(`${createHash('sha256').update(text).digest('hex')}  ${name}.py`);
    if (name !== 'common') await mkdir(join(scripts, name));
  }
  await writeFile(join(scripts, 'SHA256SUMS'), `${manifest.join('\n')}\n`);
  for (const name of ['whisper.bin', 'yolo.onnx']) await writeFile(join(models, name), randomBytes(64));
  for (let i = 1; i <= 3; i++) await writeFile(join(identities, `person-${i}.json`), '{}');
  return { VIGIL_DEMO_SCRIPTS_DIR: scripts, VIGIL_DEMO_MODELS_DIR: models, VIGIL_DEMO_IDENTITIES_DIR: identities };
}

interface Credentials {
  readonly username: string;
  readonly password: string;
  readonly adminKey: string;
  readonly monitorKey: string;
}

async function createCredentials(storeDir: string): Promise<Credentials> {
  const store = await createStore({ url: undefined, dataDir: storeDir }, pino({ level: 'silent' }));
  try {
    const password = randomBytes(12).toString('base64url');
    await createUser(store, { username: 'demo-admin', password, role: 'admin' });
    const admin = await createApiKey(store, { name: 'demo-console', admin: true });
    const monitor = await createApiKey(store, { name: 'demo-monitor', role: 'viewer', scopes: ['status:read', 'health:read'] });
    return { username: 'demo-admin', password, adminKey: admin.key, monitorKey: monitor.key };
  } finally {
    await store.close();
  }
}

async function waitFor(url: string, headers: Record<string, string>, ok: (res: Response) => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await ok(await fetch(url, { headers, signal: AbortSignal.timeout(2000) }))) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`Vigil did not become ready at ${url}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function show(title: string, url: string, init: RequestInit = {}): Promise<void> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  let body = text;
  try {
    body = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    // text/plain answers are printed as they are
  }
  console.log(`\n=== ${title}\n--- HTTP ${res.status}\n${body.trimEnd()}`);
}

async function main(cleanups: Cleanups): Promise<void> {
  const names = demoNames();
  const root = await mkdtemp(join(tmpdir(), 'vigil-demo-'));
  cleanups.add(`temporary directory ${root}`, () => rm(root, { recursive: true, force: true }));
  const [es, qdrant, sftpgo, container, adminUi, userUi] = await Promise.all([
    startElasticsearchServer({ clusterName: 'demo-cluster' }),
    startQdrantServer({ collections: ['faces', 'scenes'], version: '1.12.0' }),
    startSftpgoServer(),
    startHttpServer({ answer: { body: '{"status":"up"}', contentType: 'application/json' } }),
    startHttpServer({ answer: { body: '<html>admin</html>', contentType: 'text/html' } }),
    startHttpServer({ answer: { body: '<html>app</html>', contentType: 'text/html' } }),
  ]);
  for (const server of [es, qdrant, sftpgo, container, adminUi, userUi]) cleanups.add('a stand-in server', () => server.close());
  console.log('stand-ins for Elasticsearch, Qdrant, SFTPGo and three HTTP targets are listening on loopback');

  await Promise.all([seedDatabase(names, cleanups), seedNats(names, cleanups), seedRabbitmq(names, cleanups)]);
  const dirs = await seedFiles(root);
  const storeDir = join(root, 'store');
  const credentials = await createCredentials(storeDir);
  const configFile = join(root, 'vigil.yaml');
  await writeFile(configFile, withDemoNames(await readFile('config/local.yaml', 'utf8'), names));
  console.log(
    `seeded PostgreSQL (${names.database}), NATS JetStream (${names.jobsStream}, ${names.dlqStream}, KV ${names.bucket}), ` +
      `RabbitMQ (${names.queue}), files, and an admin user with two API keys; all removed when the demo ends`,
  );

  const port = await freePort();
  const hasuraSecret = randomBytes(16).toString('hex');
  const env = {
    ...process.env,
    ...dirs,
    VIGIL_STORE__DATA_DIR: storeDir,
    VIGIL_DEMO_HASURA_SECRET: hasuraSecret,
    VIGIL_DEMO_ES_URL: es.url,
    VIGIL_DEMO_QDRANT_URL: qdrant.url,
    VIGIL_DEMO_SFTPGO_URL: `${sftpgo.url}/api/v2/status`,
    VIGIL_DEMO_CONTAINER_URL: container.url,
    VIGIL_DEMO_ADMIN_UI_URL: adminUi.url,
    VIGIL_DEMO_USER_UI_URL: userUi.url,
    VIGIL_SERVER__PORT: String(port),
  };
  const vigil: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--config', configFile], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  cleanups.add('Vigil', async () => {
    if (vigil.exitCode !== null || vigil.signalCode !== null) return;
    const exited = new Promise((resolve) => vigil.once('exit', resolve));
    vigil.kill('SIGTERM');
    await exited;
  });
  const hasura = { 'x-hasura-admin-secret': hasuraSecret, 'x-hasura-role': 'admin' };
  const exited = new Promise<never>((_resolve, reject) =>
    vigil.once('exit', (code) => reject(new Error(`Vigil exited with code ${code} before it was ready`))),
  );
  exited.catch(() => undefined);
  const base = `http://127.0.0.1:${port}`;
  // Every source has reported once when /healthz/sources lists them all.
  await Promise.race([
    exited,
    waitFor(`${base}/healthz/sources`, hasura, async (res) => {
      const seen = Object.keys((await res.json()) as object).length;
      if (process.env.VIGIL_DEMO_DEBUG) console.error(`sources reported: ${seen} (HTTP ${res.status})`);
      return res.ok && seen >= 17;
    }, 90_000),
  ]);
  const login = await fetch(`${base}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: credentials.username, password: credentials.password }),
  });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const sessionId = cookie.replace(/^psession=/, '');
  console.log(`Vigil is up at ${base} (logged in as ${credentials.username}: HTTP ${login.status})`);

  const admin = { authorization: `Bearer ${credentials.adminKey}`, 'content-type': 'application/json' };
  const monitor = { 'x-api-key': credentials.monitorKey };
  await show('000 POST /api/v1/system-health-check', `${base}/api/v1/system-health-check`, {
    method: 'POST',
    headers: admin,
    body: JSON.stringify({ SessionID: sessionId }),
  });
  await show('001 GET /health', `${base}/health`);
  await show('001 GET /health/detailed', `${base}/health/detailed`, { headers: monitor });
  await show('001 GET /health/consistency', `${base}/health/consistency`, { headers: monitor });
  await show('001 GET /api/v1/stats/sftpgo', `${base}/api/v1/stats/sftpgo`);
  await show('002 GET /v1/health', `${base}/v1/health`);
  await show('002 GET /v1/admin/health', `${base}/v1/admin/health`, { headers: { cookie } });
  await show('003 GET /health/status', `${base}/health/status`, { headers: monitor });
  await show('004 GET /healthz', `${base}/healthz`);
  await show('004 GET /healthz/sources', `${base}/healthz/sources`, {
    headers: hasura,
  });
  await show('GET /readyz?verbose', `${base}/readyz?verbose`);
}

const cleanups = createCleanups();
// Ctrl-C or a SIGTERM mid-run still removes what this run created on the shared services.
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: removing what the demo created`);
    void cleanups.run().finally(() => process.exit(code));
  });
}

main(cleanups)
  .catch((error: unknown) => {
    console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  })
  .finally(() => cleanups.run());
