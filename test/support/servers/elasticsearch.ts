// Just enough Elasticsearch for a health check: GET /_cluster/health, optional basic or
// API-key auth, and the `X-Elastic-Product: Elasticsearch` header the official client
// requires on every 2xx answer (ProductNotSupportedError otherwise).
import http from 'node:http';
import { listenOnLoopback } from './listen.ts';

export type ClusterStatus = 'green' | 'yellow' | 'red';

export interface ElasticsearchServerInput {
  readonly clusterName?: string;
  readonly status?: ClusterStatus;
  /** Require these basic credentials (401 with Elasticsearch's security_exception otherwise). */
  readonly basicAuth?: { readonly username: string; readonly password: string };
  /** Require `Authorization: ApiKey <apiKey>`. */
  readonly apiKey?: string;
}

export interface TestElasticsearchServer {
  readonly url: string;
  setStatus(status: ClusterStatus): void;
  /** Milliseconds to hold each health answer (a slow or stuck cluster). */
  setDelayMs(delayMs: number): void;
  /** Health requests answered (any outcome). */
  healthRequests(): number;
  close(): Promise<void>;
}

const SHARDS: Record<ClusterStatus, { active: number; unassigned: number }> = {
  green: { active: 10, unassigned: 0 },
  yellow: { active: 5, unassigned: 5 },
  red: { active: 3, unassigned: 7 },
};

function send(res: http.ServerResponse, status: number, body: unknown, extra: http.OutgoingHttpHeaders = {}): void {
  res
    .writeHead(status, {
      'content-type': 'application/vnd.elasticsearch+json;compatible-with=9',
      'x-elastic-product': 'Elasticsearch',
      ...extra,
    })
    .end(JSON.stringify(body));
}

function authorized(req: http.IncomingMessage, input: ElasticsearchServerInput): boolean {
  const header = req.headers.authorization ?? '';
  if (input.basicAuth) {
    const expected = Buffer.from(`${input.basicAuth.username}:${input.basicAuth.password}`).toString('base64');
    return header === `Basic ${expected}`;
  }
  if (input.apiKey) return header === `ApiKey ${input.apiKey}`;
  return true;
}

export async function startElasticsearchServer(input: ElasticsearchServerInput = {}): Promise<TestElasticsearchServer> {
  const clusterName = input.clusterName ?? 'vigil-test';
  let status: ClusterStatus = input.status ?? 'green';
  let healthRequests = 0;
  let delayMs = 0;
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    req.resume();
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== '/_cluster/health') {
      send(res, 404, { error: { type: 'illegal_argument_exception', reason: `no handler for ${req.method} ${path}` }, status: 404 });
      return;
    }
    healthRequests += 1;
    if (!authorized(req, input)) {
      const reason = 'unable to authenticate user for REST request [/_cluster/health]';
      send(res, 401, { error: { root_cause: [{ type: 'security_exception', reason }], type: 'security_exception', reason }, status: 401 }, {
        'www-authenticate': 'Basic realm="security" charset="UTF-8"',
      });
      return;
    }
    const shards = SHARDS[status];
    const body = {
      cluster_name: clusterName,
      status,
      timed_out: false,
      number_of_nodes: 3,
      number_of_data_nodes: 3,
      active_primary_shards: status === 'red' ? 3 : 5,
      active_shards: shards.active,
      relocating_shards: 0,
      initializing_shards: 0,
      unassigned_shards: shards.unassigned,
      unassigned_primary_shards: status === 'red' ? 2 : 0,
      delayed_unassigned_shards: 0,
      number_of_pending_tasks: 0,
      number_of_in_flight_fetch: 0,
      task_max_waiting_in_queue_millis: 0,
      active_shards_percent_as_number: (shards.active / (shards.active + shards.unassigned)) * 100,
    };
    const timer = setTimeout(() => {
      timers.delete(timer);
      send(res, 200, body);
    }, delayMs);
    timers.add(timer);
  });
  const listening = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${listening.port}`,
    setStatus(next) {
      status = next;
    },
    setDelayMs(next) {
      delayMs = next;
    },
    healthRequests: () => healthRequests,
    close() {
      for (const timer of timers) clearTimeout(timer);
      return listening.close();
    },
  };
}
