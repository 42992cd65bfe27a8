import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_SCOPE,
  apiKeyId,
  createApiKey,
  isAdminKey,
  listApiKeys,
  revokeApiKey,
  scopeGranted,
  verifyApiKey,
  LAST_USED_RESOLUTION_MS,
} from '../../src/identity/api-keys.ts';
import { sha256Hex } from '../../src/identity/secrets.ts';
import { createUser, IdentityInputError, setUserDisabled } from '../../src/identity/users.ts';
import { createStore, MEMORY_DATA_DIR } from '../../src/store/index.ts';
import type { Store } from '../../src/store/types.ts';
import { silentLogger } from '../store/backends.ts';
import { CHEAP_SCRYPT } from './fixtures.ts';

let store: Store;
beforeAll(async () => {
  store = await createStore({ url: undefined, dataDir: MEMORY_DATA_DIR }, silentLogger);
});
afterAll(async () => {
  await store?.close();
});

describe('API keys', () => {
  it('are generated with the vgl_ prefix, a public id and a 256-bit secret, returned once', async () => {
    const created = await createApiKey(store, { name: 'ci', scopes: ['health:read'] });
    expect(created.key).toMatch(/^vgl_[a-z2-7]{12}_[0-9a-f]{64}$/);
    expect(apiKeyId(created.key)).toBe(created.id);
    expect(created.record).toMatchObject({ prefix: `vgl_${created.id}`, name: 'ci', role: 'viewer', scopes: ['health:read'] });
    expect(created.record.revokedAt).toBeNull();
    expect(created.record.lastUsedAt).toBeNull();
  });

  it('are stored only as a SHA-256 hash: no column holds the secret', async () => {
    const { id, key } = await createApiKey(store, { name: 'stored' });
    const secret = key.split('_')[2] as string;
    const [row] = await store.query<Record<string, unknown>>('SELECT * FROM api_keys WHERE id = $1', [id]);
    expect(row?.hash).toBe(sha256Hex(key));
    expect(JSON.stringify(row)).not.toContain(secret);
  });

  it('verify with the full key and record the time of last use', async () => {
    const { key, id } = await createApiKey(store, { name: 'used', role: 'operator', scopes: ['status:read'] });
    const at = new Date('2026-04-01T10:00:00Z');
    const record = await verifyApiKey(store, key, at);
    expect(record).toMatchObject({ id, role: 'operator', scopes: ['status:read'], lastUsedAt: at });
    const [listed] = (await listApiKeys(store)).filter((k) => k.id === id);
    expect(listed?.lastUsedAt?.toISOString()).toBe(at.toISOString());
  });

  it('write the time of last use at most once a minute, so a flood of requests is not a flood of writes', async () => {
    const { key, id } = await createApiKey(store, { name: 'busy' });
    const first = new Date('2026-04-01T10:00:00Z');
    const lastUsed = async () => (await listApiKeys(store)).find((k) => k.id === id)?.lastUsedAt?.toISOString();
    await verifyApiKey(store, key, first);
    await verifyApiKey(store, key, new Date(first.getTime() + LAST_USED_RESOLUTION_MS - 1));
    expect(await lastUsed()).toBe(first.toISOString());
    const later = new Date(first.getTime() + LAST_USED_RESOLUTION_MS);
    await verifyApiKey(store, key, later);
    expect(await lastUsed()).toBe(later.toISOString());
  });

  it.each([
    ['a wrong secret for a real id', (key: string) => `${key.slice(0, -1)}${key.endsWith('0') ? '1' : '0'}`],
    ['an unknown id', (key: string) => key.replace(/^vgl_[a-z2-7]{12}/, 'vgl_aaaaaaaaaaaa')],
    ['a malformed key', () => 'vgl_not-a-key'],
    ['an empty key', () => ''],
  ])('refuse %s', async (_label, mangle) => {
    const { key } = await createApiKey(store, { name: 'target' });
    expect(await verifyApiKey(store, mangle(key))).toBeUndefined();
  });

  it('record a use only when the caller accepts the key (a plain key offered as admin key is not used)', async () => {
    const { key, id } = await createApiKey(store, { name: 'plain' });
    expect(await verifyApiKey(store, key, new Date(), isAdminKey)).toBeUndefined();
    expect((await listApiKeys(store)).find((k) => k.id === id)?.lastUsedAt).toBeNull();
  });

  it('stop working once revoked, by id or by prefix, and revoking twice says so', async () => {
    const a = await createApiKey(store, { name: 'revoke-by-id' });
    const b = await createApiKey(store, { name: 'revoke-by-prefix' });
    expect(await revokeApiKey(store, a.id)).toBe(true);
    expect(await revokeApiKey(store, b.record.prefix)).toBe(true);
    expect(await verifyApiKey(store, a.key)).toBeUndefined();
    expect(await verifyApiKey(store, b.key)).toBeUndefined();
    expect(await revokeApiKey(store, a.id)).toBe(false);
    expect(await revokeApiKey(store, 'nosuchkeyid0')).toBe(false);
    const listed = (await listApiKeys(store)).find((k) => k.id === a.id);
    expect(listed?.revokedAt).toBeInstanceOf(Date);
  });

  it('make admin keys with role admin and the system:admin scope', async () => {
    const admin = await createApiKey(store, { name: 'ops', admin: true });
    expect(admin.record.role).toBe('admin');
    expect(admin.record.scopes).toContain(ADMIN_SCOPE);
    expect(isAdminKey(admin.record)).toBe(true);
    const owner = await createApiKey(store, { name: 'owner-ops', admin: true, role: 'owner', scopes: ['health:read'] });
    expect(owner.record.scopes).toEqual(expect.arrayContaining([ADMIN_SCOPE, 'health:read']));
    expect(isAdminKey(owner.record)).toBe(true);
    const plain = await createApiKey(store, { name: 'not-admin', role: 'admin' });
    expect(isAdminKey(plain.record)).toBe(false);
    await expect(createApiKey(store, { name: 'contradiction', admin: true, role: 'viewer' })).rejects.toThrow(IdentityInputError);
  });

  it.each([
    ['an empty name', { name: ' ' }],
    ['an unknown role', { name: 'x', role: 'root' as never }],
    ['a malformed scope', { name: 'x', scopes: ['Health Read'] }],
  ])('are refused with %s', async (_label, input) => {
    await expect(createApiKey(store, input)).rejects.toThrow(IdentityInputError);
  });

  it('tied to a user stop working while that user is disabled', async () => {
    const user = await createUser(store, { username: 'keyholder', password: 'long-enough', role: 'operator', scrypt: CHEAP_SCRYPT });
    const { key } = await createApiKey(store, { name: 'personal', role: 'operator', userId: user.id });
    expect((await verifyApiKey(store, key))?.userId).toBe(user.id);
    await setUserDisabled(store, 'keyholder', true);
    expect(await verifyApiKey(store, key)).toBeUndefined();
    await setUserDisabled(store, 'keyholder', false);
    expect(await verifyApiKey(store, key)).toBeDefined();
  });

  it('list without any hash or secret', async () => {
    const { key } = await createApiKey(store, { name: 'listed' });
    const listed = await listApiKeys(store);
    expect(listed.length).toBeGreaterThan(0);
    expect(JSON.stringify(listed)).not.toContain(key);
    expect(JSON.stringify(listed)).not.toContain(sha256Hex(key));
  });
});

describe('scopes', () => {
  it.each([
    [['health:read'], 'health:read', true],
    [['health:read'], 'status:read', false],
    [['*'], 'status:read', true],
    [['health:*'], 'health:read', true],
    [['health:*'], 'healthz:read', false],
    [[], 'health:read', false],
  ])('%j grants %s: %s', (scopes, scope, expected) => {
    expect(scopeGranted(scopes, scope)).toBe(expected);
  });
});
