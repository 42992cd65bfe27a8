// Bounds how many probes run at once. A run waits here, before its deadline starts, so a
// queued probe is late (schedule lag) rather than wrongly reported as a `timeout`.

export interface ProbeLimiter {
  /** Runs `work` once fewer than `max` others are running; first come, first served. */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Runs in progress and runs waiting (for tests and metrics). */
  load(): { readonly running: number; readonly waiting: number };
}

export function createProbeLimiter(max: number): ProbeLimiter {
  if (!Number.isInteger(max) || max < 1) throw new Error(`the probe limit must be a positive integer (got ${max})`);
  let running = 0;
  // A FIFO as an array with a moving head: shift() on 20,000 waiters would be quadratic.
  let queue: (() => void)[] = [];
  let head = 0;

  function release(): void {
    running -= 1;
    if (head < queue.length) {
      const next = queue[head] as () => void;
      queue[head] = () => undefined;
      head += 1;
      if (head > 1024 && head * 2 > queue.length) {
        queue = queue.slice(head);
        head = 0;
      }
      running += 1;
      next();
    }
  }

  /** Runs `work` in a slot already counted in `running`, giving the slot back when it settles. */
  function start<T>(work: () => Promise<T>): Promise<T> {
    let running: Promise<T>;
    try {
      running = work();
    } catch (error) {
      release();
      return Promise.reject(error);
    }
    return running.then(
      (value) => {
        release();
        return value;
      },
      (error: unknown) => {
        release();
        throw error;
      },
    );
  }

  return {
    // Plain promise chains rather than an async function: this runs for every probe.
    run(work) {
      if (running < max) {
        running += 1;
        return start(work);
      }
      // release() counts the slot in `running` before it wakes the waiter.
      return new Promise<void>((resolve) => queue.push(resolve)).then(() => start(work));
    },
    load() {
      return { running, waiting: queue.length - head };
    },
  };
}
