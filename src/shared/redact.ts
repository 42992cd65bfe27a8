// Error text from client libraries can echo connection strings or passwords; everything a
// check reports passes through here first.

const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]+)(?::([^\s/@]*))?@/gi;

/** Setting keys whose string values are secrets: masked in every message and detail. */
const SECRET_KEY = /pass|secret|token|key|credential|auth|cookie|private|signature/i;

function urlPassword(value: string): string | undefined {
  if (!value.includes('@') || !value.includes('://')) return undefined;
  try {
    const password = new URL(value).password;
    return password ? decodeURIComponent(password) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The secrets inside a settings object: string values (at any depth) under a key that looks
 * secret, and the password of any URL-valued string. Longest first, so a secret containing
 * another is masked whole.
 */
export function collectSecrets(settings: unknown): readonly string[] {
  const found: string[] = [];
  const visit = (value: unknown, key: string): void => {
    if (typeof value === 'string') {
      if (SECRET_KEY.test(key)) {
        found.push(value);
        // "Bearer <token>", "ApiKey <key>": the credential also travels without its scheme.
        const credential = value.trim().split(/\s+/).at(-1);
        if (credential && credential !== value) found.push(credential);
      }
      const password = urlPassword(value);
      if (password) found.push(password, encodeURIComponent(password));
    } else if (Array.isArray(value)) {
      for (const item of value) visit(item, key);
    } else if (value !== null && typeof value === 'object') {
      for (const [childKey, child] of Object.entries(value)) visit(child, childKey);
    }
  };
  visit(settings, '');
  // Most sources have none: one shared empty list rather than one per source.
  if (found.length === 0) return NO_SECRETS;
  return [...new Set(found)].sort((a, b) => b.length - a.length);
}

const NO_SECRETS: readonly string[] = Object.freeze([]);

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
  let safe = text.includes('@') ? text.replace(URL_CREDENTIALS, '$1***@') : text;
  for (const secret of secrets) {
    // includes() first: most texts hold no secret, and split/join always allocates.
    if (secret && secret.length >= 3 && safe.includes(secret)) safe = safe.split(secret).join('***');
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
