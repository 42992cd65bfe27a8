// Two replicas on one PostgreSQL store each issue a setup token; two people using both at the
// same moment must still end up with one admin. READ COMMITTED alone lets two "insert where no
// admin exists" statements both succeed; the advisory lock makes the second see the first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFirstAdmin } from '../../src/identity/users.ts';
import { createStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/types.ts';
import { createPrivateDatabase, type PrivateDatabase } from '../support/pg-database.ts';
import { silentLogger } from '../store/backends.ts';

const FAST_SCRYPT = { N: 1024, r: 8, p: 1 } as const;

describe('the first admin created on two replicas at once', () => {
  let db: PrivateDatabase;
  let stores: Store[] = [];

  beforeAll(async () => {
    db = await createPrivateDatabase('vigil_first_admin');
    stores = [await createStore({ url: db.url, dataDir: '' }, silentLogger), await createStore({ url: db.url, dataDir: '' }, silentLogger)];
  });
  afterAll(async () => {
    for (const store of stores) await store.close();
    await db?.drop();
  });

  it('is created once, whichever replica is faster; the other is told an admin exists', async () => {
    for (let round = 0; round < 5; round += 1) {
      await stores[0]!.query('DELETE FROM users');
      const created = await Promise.all(
        stores.map((store, i) => createFirstAdmin(store, { username: `admin-${round}-${i}`, password: 'a long enough password', scrypt: FAST_SCRYPT })),
      );
      expect(created.filter((user) => user !== undefined)).toHaveLength(1);
      const [{ admins } = { admins: 0 }] = await stores[0]!.query<{ admins: number }>(
        "SELECT count(*)::int AS admins FROM users WHERE role IN ('admin', 'owner')",
      );
      expect(admins).toBe(1);
    }
  });
});
