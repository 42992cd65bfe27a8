#!/usr/bin/env node
// The container's HEALTHCHECK: GET /livez on this Vigil with plain node (no curl in the image).
// Exit 0 when it answers 200 within the timeout, 1 otherwise. The port is the one the server
// listens on (VIGIL_SERVER__PORT, default 8080); VIGIL_HEALTHCHECK_URL overrides the whole URL.
const port = process.env.VIGIL_SERVER__PORT || '8080';
const url = process.env.VIGIL_HEALTHCHECK_URL || `http://127.0.0.1:${port}/livez`;

try {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  process.exit(response.status === 200 ? 0 : 1);
} catch {
  process.exit(1);
}
