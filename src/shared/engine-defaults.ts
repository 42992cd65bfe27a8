// Defaults the configuration loader and the engine share (neither may import the other).

/** `engine.max_concurrent_probes`: probes running at once, at most. */
export const DEFAULT_MAX_CONCURRENT_PROBES = 500;
