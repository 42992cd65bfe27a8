// `server:` — where Vigil listens and how it treats requests.
import type { z } from 'zod';
import type { ServerConfig } from '../types.ts';
import { duration, flag, integer, section, size, text } from './fields.ts';

export const serverSection = section({
  host: text().prefault('127.0.0.1').meta({ description: 'Address to listen on; `0.0.0.0` for every interface.' }),
  port: integer(1, 65535).prefault(8080).meta({ description: 'TCP port to listen on.' }),
  body_limit: size().prefault('1mb').meta({
    description: "Largest accepted request body; a bigger one is answered 413 in the API's error shape.",
  }),
  trust_proxy: flag().prefault(false).meta({
    description: 'True behind a reverse proxy: the client address and https come from `X-Forwarded-*`.',
  }),
  shutdown_grace: duration({ min: 0 }).prefault('10s').meta({
    description: 'On SIGTERM/SIGINT, how long in-flight requests get to finish before sockets are closed.',
  }),
})
  .transform(
    (s): ServerConfig => ({
      host: s.host,
      port: s.port,
      bodyLimitBytes: s.body_limit,
      trustProxy: s.trust_proxy,
      shutdownGraceMs: s.shutdown_grace,
    }),
  )
  .meta({ description: 'Where Vigil listens and how it treats requests.' });

export type ServerConfigInput = z.input<typeof serverSection>;
