// `node pglite-initdb.mjs DATA_DIR [ARCHIVE]`: initdb for the embedded store in a process of its
// own. Under WebAssembly initdb peaks at about 800 MiB and WebAssembly memory never shrinks, so
// run inside Vigil it would stay in Vigil's RSS for good; here it leaves with this process.
// With ARCHIVE, also writes the new directory as a gzipped tarball (mode 0600), the form PGlite
// loads an in-memory store from. Plain JavaScript: it runs under plain node from src/ and dist/.
import { PGlite } from '@electric-sql/pglite';
import { writeFile } from 'node:fs/promises';

const [dataDir, archive] = process.argv.slice(2);
if (!dataDir) {
  console.error('usage: pglite-initdb.mjs DATA_DIR [ARCHIVE]');
  process.exit(2);
}
const db = await PGlite.create(dataDir);
try {
  if (archive) {
    const dump = await db.dumpDataDir('gzip');
    await writeFile(archive, new Uint8Array(await dump.arrayBuffer()), { mode: 0o600 });
  }
} finally {
  await db.close();
}
