// For tests whose world starts healthy: re-runs any source whose first run did not come out
// `ok`. Other test files load the machine at the same time, and a first connection can miss a
// short deadline; the tests that follow then start from a known state.
import type { HealthEngine } from '../../src/engine/types.ts';

export async function settleSources(engine: HealthEngine, rounds = 2): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    const pending = engine.sources().filter((s) => s.latest?.status !== 'ok');
    if (pending.length === 0) return;
    await Promise.all(pending.map((s) => engine.runNow(s.definition.name)));
  }
}
