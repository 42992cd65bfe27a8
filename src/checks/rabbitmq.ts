// RabbitMQ: one long-lived AMQP connection per source; each probe opens and closes a channel,
// and checks each configured queue (messages, consumers) in a throwaway channel of its own.
// A configured queue that does not exist makes the source `degraded` (the broker works; the
// application's queue is missing), not `error`.
import amqp from 'amqplib';
import type { RabbitDetails, RabbitQueueDetails } from './details.ts';
import { endpointOptions, readEndpoint } from './endpoint.ts';
import { connectionAgeOption, createLazyClient, probeOnClient } from './lazy-client.ts';
import { kindOptions, option, readOptions } from './options.ts';
import { backstopMs, phasesOf } from './probe.ts';
import type { Check, CheckOutcome, SourceDefinition } from './types.ts';

const AMQP_NOT_FOUND = 404;
/** How long a graceful connection close may take before its socket is destroyed. */
const CLOSE_GRACE_MS = 1_000;

function streamOf(connection: amqp.ChannelModel): { destroy(): void } | undefined {
  // amqplib keeps the socket on the connection; the typings leave it out.
  return (connection.connection as unknown as { stream?: { destroy(): void } }).stream;
}

const AMQP = { protocols: ['amqp:', 'amqps:'], defaultPort: 5672 } as const;

export const rabbitmqOptions = kindOptions(
  'A RabbitMQ broker: opens a connection and a channel, and reports each listed queue (exists, messages, consumers).',
  {
    ...endpointOptions(AMQP, 'the broker'),
    vhost: option.string("Virtual host; wins over the URL's path (default `/`)."),
    queues: option.stringList('Queues to report (exists, messages, consumers); a missing one makes the source degraded.'),
    ...connectionAgeOption,
  },
);

interface RabbitSettings {
  readonly connect: amqp.Options.Connect;
  readonly secrets: readonly string[];
  readonly queues: readonly string[];
  readonly maxConnectionAgeMs: number;
}

function readRabbitSettings(def: SourceDefinition): RabbitSettings {
  const read = readOptions(def, rabbitmqOptions);
  const endpoint = readEndpoint(def, read, AMQP);
  const vhost = read.vhost ?? endpoint.path ?? '/';
  const connect: amqp.Options.Connect = {
    protocol: (endpoint.url?.protocol ?? 'amqp:').replace(':', ''),
    hostname: endpoint.host,
    port: endpoint.port,
    vhost,
    ...(endpoint.user !== undefined ? { username: endpoint.user } : {}),
    ...(endpoint.password !== undefined ? { password: endpoint.password } : {}),
  };
  return { connect, secrets: endpoint.secrets, queues: read.queues, maxConnectionAgeMs: read.max_connection_age };
}

export function createRabbitmqCheck(def: SourceDefinition): Check<'rabbitmq'> {
  const settings = readRabbitSettings(def);
  const closedConnections = new WeakSet<amqp.ChannelModel>();
  const backstop = backstopMs(def.timeoutMs);

  const connections = createLazyClient<amqp.ChannelModel>({
    maxAgeMs: settings.maxConnectionAgeMs,
    create: async () => {
      // `timeout` bounds the TCP connect and the AMQP handshake together.
      const connection = await amqp.connect(settings.connect, { timeout: backstop, clientProperties: { connection_name: 'vigil' } });
      // The broker or the network may close it at any time; the next probe then reconnects.
      connection.on('error', () => undefined);
      connection.on('close', () => closedConnections.add(connection));
      return connection;
    },
    destroy: async (connection) => {
      if (!closedConnections.has(connection)) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          connection.close().catch(() => undefined),
          new Promise((resolve) => {
            timer = setTimeout(resolve, CLOSE_GRACE_MS);
          }),
        ]);
        clearTimeout(timer);
      }
      streamOf(connection)?.destroy();
    },
    usable: (connection) => !closedConnections.has(connection),
  });

  async function openChannel(connection: amqp.ChannelModel): Promise<amqp.Channel> {
    const channel = await connection.createChannel();
    // The broker closes a channel on e.g. a missing queue and says so with an 'error' event,
    // which would crash the process unheard; the failing call reports it.
    channel.on('error', () => undefined);
    return channel;
  }

  return {
    kind: 'rabbitmq',
    async run(signal): Promise<CheckOutcome<RabbitDetails>> {
      const phase = phasesOf('rabbitmq', signal, settings.secrets);
      return probeOnClient(connections, signal, phase, async (connection) => {
        const channel = await phase('channel open', () => openChannel(connection));
        await phase('channel close', () => channel.close());

        const queues: RabbitQueueDetails[] = [];
        for (const name of settings.queues) {
          const reply = await phase(`queue "${name}" check`, async () => {
            const probe = await openChannel(connection);
            try {
              const found = await probe.checkQueue(name);
              await probe.close();
              return found;
            } catch (error) {
              // The broker answered "not found" and closed that channel itself.
              if ((error as { code?: unknown }).code === AMQP_NOT_FOUND) return null;
              throw error;
            }
          });
          queues.push(
            reply
              ? { name, exists: true, messages: reply.messageCount, consumers: reply.consumerCount }
              : { name, exists: false, messages: null, consumers: null },
          );
        }

        const server = connection.connection.serverProperties;
        const details: RabbitDetails = {
          server_product: String(server.product ?? ''),
          server_version: String(server.version ?? ''),
          queues,
        };
        const missing = queues.filter((queue) => !queue.exists).map((queue) => `"${queue.name}"`);
        if (missing.length === 0) return { details: { ...details } };
        return {
          status: 'degraded',
          message: `rabbitmq: ${missing.length === 1 ? `queue ${missing[0]} does not exist` : `queues ${missing.join(', ')} do not exist`}`,
          details: { ...details },
        };
      });
    },
    async reset() {
      connections.discard();
    },
    close: () => connections.close(),
  };
}
