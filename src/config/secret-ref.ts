// `{ env: NAME }` / `{ file: path }` anywhere a secret goes, so no secret needs to be inlined
// in the YAML. Resolution failures say what is missing and never what a value was.
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

export interface SecretContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Relative `file:` paths are taken from here (the config file's directory, else cwd). */
  readonly baseDir: string;
}

export class SecretResolutionError extends Error {
  override readonly name = 'SecretResolutionError';
  constructor(
    /** What is missing, without the key: "environment variable PG_PASSWORD is not set". */
    readonly reason: string,
    where: string,
  ) {
    super(where ? `${where}: ${reason}` : reason);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True for `{ env: NAME }` and `{ file: path }` (exactly one key, a string). */
export function isSecretRef(value: unknown): value is { env: string } | { file: string } {
  if (!isRecord(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'env' || keys[0] === 'file') && typeof value[keys[0]] === 'string';
}

/** The secret `ref` points at; throws SecretResolutionError naming what is missing. */
export function resolveSecretRef(ref: { env: string } | { file: string }, ctx: SecretContext, where = ''): string {
  if ('env' in ref) {
    const value = ctx.env[ref.env];
    if (value === undefined || value === '') {
      throw new SecretResolutionError(`environment variable ${ref.env} is not set`, where);
    }
    return value;
  }
  const path = isAbsolute(ref.file) ? ref.file : resolve(ctx.baseDir, ref.file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable' : `cannot be read (${code ?? 'error'})`;
    throw new SecretResolutionError(`secret file ${path} ${why}`, where);
  }
  // Secret files (Docker/Kubernetes) usually end with one newline that is not part of the secret.
  const secret = text.replace(/\r?\n$/, '');
  if (secret === '') throw new SecretResolutionError(`secret file ${path} is empty`, where);
  return secret;
}

/** `value` with every secret reference inside it replaced by the secret; throws naming the key. */
export function resolveSecretRefs(value: unknown, ctx: SecretContext, where: string): unknown {
  if (isSecretRef(value)) return resolveSecretRef(value, ctx, where);
  if (Array.isArray(value)) return value.map((item, index) => resolveSecretRefs(item, ctx, `${where}[${index}]`));
  if (isRecord(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, child]) => [key, resolveSecretRefs(child, ctx, where ? `${where}.${key}` : key)]),
    );
  }
  return value;
}
