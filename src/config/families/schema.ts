// What each `families.<family>` section may hold, declared once: the keys the families' parsers
// accept come from here, and so do the editors' schema and the reference. Whether a name is a
// configured source of the right kind is checked when the family's handlers are created
// (family-config.ts, health.ts), against the engine's sources.
import { z } from 'zod';
import { flag, section, stringList, text } from '../schema/fields.ts';

/** `families.system` keys -> the source kinds that can stand for each component. */
export const SYSTEM_FAMILY_COMPONENTS = {
  mysql: ['mysql'],
  elasticsearch: ['elasticsearch'],
  rabbitmq: ['rabbitmq'],
  redis: ['redis'],
  system_container: ['http'],
  admin_frontend: ['http'],
  user_frontend: ['http'],
} as const;

/** `families.admin` keys -> the source kinds that can stand for each component. */
export const ADMIN_FAMILY_COMPONENTS = {
  // Both SQL checks report the same pool statistics (SqlDetails).
  database: ['postgres', 'mysql'],
  cache: ['redis'],
} as const;

function kindsText(kinds: readonly string[]): string {
  return kinds.map((kind) => `\`${kind}\``).join(' or ');
}

/** The name of a configured source of one of `kinds`. */
function sourceOf(kinds: readonly string[], what: string) {
  return text().optional().meta({ description: `${what}: the name of a source of kind ${kindsText(kinds)}.` });
}

function componentsSection(components: Readonly<Record<string, readonly string[]>>, description: string) {
  return section(
    Object.fromEntries(Object.entries(components).map(([key, kinds]) => [key, sourceOf(kinds, `The \`${key}\` component`)])),
  ).meta({ description });
}

const sourceNames = (description: string) => stringList('a list of source names').optional().meta({ description });

export const healthFamilySection = section({
  services: sourceNames('Sources reported under `services`, in order (default: every source but `resources`, `filesystem` and `consistency` ones).'),
  resources: sourceOf(['resources'], 'The host block'),
  pipeline: section({
    scripts: sourceOf(['filesystem'], 'The scripts directory'),
    models: sourceOf(['filesystem'], 'The models directory'),
    ffmpeg: text().optional().meta({ description: 'The ffmpeg executable looked up on PATH (default `ffmpeg`).' }),
  })
    .optional()
    .meta({ description: 'The processing pipeline block; names a `scripts` or a `models` source, or both.' }),
  identities: section({
    directory: sourceOf(['filesystem'], 'The identities directory (required)'),
    count: sourceOf(['postgres', 'mysql'], 'The source whose test query counts the identities (required)'),
    column: text().optional().meta({ description: 'The column of that query holding the count (default `count`).' }),
  })
    .optional()
    .meta({ description: 'The identities block.' }),
  consistency: sourceOf(['consistency'], 'The consistency scan of `/health/consistency`'),
  sftpgo: sourceOf(['http'], 'SFTPGo (`/api/v1/stats/sftpgo`), an http source on its `/api/v2/status` or `/healthz`'),
  schema: sourceOf(
    ['postgres', 'mysql'],
    "The `schema` block of `/health/detailed`: a source with the option `migrations` (the watched application's migrations; default: Vigil's own store)",
  ),
  config: z
    .record(z.string(), flag())
    .optional()
    .meta({ description: 'Runtime toggles reported under `config`, name to true or false.' }),
  integrations: z
    .record(
      z.string(),
      section({
        source: sourceOf(['http'], "The integration's API"),
        api_key: z
          .union([z.string(), z.strictObject({ env: z.string() }), z.strictObject({ file: z.string() })])
          .optional()
          .meta({ description: 'Its API key (`{ env: NAME }` or `{ file: path }`): only whether one is set is reported.' }),
        enabled: flag().optional().meta({ description: 'Reported as is (default: whether an API key is set).' }),
      }),
    )
    .optional()
    .meta({ description: 'Integrations reported under `integrations`, by name.' }),
}).meta({ description: '001 `/health`, `/health/detailed`, `/health/consistency`, `/api/v1/stats/sftpgo`: which sources feed each block.' });

export const statusFamilySection = section({
  nats: sourceOf(['nats'], 'The NATS block (default: the first `nats` source)'),
  components: sourceNames('Sources listed as components, in order (default: every source); one unhealthy makes the answer 503.'),
}).meta({ description: '003 `/health/status`.' });

export const sourcesFamilySection = section({
  include: sourceNames('Sources reported (default: every source).'),
  exclude: sourceNames('Sources left out, after `include`.'),
}).meta({ description: '004 `/healthz/sources` and `/healthz`.' });

/** `families:` as editors and the reference see it. */
export const familiesDocument = section({
  system: componentsSection(SYSTEM_FAMILY_COMPONENTS, '000 `/api/v1/system-health-check`: the source of each component; an absent one is reported NOT_CONFIGURED.').optional(),
  health: healthFamilySection.optional(),
  admin: componentsSection(ADMIN_FAMILY_COMPONENTS, '002 `/v1/health` and `/v1/admin/health`: the database and cache components.').optional(),
  status: statusFamilySection.optional(),
  sources: sourcesFamilySection.optional(),
}).meta({
  description:
    'Which sources each documented API family reports, by source name; every name is checked at start-up against the configured sources and their kinds. An absent section or key means "not configured".',
});

/** The keys a section accepts, for the families' parsers. */
export function keysOf(schema: { readonly shape: Readonly<Record<string, unknown>> }): readonly string[] {
  return Object.keys(schema.shape);
}
