// The build facts scripts/build-info.mjs recorded. Without that file (a checkout where the
// script has not run) the version still comes from package.json, the hash is "unknown" and the
// timestamp is when this process first asked.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BuildInfo } from './http/types.ts';
import { PACKAGE_ROOT } from './package-root.ts';

const BUILD_INFO_URL = new URL('./build-info.json', import.meta.url);
const PACKAGE_URL = pathToFileURL(join(PACKAGE_ROOT, 'package.json'));

function readJson(url: URL): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(readFileSync(url, 'utf8'));
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

let cached: BuildInfo | undefined;

/** The recorded build info, read once. `files` lets tests point at other files. */
export function readBuildInfo(files: { readonly buildInfo?: URL; readonly packageJson?: URL } = {}): BuildInfo {
  if (cached && !files.buildInfo && !files.packageJson) return cached;
  const recorded = readJson(files.buildInfo ?? BUILD_INFO_URL) ?? {};
  const pkg = readJson(files.packageJson ?? PACKAGE_URL) ?? {};
  const timestamp = text(recorded.buildTimestamp);
  const info: BuildInfo = {
    version: text(recorded.version) ?? text(pkg.version) ?? '0.0.0',
    gitHash: text(recorded.gitHash) ?? 'unknown',
    buildTimestamp: timestamp && !Number.isNaN(Date.parse(timestamp)) ? timestamp : new Date().toISOString(),
  };
  if (!files.buildInfo && !files.packageJson) cached = info;
  return info;
}
