// `server:` — where Vigil listens, how it treats requests and slow clients, and how it shuts down.
import { z } from 'zod';
import type { ServerConfig } from '../types.ts';
import { duration, flag, integer, issue, section, size, text } from './fields.ts';

export const serverSection = section({
  host: text().prefault('127.0.0.1').meta({ description: 'Address to listen on; `0.0.0.0` for every interface.' }),
  port: integer(1, 65535).prefault(8080).meta({ description: 'TCP port to listen on.' }),
  body_limit: size().prefault('1mb').meta({
    description: "Largest accepted request body; a bigger one is answered 413 in the API's error shape.",
  }),
  trust_proxy: flag().prefault(false).meta({
    description: 'True behind a reverse proxy: the client address and https come from `X-Forwarded-*`.',
  }),
  shutdown_delay: duration({ min: 0 }).prefault('5s').meta({
    description:
      'On SIGTERM, how long `/readyz` answers 503 while everything else is still served, so load balancers stop routing here before the listener closes. SIGINT (Ctrl-C) skips it.',
  }),
  shutdown_grace: duration({ min: 0 }).prefault('10s').meta({
    description: 'After the listener closes, how long in-flight requests get to finish before the remaining sockets are closed.',
  }),
  headers_timeout: duration().prefault('10s').meta({
    description: "A client must send a request's headers within this, else 408 and the connection closes. At most `request_timeout`.",
  }),
  request_timeout: duration().prefault('30s').meta({
    description: 'A client must send a whole request, body included, within this, else 408 and the connection closes.',
  }),
  keep_alive_timeout: duration().prefault('5s').meta({ description: 'An idle keep-alive connection is closed after this.' }),
  idle_timeout: duration().prefault('60s').meta({
    description: 'A connection with no traffic either way for this long is closed (a client that stopped reading): connections are looked at every quarter of this, so it closes within a quarter more.',
  }),
  max_connections: integer(1, 1_000_000).prefault(512).meta({
    description:
      'Connections served at once for ordinary traffic. Keep `max_connections` + `probe_connections` well under the process file descriptor limit.',
  }),
  probe_connections: integer(0, 10_000).prefault(16).meta({
    description:
      'Connections admitted beyond `max_connections` for `/livez` and `/readyz` only (anything else on them: 503 with Retry-After), so probes answer while slow clients hold the rest; beyond both, connections are dropped.',
  }),
})
  .transform((s, ctx): ServerConfig => {
    // Node refuses a header deadline later than the whole request's.
    if (s.headers_timeout > s.request_timeout) ctx.issues.push(issue(s.headers_timeout, 'at most server.request_timeout', 'must', ['headers_timeout']));
    return {
      host: s.host,
      port: s.port,
      bodyLimitBytes: s.body_limit,
      trustProxy: s.trust_proxy,
      shutdownDelayMs: s.shutdown_delay,
      shutdownGraceMs: s.shutdown_grace,
      headersTimeoutMs: s.headers_timeout,
      requestTimeoutMs: s.request_timeout,
      keepAliveTimeoutMs: s.keep_alive_timeout,
      idleTimeoutMs: s.idle_timeout,
      maxConnections: s.max_connections,
      probeConnections: s.probe_connections,
    };
  })
  .meta({ description: 'Where Vigil listens, how it treats requests and slow clients, and how it shuts down.' });

export type ServerConfigInput = z.input<typeof serverSection>;
