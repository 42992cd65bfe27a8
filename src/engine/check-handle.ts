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
  return new CheckHandleImpl(definition, factory, initial);
}

// A class rather than closures over local state: one handle per source, and at 20,000
// sources four closures and their context per handle were megabytes of heap (issue 10).
class CheckHandleImpl implements ManagedCheckHandle {
  readonly kind: SourceKind;
  private check: Check | undefined;
  private closed = false;
  /** Checks being closed in the background; made on the first one. */
  private retiring: Set<Promise<void>> | undefined;

  constructor(
    private readonly definition: SourceDefinition,
    private readonly factory: (definition: SourceDefinition) => Check,
    initial: Check,
  ) {
    this.kind = initial.kind;
    this.check = initial;
  }

  current(): Check {
    if (this.closed) throw new Error(`source "${this.definition.name}" is stopped`);
    this.check ??= this.factory(this.definition);
    return this.check;
  }

  async recover(): Promise<void> {
    const check = this.check;
    if (!check) return;
    if (check.reset) {
      await check.reset();
      return;
    }
    this.check = undefined;
    const retiring = (this.retiring ??= new Set());
    const closing = closeQuietly(check).finally(() => retiring.delete(closing));
    retiring.add(closing);
  }

  async close(): Promise<void> {
    this.closed = true;
    const last = this.check;
    this.check = undefined;
    await Promise.all([...(this.retiring ?? []), ...(last ? [closeQuietly(last)] : [])]);
  }
}
