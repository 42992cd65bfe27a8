// `npm run demo` on the shared services: two demos at once use names of their own, and each
// removes what it created when it is stopped mid-run (SIGTERM, and Ctrl-C's SIGINT): the
// database, both streams, the KV bucket and the queue are gone afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect as connectNats } from '@nats-io/transport-node';
import amqp from 'amqplib';
import pg from 'pg';
import { describe, expect, it } from 'vitest';

const PG_URL = process.env.VIGIL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const NATS_URL = process.env.VIGIL_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const RABBIT_URL = process.env.VIGIL_TEST_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

interface SeededNames {
  readonly database: string;
  readonly streams: readonly string[];
  readonly bucket: string;
  readonly queue: string;
}

interface RunningDemo {
  readonly child: ChildProcess;
  /** Resolves with the names once the demo says it has seeded the shared services. */
  readonly seeded: Promise<SeededNames>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

const SEEDED = /seeded PostgreSQL \((\w+)\), NATS JetStream \((\w+), (\w+), KV ([\w-]+)\), RabbitMQ \(([\w-]+)\)/;

function startDemo(): RunningDemo {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const seeded = new Promise<SeededNames>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = SEEDED.exec(output);
      if (match) resolve({ database: match[1]!, streams: [match[2]!, match[3]!, `KV_${match[4]!}`], bucket: match[4]!, queue: match[5]! });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', () => reject(new Error(`the demo ended before seeding: ${output.slice(-2_000)}`)));
  });
  seeded.catch(() => undefined);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, seeded, exited, output: () => output };
}

async function databaseExists(name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
  } finally {
    await client.end();
  }
}

async function streamsLeft(names: readonly string[]): Promise<string[]> {
  const nc = await connectNats({ servers: NATS_URL });
  try {
    const jsm = await jetstreamManager(nc);
    const left: string[] = [];
    for (const name of names) if (await jsm.streams.info(name).then(() => true, () => false)) left.push(name);
    return left;
  } finally {
    await nc.close();
  }
}

async function queueExists(name: string): Promise<boolean> {
  const connection = await amqp.connect(RABBIT_URL);
  try {
    // checkQueue on a missing queue closes its channel with 404: use a throwaway one.
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    return await channel.checkQueue(name).then(() => true, () => false);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

async function existing(names: SeededNames): Promise<string[]> {
  const found: string[] = [];
  if (await databaseExists(names.database)) found.push(names.database);
  found.push(...(await streamsLeft(names.streams)));
  if (await queueExists(names.queue)) found.push(names.queue);
  return found;
}

describe('npm run demo on the shared services', () => {
  it('uses names of its own per run and removes them on SIGTERM and on SIGINT', { timeout: 120_000 }, async () => {
    const first = startDemo();
    const second = startDemo();
    try {
      const [a, b] = await Promise.all([first.seeded, second.seeded]);
      // Two runs at once do not share (or clobber) a single name.
      expect(a.database).not.toBe(b.database);
      expect(a.streams.filter((name) => b.streams.includes(name))).toEqual([]);
      expect(a.queue).not.toBe(b.queue);
      expect(a.database).not.toBe('vigil_demo');
      expect(await existing(a)).toEqual([a.database, ...a.streams, a.queue]);
      expect(await existing(b)).toEqual([b.database, ...b.streams, b.queue]);

      first.child.kill('SIGTERM');
      second.child.kill('SIGINT');
      const [firstExit, secondExit] = await Promise.all([first.exited, second.exited]);
      expect(firstExit.code, first.output()).toBe(143);
      expect(secondExit.code, second.output()).toBe(130);
      expect(await existing(a)).toEqual([]);
      expect(await existing(b)).toEqual([]);
    } finally {
      for (const demo of [first, second]) if (demo.child.exitCode === null) demo.child.kill('SIGKILL');
    }
  });
});
