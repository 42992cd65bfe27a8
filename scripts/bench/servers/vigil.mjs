// Vigil itself, run as `npm start` runs it: the built dist/ (the bench builds it first) under
// plain node, without tsx (which adds some 80 MiB to a process's RSS). Plain JavaScript for that
// reason; speaks the same IPC as ipc.ts (ready, memory, log-counts).
import { startVigil } from '../../../dist/src/main.js';
import { createLogger } from '../../../dist/src/log.js';

const send = (message) => process.send?.(message);

try {
  const { configPath, logLevel } = JSON.parse(process.argv[2] ?? '{}');
  // Production's logger (JSON lines, redaction), written nowhere; the bench asks how many
  // results turned `timeout` and how many warnings or errors were logged.
  const counts = { timeouts: 0, warnings: 0, firstWarning: '' };
  const logger = createLogger({
    level: logLevel ?? 'info',
    destination: {
      write(line) {
        if (line.includes('"status":"timeout"')) counts.timeouts += 1;
        if (/^\{"level":[4-6]\d/.test(line)) {
          counts.warnings += 1;
          counts.firstWarning ||= line.slice(0, 400);
        }
      },
    },
  });
  const running = await startVigil({ argv: ['--config', configPath], env: {}, logger });
  send({ type: 'ready', url: running.url, pid: process.pid });
  process.on('message', (message) => {
    if (message.type === 'log-counts') send({ type: 'log-counts', ...counts });
    if (message.type === 'memory') {
      globalThis.gc?.();
      globalThis.gc?.();
      const { rss, heapUsed } = process.memoryUsage();
      send({ type: 'memory', rssBytes: rss, heapUsedBytes: heapUsed });
    }
  });
  const finish = () => void running.shutdown('bench finished', { skipDelay: true }).finally(() => process.exit(0));
  process.once('SIGTERM', finish);
  process.once('disconnect', finish);
} catch (error) {
  send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
}
