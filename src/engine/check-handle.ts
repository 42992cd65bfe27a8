// Keeps one source's check (and so its long-lived clients) and rebuilds it when broken.
import type { CheckHandle } from '../checks/run-check.ts';
import type { Check, SourceDefinition, SourceKind } from '../checks/types.ts';

/** How long `close()` of a check may take before the engine stops waiting for it. */
const CLOSE_WAIT_MS = 2_000;

export interface ManagedCheckHandle extends CheckHandle {
  /** The kind of the check the handle keeps (the factory decided it). */
  readonly kind: SourceKind;
  /** Closes the current check; afterwards `current()` throws. Safe to call twice. */
  close(): Promise<void>;
}

/** Closes `check` without ever rejecting or waiting longer than CLOSE_WAIT_MS. */
export async function closeQuietly(check: Check): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, CLOSE_WAIT_MS);
    timer.unref();
  });
  await Promise.race([
    Promise.resolve()
      .then(() => check.close())
      .catch(() => undefined),
    gaveUp,
  ]);
  clearTimeout(timer);
}

/**
 * A handle over `initial`, built by `factory` from `definition`. After a timeout, a check with
 * `reset()` resets its own clients; any other check is closed in the background and rebuilt
 * lazily by the next `current()`.
 */
export function createCheckHandle(
  definition: SourceDefinition,
  factory: (definition: SourceDefinition) => Check,
  initial: Check,
): ManagedCheckHandle {
  let check: Check | undefined = initial;
  let closed = false;
  const retiring = new Set<Promise<void>>();

  return {
    kind: initial.kind,
    current() {
      if (closed) throw new Error(`source "${definition.name}" is stopped`);
      check ??= factory(definition);
      return check;
    },
    async recover() {
      if (!check) return;
      if (check.reset) {
        await check.reset();
        return;
      }
      const broken = check;
      check = undefined;
      const closing = closeQuietly(broken).finally(() => retiring.delete(closing));
      retiring.add(closing);
    },
    async close() {
      closed = true;
      const last = check;
      check = undefined;
      await Promise.all([...retiring, ...(last ? [closeQuietly(last)] : [])]);
    },
  };
}
