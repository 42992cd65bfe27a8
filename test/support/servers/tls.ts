// A throwaway self-signed certificate for 127.0.0.1, made with the openssl CLI.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface SelfSignedCertificate {
  readonly key: string;
  readonly cert: string;
  /** The certificate's PEM file, usable as a CA bundle by the client. */
  readonly certFile: string;
  cleanup(): Promise<void>;
}

export async function createSelfSignedCertificate(days: number): Promise<SelfSignedCertificate> {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-tls-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  await promisify(execFile)('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', String(days),
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
  ]);
  return {
    key: await readFile(keyFile, 'utf8'),
    cert: await readFile(certFile, 'utf8'),
    certFile,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
