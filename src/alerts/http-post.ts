// One JSON POST for the HTTP notifiers, bounded by the caller's signal. Error messages name
// the phase and never the URL: a Slack or webhook URL is itself a credential.
import { safeErrorMessage } from '../shared/redact.ts';

export async function postJson(label: string, url: string, body: string, headers: Readonly<Record<string, string>>, signal: AbortSignal, secrets: readonly string[]): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers }, signal, redirect: 'manual' });
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    throw new Error(`${label}: POST failed: ${safeErrorMessage(cause ?? error, [url, ...secrets])}`);
  }
  // The body is read (and dropped) so the connection can be reused.
  await response.arrayBuffer().catch(() => undefined);
  if (response.status < 200 || response.status > 299) throw new Error(`${label}: POST answered ${response.status}`);
}
