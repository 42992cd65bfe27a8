// Schema issues as the sentences Vigil has always printed: "<key> must be <expected>", the key
// dotted from the root ("server.port", "sources[0].name") and, when an environment variable set
// it, named too ("server.port (from VIGIL_SERVER__PORT) must be ...").
import type { z } from 'zod';

/**
 * How an issue's message joins its key: `must` gives "<key> must be <message>" (the default),
 * `colon` "<key>: <message>", `suffix` "<key> <message>", `member` "<key>.<message>" (the message
 * starts with a key below it), `unknown` "<key> is not a known key (<message>)".
 */
export type IssueForm = 'must' | 'colon' | 'suffix' | 'member' | 'unknown';

export interface ConfigIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly form: IssueForm;
}

/** A zod error as ConfigIssues, paths prefixed with `prefix`; one issue per unknown key. */
export function configIssues(error: z.ZodError, prefix: readonly PropertyKey[] = []): ConfigIssue[] {
  return error.issues.flatMap((problem): ConfigIssue[] => {
    const path = [...prefix, ...problem.path];
    if (problem.code === 'unrecognized_keys') {
      return problem.keys.map((key) => ({ path: [...path, key], message: problem.message, form: 'unknown' }));
    }
    const form = (problem as { params?: { form?: IssueForm } }).params?.form ?? 'must';
    return [{ path, message: problem.message, form }];
  });
}

/** `["sources", 0, "name"]` -> `sources[0].name`. */
export function dottedPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => {
    if (typeof key === 'number') return `${text}[${key}]`;
    return text === '' ? String(key) : `${text}.${String(key)}`;
  }, '');
}

/**
 * The sentence for `issue`. `label` turns the dotted key into what the reader sees (e.g. adds
 * the overriding variable, or the source's name).
 */
export function issueSentence(issue: ConfigIssue, label: (dotted: string) => string): string {
  const key = label(dottedPath(issue.path));
  switch (issue.form) {
    case 'colon':
      return `${key}: ${issue.message}`;
    case 'suffix':
      return `${key} ${issue.message}`;
    case 'member':
      return `${key}.${issue.message}`;
    case 'unknown':
      return `${key} is not a known key (${issue.message})`;
    default:
      return `${key} must be ${issue.message}`;
  }
}
