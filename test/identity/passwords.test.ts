import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SCRYPT_PARAMS,
  hashPassword,
  parsePasswordHash,
  verifyAgainstDummy,
  verifyPassword,
} from '../../src/identity/passwords.ts';
import { constantTimeEqual, sha256Hex } from '../../src/identity/secrets.ts';
import { CHEAP_SCRYPT } from './fixtures.ts';

describe('password hashing', () => {
  it('uses a memory-hard scrypt setting and encodes its parameters and salt in the hash', async () => {
    const hash = await hashPassword('correct horse battery staple');
    const parsed = parsePasswordHash(hash);
    expect(parsed?.params).toEqual(DEFAULT_SCRYPT_PARAMS);
    // scrypt needs 128 * N * r bytes: at least 16 MiB makes GPU guessing expensive.
    expect(128 * DEFAULT_SCRYPT_PARAMS.N * DEFAULT_SCRYPT_PARAMS.r).toBeGreaterThanOrEqual(16 * 1024 * 1024);
    expect(parsed?.salt.length).toBe(16);
    expect(hash).not.toContain('correct horse');
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await hashPassword('s3cret-password', CHEAP_SCRYPT);
    expect(await verifyPassword('s3cret-password', hash)).toBe(true);
    expect(await verifyPassword('s3cret-passwore', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
  });

  it('salts every hash, so the same password never hashes the same twice', async () => {
    const [a, b] = await Promise.all([hashPassword('same', CHEAP_SCRYPT), hashPassword('same', CHEAP_SCRYPT)]);
    expect(a).not.toBe(b);
    expect(await verifyPassword('same', a)).toBe(true);
    expect(await verifyPassword('same', b)).toBe(true);
  });

  it('verifies hashes made with other parameters, read from the hash itself', async () => {
    const hash = await hashPassword('older-hash', { N: 2 ** 11, r: 4, p: 2 });
    expect(hash.startsWith('scrypt$N=2048,r=4,p=2$')).toBe(true);
    expect(await verifyPassword('older-hash', hash)).toBe(true);
  });

  it.each([
    ['an empty string', ''],
    ['another algorithm', '$2b$10$abcdefghijklmnopqrstuv'],
    ['a cost that is not a power of two', 'scrypt$N=1000,r=8,p=1$AAAA$AAAA'],
    ['a cost too high to compute', `scrypt$N=${2 ** 30},r=8,p=1$AAAA$AAAA`],
    ['a truncated key', 'scrypt$N=1024,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAA'],
  ])('refuses (without throwing) a stored hash that is %s', async (_label, stored) => {
    expect(await verifyPassword('anything', stored)).toBe(false);
  });

  it('burns a verification for unknown users and always fails', async () => {
    expect(await verifyAgainstDummy('vigil-dummy-password')).toBe(false);
  });
});

describe('secret comparison', () => {
  it.each([
    ['equal strings', 'abc-123', 'abc-123', true],
    ['one differing character', 'abc-123', 'abc-124', false],
    ['different lengths', 'abc', 'abc-123', false],
    ['an empty presented value', '', 'abc', false],
  ])('compares %s in constant time', (_label, a, b, expected) => {
    // timingSafeEqual throws on unequal lengths; hashing first keeps one code path for all.
    expect(constantTimeEqual(a, b)).toBe(expected);
  });

  it('hashes with SHA-256 in hex', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
