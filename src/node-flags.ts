// The node flags Vigil runs with: `npm start` and the container's entry point pass them, and
// the bench starts Vigil with them too, so it measures what ships. test/platform/dockerfile.test.ts
// and package.test.ts hold the Dockerfile and package.json to this list.
//
// --max-old-space-size: V8 collects the old generation once it has grown to a multiple of what
// was live at the last collection, and that multiple follows the heap limit: up to about 4x
// with the default limit of a host with plenty of memory (4 GiB on a 24 GiB machine), about
// 1.6x with 1 GiB. Vigil's heap is mostly long-lived per-source state (about 75 MiB at 20,000
// sources), so the default let the heap reach 230-300 MiB between collections and the process
// 300-400 MiB RSS; with 1 GiB the same run stays at 225-230 MiB RSS (issue 10). 1 GiB is also
// the most the heap may hold: far larger configurations raise it (NODE_OPTIONS or the command).
export const NODE_FLAGS: readonly string[] = ['--max-old-space-size=1024'];
