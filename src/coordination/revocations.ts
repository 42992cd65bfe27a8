// Revocations reach every replica: the SQL that revokes a key, disables a user or ends a session
// NOTIFYs CREDENTIALS_CHANNEL (src/identity), and each replica LISTENs here and drops what its
// credential cache holds of it, within milliseconds of the commit. A lost LISTEN connection may
// have missed some: on losing it and on every (re)connection everything cached is dropped.
import { CREDENTIALS_CHANNEL, parseCredentialRevocation, type CredentialRevocation } from '../shared/credential-events.ts';
import { startListener, type Listener } from './listener.ts';

export interface RevocationListenerInput {
  /** The store's PostgreSQL URL. */
  readonly url: string;
  readonly connectTimeoutMs?: number;
  /** Called for every revocation, and with `{ kind: 'all' }` when some may have been missed. */
  onRevoked(target: CredentialRevocation): void;
  /** The LISTEN connection was lost (message redacted); it is being retried. */
  onLost?(message: string): void;
  /** True once every revocation is heard (connected, cache cleared), false when the connection is lost. */
  onHearing?(live: boolean): void;
}

export function startRevocationListener(input: RevocationListenerInput): Listener {
  return startListener({
    url: input.url,
    channels: [CREDENTIALS_CHANNEL],
    connectTimeoutMs: input.connectTimeoutMs ?? 5_000,
    onNotification(channel, payload) {
      if (channel !== CREDENTIALS_CHANNEL) return;
      const target = parseCredentialRevocation(payload);
      if (target) input.onRevoked(target);
    },
    onConnected: () => {
      input.onRevoked({ kind: 'all' });
      input.onHearing?.(true);
    },
    onLost(message) {
      input.onHearing?.(false);
      input.onRevoked({ kind: 'all' });
      input.onLost?.(message);
    },
  });
}
