// 000's system health check: engine state of the mapped components, the caller's session
// verdict and whether an admin user exists -> `{ Checks }` (200) or `{ Errors, Checks }` (503).
// Pure: the handler gathers the inputs.
import type {
  PostSystemHealthCheckErrors,
  PostSystemHealthCheckResponses,
  SystemCheckValue,
  SystemChecks,
  SystemError,
  SystemErrorCode,
} from '../../generated/types.gen.ts';
import type { CheckResult, SourceState } from '../engine/types.ts';
import { SYSTEM_ERROR_CODES } from '../http/errors.ts';
import { systemCheckValue, systemHttpCode } from './status-rules.ts';

/** The checks backed by a configured source, in the document's order. */
export const SYSTEM_SOURCE_COMPONENTS = [
  'MySQL',
  'Elasticsearch',
  'RabbitMQ',
  'Redis',
  'SystemContainer',
  'AdminFrontend',
  'UserFrontend',
] as const;
export type SystemSourceComponent = (typeof SYSTEM_SOURCE_COMPONENTS)[number];
export type SystemCheckName = SystemSourceComponent | 'Session';


/** The operation's answers, typed by the contract (both GET and POST answer the same). */
export type SystemHealthReport =
  | { readonly status: 200; readonly body: PostSystemHealthCheckResponses[200] }
  | { readonly status: 503; readonly body: PostSystemHealthCheckErrors[503] & { readonly Checks: SystemChecks } };

/** The caller's user credential, as the handler found it (never the credential itself). */
export type SessionVerdict =
  | { readonly active: true }
  | { readonly active: false; readonly reason: string };

/** What the check of one component reads from the engine's state of its source. */
export type ComponentState = Pick<SourceState, 'latest'>;

export interface SystemHealthInput {
  /** Each component's source state; null when `families.system` maps no source to it. */
  readonly components: Readonly<Record<SystemSourceComponent, ComponentState | null>>;
  readonly session: SessionVerdict;
  readonly adminUserExists: boolean;
}

/** What a failed check is reported as: the document's code and sentence, or Vigil's. */
export const SYSTEM_FAILURES: Readonly<Record<SystemCheckName, { readonly code: SystemErrorCode; readonly message: string }>> = {
  MySQL: { code: SYSTEM_ERROR_CODES.mysql, message: 'MySQL connection failed.' },
  Elasticsearch: { code: SYSTEM_ERROR_CODES.elasticsearch, message: 'Elasticsearch connection failed.' },
  RabbitMQ: { code: SYSTEM_ERROR_CODES.rabbitmq, message: 'RabbitMQ connection failed.' },
  Redis: { code: SYSTEM_ERROR_CODES.redis, message: 'Redis connection failed.' },
  Session: { code: SYSTEM_ERROR_CODES.sessionInactive, message: 'Session is not active.' },
  SystemContainer: { code: SYSTEM_ERROR_CODES.systemContainer, message: 'SystemContainer check failed.' },
  AdminFrontend: { code: SYSTEM_ERROR_CODES.adminFrontend, message: 'AdminFrontend check failed.' },
  UserFrontend: { code: SYSTEM_ERROR_CODES.userFrontend, message: 'UserFrontend check failed.' },
};

export const NO_ADMIN_USER: SystemError = {
  Code: SYSTEM_ERROR_CODES.noAdminUser,
  Message: 'There is no registered admin user.',
};

/** Why a source's check failed, from its last result (already redacted by the engine). */
function failureDetail(latest: CheckResult | undefined): string {
  if (!latest) return 'no probe has completed yet';
  return latest.error ?? `last probe ended with status ${latest.status}`;
}

export function renderSystemHealth(input: SystemHealthInput): SystemHealthReport {
  const checks = {} as Record<SystemCheckName, SystemCheckValue>;
  const errors: SystemError[] = [];
  const fail = (name: SystemCheckName, detail: string): void => {
    const { code, message } = SYSTEM_FAILURES[name];
    errors.push({ Code: code, Message: message, Detail: detail });
  };

  for (const name of SYSTEM_SOURCE_COMPONENTS) {
    const state = input.components[name];
    if (state === null) {
      checks[name] = 'NOT_CONFIGURED';
      continue;
    }
    checks[name] = systemCheckValue(state.latest?.status);
    if (checks[name] === 'FAILED') fail(name, failureDetail(state.latest));
  }
  // The document lists Session after Redis; key order is cosmetic but kept for readers.
  const ordered: SystemChecks = {
    MySQL: checks.MySQL,
    Elasticsearch: checks.Elasticsearch,
    RabbitMQ: checks.RabbitMQ,
    Redis: checks.Redis,
    Session: input.session.active ? 'OK' : 'FAILED',
    SystemContainer: checks.SystemContainer,
    AdminFrontend: checks.AdminFrontend,
    UserFrontend: checks.UserFrontend,
  };
  if (!input.session.active) fail('Session', input.session.reason);
  if (!input.adminUserExists) errors.push(NO_ADMIN_USER);

  if (systemHttpCode(Object.values(ordered), !input.adminUserExists) === 200) return { status: 200, body: { Checks: ordered } };
  errors.sort((a, b) => a.Code - b.Code);
  return { status: 503, body: { Errors: errors, Checks: ordered } };
}
