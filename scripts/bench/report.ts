// Pure helpers of the benchmark's report: latency percentiles, targets and plain-text tables.

export type Verdict = 'pass' | 'FAIL' | 'skip';

export interface Target {
  readonly name: string;
  /** The bound, as the report prints it. */
  readonly limit: string;
  readonly actual: string;
  readonly verdict: Verdict;
  readonly note?: string;
}

/** Nearest-rank percentile (`p` in 0..100) of unsorted values; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

export function verdict(ok: boolean): Verdict {
  return ok ? 'pass' : 'FAIL';
}

/** Columns padded to their widest cell; numbers-looking cells right-aligned. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const numeric = /^[\d.,x%+-]+( \w+)?$/;
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => {
        const width = widths[column] ?? cell.length;
        return numeric.test(cell) ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

export function targetsTable(targets: readonly Target[]): string {
  return formatTable(
    ['target', 'limit', 'actual', 'result'],
    targets.map((t) => [t.name, t.limit, t.actual, t.note ? `${t.verdict} (${t.note})` : t.verdict]),
  );
}
