// What SIGTERM and SIGINT mean to Vigil: the first starts the shutdown (SIGTERM with the
// readiness delay a load balancer needs; SIGINT — Ctrl-C at a terminal — without it); a
// second, later signal stops at once. Installed before start-up, so a signal during a slow
// start is not the default kill: Vigil shuts down as soon as it is up (it was never ready,
// so without the delay).
export interface SignalTarget {
  shutdown(reason: string, options: { readonly skipDelay: boolean }): Promise<void>;
  /** A second signal: cut every connection (the caller exits). */
  forceStop(): void;
}

export interface ShutdownSignals {
  /** Hands over the started service; a signal that came during start-up is acted on now. */
  attach(target: SignalTarget): void;
}

/**
 * Under `npm start` one Ctrl-C or SIGTERM reaches us twice within milliseconds (the process
 * group, then npm relaying it): only a second signal a moment later forces.
 */
const DUPLICATE_SIGNAL_MS = 1000;

/** Installs the handlers now; `exit` gets the process's exit code (and a shutdown error). */
export function handleShutdownSignals(exit: (code: number, error?: unknown) => void, log: (line: string) => void): ShutdownSignals {
  let target: SignalTarget | undefined;
  let first: { readonly signal: NodeJS.Signals; readonly at: number } | undefined;

  const start = (running: SignalTarget, signal: NodeJS.Signals, skipDelay: boolean) => {
    running.shutdown(signal, { skipDelay }).then(
      () => exit(0),
      (error: unknown) => exit(1, error),
    );
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (first !== undefined) {
      if (Date.now() - first.at < DUPLICATE_SIGNAL_MS) return;
      log(`vigil: ${signal} again; exiting without waiting`);
      target?.forceStop();
      exit(1);
      return;
    }
    first = { signal, at: Date.now() };
    if (target) start(target, signal, signal === 'SIGINT');
    else log(`vigil: ${signal} during start-up; stopping as soon as it is up`);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    attach(running) {
      target = running;
      if (first) start(running, first.signal, true);
    },
  };
}
