// Error text from client libraries can echo connection strings or passwords; everything a
// check reports passes through here first.

const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]+)(?::([^\s/@]*))?@/gi;

/** A URL with user, password, query string and fragment removed, for display. */
export function displayUrl(raw: string): string {
  try {
    const url = new URL(raw);
    url.username = '';
    url.password = '';
    url.search = '';
    url.hash = '';
    return url.toString();
  } catch {
    return raw.replace(URL_CREDENTIALS, '$1');
  }
}

/**
 * `text` with URL credentials and every given secret replaced by `***`.
 * Secrets shorter than 3 characters are left alone: masking "a" would shred the message.
 */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[] = []): string {
  let safe = text.replace(URL_CREDENTIALS, '$1***@');
  for (const secret of secrets) {
    if (secret && secret.length >= 3) safe = safe.split(secret).join('***');
  }
  return safe;
}

/** The message of anything thrown, redacted and cut to one short line. */
export function safeErrorMessage(error: unknown, secrets: readonly (string | undefined)[] = []): string {
  const raw = error instanceof Error ? error.message || error.name : String(error);
  const oneLine = raw.replace(/\s+/g, ' ').trim();
  const redacted = redactSecrets(oneLine, secrets);
  return redacted.length > 300 ? `${redacted.slice(0, 297)}...` : redacted;
}
