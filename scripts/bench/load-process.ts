// The load generator's own process (forked by load-generator.ts): floods run here so that the
// client's work neither shares Vigil's event loop nor shows in Vigil's memory figures.
import { flood, type FloodInput } from './load.ts';
import type { LoadReply, LoadRequest } from './load-generator.ts';

function ipcSender(): (message: LoadReply) => void {
  const send = process.send?.bind(process);
  if (!send) throw new Error('load-process.ts is started by load-generator.ts (with an IPC channel)');
  return (message) => void send(message);
}

const reply = ipcSender();

process.on('message', (message: LoadRequest) => {
  const input: FloodInput = message.input;
  flood(input).then(
    (result) => reply({ id: message.id, result }),
    (error: unknown) => reply({ id: message.id, error: error instanceof Error ? error.message : String(error) }),
  );
});
// The parent went away (finished, or died): nothing is left to do.
process.once('disconnect', () => process.exit(0));
reply({ id: 0, ready: true });
