// Vigil's installation directory (the one holding its package.json and openapi/), found the
// same way whether this module runs from src/ under tsx or from dist/src/ after `npm run build`.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'openapi'))) return dir;
    if (dirname(dir) === dir) throw new Error(`vigil: cannot find its installation directory above ${start}`);
  }
}

export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));
