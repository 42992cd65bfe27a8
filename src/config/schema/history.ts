// `history:` and `status_page:` — what Vigil keeps of each source's runs, and the page and
// badges that show it. Source names are checked against the configured sources in build.ts.
import { z } from 'zod';
import type { HistoryConfig, StatusPageConfig } from '../types.ts';
import { duration, flag, section, text } from './fields.ts';

export const historySection = section({
  retention: duration().prefault('30d').meta({
    description: 'How long run rows (hourly, then daily latency and counts) are kept. Status changes are kept at least 90 days (the status page shows 90).',
  }),
  flush_interval: duration().prefault('5s').meta({ description: 'Results are written to the store in one batch this often.' }),
  read_timeout: duration().prefault('1s').meta({
    description: 'Longest a request waits on the store for history; past it the request is answered 503.',
  }),
})
  .transform((s): HistoryConfig => ({ retentionMs: s.retention, flushIntervalMs: s.flush_interval, readTimeoutMs: s.read_timeout }))
  .meta({ description: "What Vigil keeps of each source's runs in its store (the history operation, the status page, the badges)." });

const GROUP_SOURCE_HINT = 'a source name, or { source: <name>, display_name: <text> }';

const groupSource = z
  .union(
    [
      text(GROUP_SOURCE_HINT),
      z.strictObject({ source: text(GROUP_SOURCE_HINT), display_name: text().optional() }, { error: GROUP_SOURCE_HINT }),
    ],
    { error: GROUP_SOURCE_HINT },
  )
  .transform((entry) =>
    typeof entry === 'string' ? { source: entry, displayName: entry } : { source: entry.source, displayName: entry.display_name ?? entry.source },
  );

const group = section({
  name: text().meta({ description: 'The heading of the group on the page.' }),
  sources: z.array(groupSource, { error: 'a list of source names' }).meta({ description: 'The sources shown, in this order.' }),
});

export const statusPageSection = section({
  title: text().prefault('Status').meta({ description: "The page's title and heading." }),
  public: flag().prefault(true).meta({
    description: 'false: `/status` and the badges need a credential (role viewer; an API key needs scope `history:read`).',
  }),
  refresh: duration({ min: 1_000 }).prefault('30s').meta({ description: 'The page refreshes itself this often (without JavaScript too).' }),
  groups: z.array(group, { error: 'a list of { name, sources }' }).prefault([]).meta({
    description: 'Groups of sources with display names; empty: one group, "Services", with every source.',
  }),
})
  .transform((s): StatusPageConfig => ({ title: s.title, public: s.public, refreshMs: s.refresh, groups: s.groups }))
  .meta({ description: 'The status page at `/status` and the badges at `/badges/<source>/...`.' });

export type HistoryConfigInput = z.input<typeof historySection>;
export type StatusPageConfigInput = z.input<typeof statusPageSection>;
