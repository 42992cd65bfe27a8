// Answers Vigil gives before Express sees a request: beyond the connection cap
// (server.max_connections) and for requests Node cannot parse (a malformed request line,
// headers over 16 KiB, headers or body not in by their deadline). Node's own answers there
// carry no body; these carry the documented error shape of the family whose path the request
// names (health's when it names none), as every other error does.
import { renderError } from './errors.ts';
import { problemFor } from './problem.ts';
import { findOperation, operationsOnPath, type OperationInfo } from './spec.ts';

export interface Refusal {
  readonly contentType: string;
  readonly body: string;
}

/** The answer for `status` to a request of `method` on `url` (either may be unknown). */
export type RenderRefusal = (method: string | undefined, url: string | undefined, status: number, message: string) => Refusal;

function pathOf(url: string | undefined): string {
  if (!url) return '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

export function createRefusalRenderer(operations: readonly OperationInfo[]): RenderRefusal {
  return (method, url, status, message) => {
    const path = pathOf(url);
    const op = findOperation(operations, method ?? 'GET', path) ?? operationsOnPath(operations, path)[0];
    return { contentType: 'application/json', body: JSON.stringify(renderError(op?.family ?? 'health', problemFor(status, message))) };
  };
}
