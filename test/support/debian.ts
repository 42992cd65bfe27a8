// A Debian package a test needs (kubectl, chromium), installed with apt-get when missing, as
// scripts/ensure-services.sh does for CI: a fresh machine passes without a manual step.
import { execFileSync, spawnSync } from 'node:child_process';

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Ensures `command` exists, installing Debian's `pkg` if not; returns the command's path. */
export function ensureDebianPackage(command: string, pkg: string): string {
  if (!onPath(command)) {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', pkg], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
  return execFileSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim();
}
