// `qdrant`: its readiness endpoint, then the collection count and version, over plain HTTP
// (the http kind's request: an aborted probe destroys its socket, which fetch does not).
import type { QdrantDetails } from './details.ts';
import { createProbePool, prepareRequest, releaseProbePool, type HttpResponse, type PreparedRequest } from './http-client.ts';
import { kindOptions, option, readOptions } from './options.ts';
import { displayUrl } from '../shared/redact.ts';
import { ProbeError, type Check, type CheckOutcome, type SourceDefinition } from './types.ts';

export const qdrantOptions = kindOptions(
  'A Qdrant server over HTTP: `/readyz`, then the collection count and the version.',
  {
    url: option.url(['http:', 'https:'], 'The server: an `http://` or `https://` URL (port 6333 by default in Qdrant).'),
    api_key: option.secret('API key sent as `api-key` (a secret: `{ env: NAME }` or `{ file: path }`).'),
  },
);

export function createQdrantCheck(def: SourceDefinition): Check<'qdrant'> {
  const { url: base, api_key: apiKey } = readOptions(def, qdrantOptions);
  const shownUrl = displayUrl(base.toString());
  const headers: Record<string, string> = { accept: 'application/json', ...(apiKey ? { 'api-key': apiKey } : {}) };

  let pool = createProbePool(base);
  const rootUrl = base.href.endsWith('/') ? base : new URL(`${base.href}/`);
  const requests = new Map<string, PreparedRequest>(['readyz', 'collections', ''].map((path) => [path, prepareRequest({ url: new URL(path, rootUrl), headers })]));

  async function get(path: string, phase: string, signal: AbortSignal): Promise<HttpResponse> {
    let response: HttpResponse;
    try {
      response = await pool.request({ request: requests.get(path) as PreparedRequest, signal });
    } catch (error) {
      throw new ProbeError({ phase, message: `qdrant: ${phase} failed at ${shownUrl}`, detail: error instanceof Error ? error.message : String(error) });
    }
    if (response.statusCode < 200 || response.statusCode >= 300) {
      throw new ProbeError({ phase, message: `qdrant: ${phase} failed at ${shownUrl}`, detail: `HTTP ${response.statusCode}` });
    }
    return response;
  }

  function json<T>(response: HttpResponse, phase: string): T {
    try {
      return JSON.parse(response.body.toString('utf8')) as T;
    } catch {
      throw new ProbeError({ phase, message: `qdrant: ${phase} failed at ${shownUrl}`, detail: 'the answer is not JSON' });
    }
  }

  return {
    kind: 'qdrant',
    async run(signal): Promise<CheckOutcome<QdrantDetails>> {
      await get('readyz', 'readiness', signal);
      const [collections, root] = await Promise.all([
        get('collections', 'list collections', signal).then((r) => json<{ result?: { collections?: unknown[] } }>(r, 'list collections')),
        // The version is a nicety: a root endpoint that refuses us does not fail the check.
        get('', 'version', signal)
          .then((r) => json<{ version?: unknown }>(r, 'version'))
          .catch(() => ({ version: undefined })),
      ]);
      const list = collections.result?.collections;
      if (!Array.isArray(list)) throw new ProbeError({ phase: 'list collections', message: `qdrant: list collections failed at ${shownUrl}`, detail: 'unexpected answer' });
      const details = {
        ready: true,
        collections_count: list.length,
        version: typeof root.version === 'string' ? root.version : null,
      } satisfies QdrantDetails;
      return { details };
    },
    async reset() {
      releaseProbePool(pool);
      pool = createProbePool(base);
    },
    async close() {
      releaseProbePool(pool);
    },
  };
}
