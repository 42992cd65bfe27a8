// The credentials this process verified against the store lately (API keys, admin API keys,
// sessions), kept for two purposes. Answering while the store cannot: when a read fails or
// outlives auth.store_timeout, a credential verified within the last auth.credential_cache_ttl
// is accepted from here instead of answering 503. And sparing the store: an API key or session
// verified within auth.credential_reuse is accepted again without a read, but only while this
// process hears every revocation (see identity/index.ts).
//
// A revocation can be committed and the store lost right after (a partition, a crash): so every
// change that ends a credential drops its entries too, here (logout, key revocation and user
// disabling through this process) and from the other replicas' NOTIFY (CREDENTIALS_CHANNEL).
//
// Entries are keyed by the SHA-256 of kind and credential, never the credential itself.
import type { CredentialRevocation } from '../shared/credential-events.ts';
import { sha256Hex } from './secrets.ts';
import type { CredentialKind, Principal } from './types.ts';

/** What a credential is known by in this process (the cache's and shared reads' key): never the credential itself. */
export function credentialDigest(kind: CredentialKind, credential: string): string {
  return sha256Hex(`${kind}\n${credential}`);
}

export interface CredentialCache {
  readonly ttlMs: number;
  /** A principal verified less than ttlMs ago (and not past `until`), else undefined. */
  get(kind: CredentialKind, credential: string): Principal | undefined;
  /** The same, verified less than `maxAgeMs` ago (auth.credential_reuse). */
  recent(kind: CredentialKind, credential: string, maxAgeMs: number): Principal | undefined;
  /**
   * Remembers a credential the store just verified. `userId` ties it to its user (for `user`
   * revocations); `until` (epoch ms) is when the credential itself ends (a session's expiry).
   */
  set(kind: CredentialKind, credential: string, principal: Principal, options?: { userId?: string; until?: number }): void;
  /** Forgets one credential (the store said it is not valid). */
  forget(kind: CredentialKind, credential: string): void;
  /** Forgets every entry the revocation ends. */
  revoke(target: CredentialRevocation): void;
  readonly size: number;
}

export interface CredentialCacheInput {
  /** 0 disables the cache (a store that cannot answer always means 503). */
  readonly ttlMs: number;
  readonly now: () => number;
  /** Most entries kept; the oldest go first beyond it. */
  readonly maxEntries?: number;
}

interface Entry {
  readonly principal: Principal;
  readonly verifiedAt: number;
  readonly expiresAt: number;
  readonly userId: string | undefined;
}

function ends(entry: Entry, target: CredentialRevocation): boolean {
  switch (target.kind) {
    case 'all':
      return true;
    case 'apiKey':
      return entry.principal.keyId === target.keyId;
    case 'session':
      return entry.principal.sessionId === target.sessionIdHash;
    case 'user':
      return entry.userId === target.userId || entry.principal.subject === target.userId;
  }
}

export function createCredentialCache(input: CredentialCacheInput): CredentialCache {
  const { ttlMs, now } = input;
  const maxEntries = input.maxEntries ?? 10_000;
  const entries = new Map<string, Entry>();
  const keyOf = credentialDigest;

  function live(key: string): Entry | undefined {
    if (ttlMs <= 0) return undefined;
    const entry = entries.get(key);
    if (entry && now() >= entry.expiresAt) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  }

  return {
    ttlMs,
    get size() {
      return entries.size;
    },
    get(kind, credential) {
      return live(keyOf(kind, credential))?.principal;
    },
    recent(kind, credential, maxAgeMs) {
      const entry = live(keyOf(kind, credential));
      return entry && now() - entry.verifiedAt < maxAgeMs ? entry.principal : undefined;
    },
    set(kind, credential, principal, options = {}) {
      if (ttlMs <= 0) return;
      const key = keyOf(kind, credential);
      entries.delete(key);
      // Maps iterate in insertion order: the first entry is the oldest.
      while (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
      const verifiedAt = now();
      const expiresAt = Math.min(verifiedAt + ttlMs, options.until ?? Number.POSITIVE_INFINITY);
      entries.set(key, { principal, verifiedAt, expiresAt, userId: options.userId });
    },
    forget(kind, credential) {
      entries.delete(keyOf(kind, credential));
    },
    revoke(target) {
      for (const [key, entry] of entries) if (ends(entry, target)) entries.delete(key);
    },
  };
}
