// Alerts: when a source's state changes after its thresholds, one event per notifier is put
// in the store's outbox and delivered from there (retried with back-off, at most once per
// change, whichever replica sends it).
import type { CheckStatus } from '../checks/types.ts';

export type AlertEventKind = 'triggered' | 'resolved';

/** What a notifier is asked to say. Never holds a secret: `reason` is already redacted. */
export interface AlertEvent {
  /** Unique per delivery row: receivers can use it to drop a repeated delivery. */
  readonly id: string;
  /** One per incident: the `triggered` and `resolved` of an incident share it. */
  readonly incidentKey: string;
  readonly event: AlertEventKind;
  readonly source: string;
  readonly kind: string;
  /** The status that made the change (e.g. `timeout`, or `ok` when resolved). */
  readonly status: CheckStatus;
  readonly reason: string | undefined;
  /** ISO 8601: when the incident began (the first failing result counted). */
  readonly startedAt: string;
  /** ISO 8601: when it was resolved; absent on `triggered`. */
  readonly resolvedAt?: string;
}

export interface Notifier {
  readonly name: string;
  readonly kind: NotifierKind;
  /** Delivers one event; throws naming the phase ("webhook: POST failed: ...") on failure. */
  send(event: AlertEvent, signal: AbortSignal): Promise<void>;
  close?(): Promise<void>;
}

export const NOTIFIER_KINDS = ['webhook', 'slack', 'pagerduty', 'email'] as const;
export type NotifierKind = (typeof NOTIFIER_KINDS)[number];

export type NotifierConfig =
  | { readonly name: string; readonly kind: 'webhook'; readonly url: string; readonly secret: string | undefined; readonly headers: Readonly<Record<string, string>> }
  | { readonly name: string; readonly kind: 'slack'; readonly url: string }
  | { readonly name: string; readonly kind: 'pagerduty'; readonly url: string; readonly routingKey: string; readonly severity: 'critical' | 'error' | 'warning' | 'info' }
  | {
      readonly name: string;
      readonly kind: 'email';
      readonly host: string;
      readonly port: number;
      /** true: TLS from the start (465); false: STARTTLS when the server offers it. */
      readonly secure: boolean;
      readonly username: string | undefined;
      readonly password: string | undefined;
      readonly from: string;
      readonly to: readonly string[];
    };

/** Which sources alert whom, after how many consecutive results. */
export interface AlertRule {
  /** Source names; `*` matches every source. */
  readonly sources: readonly string[];
  readonly notify: readonly string[];
  /** Consecutive failing results before `triggered` (Kubernetes' failureThreshold). */
  readonly failureThreshold: number;
  /** Consecutive passing results before `resolved` (successThreshold). */
  readonly successThreshold: number;
}

/**
 * A time when alerts are silenced: once (`from`..`to`), or every day / on some weekdays from
 * `start` (HH:MM, UTC) for `durationMs`. `sources` empty: every source.
 */
export type MaintenanceWindow =
  | { readonly sources: readonly string[]; readonly from: number; readonly to: number }
  | { readonly sources: readonly string[]; readonly startMinute: number; readonly durationMs: number; readonly weekdays: readonly number[] };

export interface AlertsConfig {
  readonly notifiers: readonly NotifierConfig[];
  readonly rules: readonly AlertRule[];
  readonly maintenance: readonly MaintenanceWindow[];
  readonly delivery: {
    /** Attempts per event before it is given up (and logged as lost). */
    readonly maxAttempts: number;
    readonly initialBackoffMs: number;
    readonly maxBackoffMs: number;
    /** Longest one delivery may take. */
    readonly timeoutMs: number;
  };
}
