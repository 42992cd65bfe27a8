// A bounded HTTP flood: `requests` GETs of one loopback URL from `concurrency` keep-alive
// connections, each lane sending its next request as soon as the previous one has answered.
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface FloodInput {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly requests: number;
  readonly concurrency: number;
  /** Per-request limit; a request past it counts as an error. */
  readonly timeoutMs: number;
}

export interface FloodResult {
  /** From the first request sent to the last answer received. */
  readonly durationMs: number;
  /** One per request that got an answer, in completion order. */
  readonly latenciesMs: readonly number[];
  /** Answers by HTTP status code. */
  readonly statuses: Readonly<Record<string, number>>;
  /** Requests without an answer (connection error, timeout). */
  readonly errors: number;
  readonly firstError?: string;
}

/** The flood only ever talks to loopback: a typo in a URL must not send traffic elsewhere. */
export function assertLoopback(url: string): URL {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' || parsed.hostname !== '127.0.0.1') {
    throw new Error(`refusing to flood ${parsed.origin}: only http://127.0.0.1 is allowed`);
  }
  return parsed;
}

function get(url: URL, headers: Readonly<Record<string, string>>, agent: Agent, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', headers, agent, timeout: timeoutMs }, (res) => {
      // The body is read (so the connection can be reused) but not kept.
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
      res.once('error', reject);
    });
    req.once('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.once('error', reject);
    req.end();
  });
}

export async function flood(input: FloodInput): Promise<FloodResult> {
  const url = assertLoopback(input.url);
  const agent = new Agent({ keepAlive: true, maxSockets: input.concurrency });
  const latenciesMs: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let firstError: string | undefined;
  let issued = 0;

  const lane = async (): Promise<void> => {
    while (issued < input.requests) {
      issued += 1;
      const started = performance.now();
      try {
        const status = await get(url, input.headers, agent, input.timeoutMs);
        latenciesMs.push(performance.now() - started);
        statuses[status] = (statuses[status] ?? 0) + 1;
      } catch (error) {
        errors += 1;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };

  const started = performance.now();
  try {
    await Promise.all(Array.from({ length: Math.min(input.concurrency, input.requests) }, lane));
  } finally {
    agent.destroy();
  }
  return {
    durationMs: performance.now() - started,
    latenciesMs,
    statuses,
    errors,
    ...(firstError !== undefined ? { firstError } : {}),
  };
}
