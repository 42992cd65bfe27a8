// `npm run source-hash`: prints the `source_hash` that GET /v1/admin/health reports for this
// checkout, the same value as the documented shell command (printed with --command).
// `--list` prints the hashed files in hashing order instead.
import { computeSourceHash, sourceFiles, SOURCE_HASH_COMMAND } from '../src/source-hash.ts';

const arg = process.argv[2];
if (arg === '--list') {
  for (const path of sourceFiles()) process.stdout.write(`${path}\n`);
} else if (arg === '--command') {
  process.stdout.write(`${SOURCE_HASH_COMMAND}\n`);
} else if (arg === undefined) {
  process.stdout.write(`${computeSourceHash()}\n`);
} else {
  process.stderr.write(`usage: npm run source-hash [-- --list | --command]\n`);
  process.exitCode = 2;
}
