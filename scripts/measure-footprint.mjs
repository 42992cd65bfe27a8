#!/usr/bin/env node
// Measures a Vigil process's resident memory and CPU, idle and under a keep-alive load on
// loopback: the figures behind deploy/kubernetes' requests and limits. Linux only (/proc).
//   node scripts/measure-footprint.mjs [--seconds 15] [--clients 16] [--store-url postgres://...]
// Without --store-url Vigil keeps its store embedded (PGlite), which dominates its memory.
// Runs dist/src/main.js under plain node when it is built, else src/main.ts under tsx.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(args[at + 1]);
};
const SECONDS = option('seconds', 15);
const STORE_URL = args.includes('--store-url') ? args[args.indexOf('--store-url') + 1] : undefined;
const CLIENTS = option('clients', 16);
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

function sample(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
  return { rssMiB: rssKb / 1024, cpuSeconds: ticks / TICKS_PER_SECOND, at: Date.now() };
}

/** Samples every 250 ms for `seconds`; returns peak RSS and mean CPU in cores. */
async function observe(pid, seconds) {
  const first = sample(pid);
  let peak = first.rssMiB;
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    await sleep(250);
    peak = Math.max(peak, sample(pid).rssMiB);
  }
  const last = sample(pid);
  return { peakRssMiB: peak, endRssMiB: last.rssMiB, cores: (last.cpuSeconds - first.cpuSeconds) / ((last.at - first.at) / 1000) };
}

function load(port, seconds) {
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const paths = ['/health', '/readyz', '/livez', '/v1/health', '/healthz', '/metrics'];
  const end = Date.now() + seconds * 1000;
  let done = 0;
  const client = async (index) => {
    for (let i = index; Date.now() < end; i += 1) {
      await new Promise((resolve) => {
        const req = request({ host: '127.0.0.1', port, path: paths[i % paths.length], agent }, (res) => {
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', resolve);
        req.end();
      });
      done += 1;
    }
  };
  return Promise.all(Array.from({ length: CLIENTS }, (_, index) => client(index))).then(() => {
    agent.destroy();
    return done;
  });
}

const port = await freePort();
const dir = mkdtempSync(join(tmpdir(), 'vigil-footprint-'));
const config = join(dir, 'vigil.yaml');
writeFileSync(
  config,
  `server:\n  port: ${port}\n  shutdown_delay: 0s\nstore:\n  ${STORE_URL ? `url: ${STORE_URL}` : `data_dir: ${join(dir, 'data')}`}\nsources:\n  - name: host\n    kind: resources\n    interval: 10s\nlog:\n  level: warn\n`,
);
const built = existsSync(join(ROOT, 'dist/src/main.js'));
const command = built ? [join(ROOT, 'dist/src/main.js')] : ['--import', 'tsx', join(ROOT, 'src/main.ts')];
const child = spawn(process.execPath, [...command, '--config', config], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
let startPeakMiB = 0;
try {
  for (let tries = 0; ; tries += 1) {
    startPeakMiB = Math.max(startPeakMiB, sample(child.pid).rssMiB);
    const up = await new Promise((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/livez' }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
      req.end();
    });
    if (up) break;
    if (tries > 1200) throw new Error('vigil did not start within 2 minutes');
    await sleep(100);
  }
  await sleep(3_000); // let start-up work settle
  const idle = await observe(child.pid, SECONDS);
  startPeakMiB = Math.max(startPeakMiB, idle.peakRssMiB);
  const [requests, busy] = await Promise.all([load(port, SECONDS), observe(child.pid, SECONDS)]);
  const figures = {
    runtime: built ? 'node dist/src/main.js' : 'node --import tsx src/main.ts',
    node: process.version,
    store: STORE_URL ? 'postgres' : 'embedded (PGlite)',
    startPeakRssMiB: Math.round(startPeakMiB),
    idle: { rssMiB: Math.round(idle.endRssMiB), cpuMillicores: Math.round(idle.cores * 1000) },
    load: {
      clients: CLIENTS,
      requestsPerSecond: Math.round(requests / SECONDS),
      peakRssMiB: Math.round(busy.peakRssMiB),
      cpuMillicores: Math.round(busy.cores * 1000),
    },
  };
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
} finally {
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
}
