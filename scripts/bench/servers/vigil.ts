// Vigil itself, started the way `npm start` starts it (src/main.ts) from a configuration file.
import { startVigil } from '../../../src/main.ts';
import { createLogger } from '../../../src/log.ts';
import { benchOptions, failBench, serveBench } from './ipc.ts';

try {
  const { configPath, logLevel } = benchOptions<{ configPath: string; logLevel?: string }>();
  // Production's logger (JSON lines, redaction), written nowhere; the bench asks how many
  // results turned `timeout` and how many warnings or errors were logged.
  const counts = { timeouts: 0, warnings: 0, firstWarning: '' };
  const logger = createLogger({
    level: logLevel ?? 'info',
    destination: {
      write(line: string) {
        if (line.includes('"status":"timeout"')) counts.timeouts += 1;
        if (/^\{"level":[4-6]\d/.test(line)) {
          counts.warnings += 1;
          counts.firstWarning ||= line.slice(0, 400);
        }
      },
    },
  });
  const running = await startVigil({ argv: ['--config', configPath], env: {}, logger });
  process.on('message', (message: { type: string }) => {
    if (message.type === 'log-counts') process.send?.({ type: 'log-counts', ...counts });
  });
  serveBench(running.url, () => running.shutdown('bench finished'));
} catch (error) {
  failBench(error);
}
