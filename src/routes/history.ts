// The history family: GET /v1/sources/{source}/history, the status page and the badges.
// They read the engine's snapshot for the current state and the history service (bounded by
// its read deadline) for the past; they never probe.
import type { Request, Response } from 'express';
import type { StatusPageConfig } from '../config/types.ts';
import { HistoryUnavailableError } from '../history/service.ts';
import type { AppDeps, FamilyHandlersFactory } from '../http/types.ts';
import { httpProblem, problemFor } from '../http/problem.ts';
import { renderBadge, responseTimeBadge, statusBadge, uptimeBadge, type Badge } from '../render/badges.ts';
import { latencyOver, renderSourceHistory, uptimeOver, type HistoryWindow } from '../render/history.ts';
import { publicState, renderStatusPage, type StatusPageGroup } from '../render/status-page.ts';
import { dailyUptime, incidentsOf, withLatest } from '../history/uptime.ts';
import type { StoredHistory } from '../history/reader.ts';
import type { SourceState } from '../engine/types.ts';
import { HISTORY_DAYS } from '../render/history.ts';

const BADGE_MAX_AGE_S = 30;

function windowOf(req: Request): HistoryWindow {
  const value = req.query.window;
  return value === '1h' || value === '7d' || value === '30d' ? value : '24h';
}

/** `status_page.public: false` closes the page and badges to anonymous callers. */
function refusedAnonymous(config: StatusPageConfig, res: Response): boolean {
  return !config.public && res.locals.principal === undefined;
}

async function answer(res: Response, next: (error: unknown) => void, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (error instanceof HistoryUnavailableError) return next(httpProblem(problemFor(503, 'History is unavailable right now; try again later')));
    next(error);
  }
}

function statusGroups(deps: AppDeps): readonly { name: string; sources: readonly { source: string; displayName: string }[] }[] {
  const configured = deps.config.statusPage.groups;
  if (configured.length > 0) return configured;
  return [{ name: 'Services', sources: deps.engine.sources().map((s) => ({ source: s.definition.name, displayName: s.definition.name })) }];
}

const EMPTY: StoredHistory = { spans: [], buckets: [] };

/** The stored history with the engine's latest result folded in (see withLatest). */
function liveHistory(histories: ReadonlyMap<string, StoredHistory>, state: SourceState | undefined, name: string): StoredHistory {
  const stored = histories.get(name) ?? EMPTY;
  const latest = state?.latest;
  return { ...stored, spans: withLatest(stored.spans, latest && { status: latest.status, at: Date.parse(latest.timestamp) }) };
}

export const historyHandlers: FamilyHandlersFactory = (deps) => {
  const config = deps.config.statusPage;
  const known = (name: string) => deps.engine.source(name);

  function sendBadge(res: Response, badge: Badge): void {
    res
      .status(200)
      .set('Cache-Control', `${config.public ? 'public' : 'private'}, max-age=${BADGE_MAX_AGE_S}`)
      .type('image/svg+xml')
      .send(renderBadge(badge));
  }

  function unknownSource(): never {
    throw httpProblem(problemFor(404, 'No source of that name is configured'));
  }

  return {
    getSourceHistory(req, res, next) {
      void answer(res, next, async () => {
        const name = String(req.params.source);
        const state = known(name) ?? unknownSource();
        const histories = await deps.history.read([name]);
        res.status(200).json(
          renderSourceHistory({
            source: name,
            kind: state.definition.kind,
            latest: state.latest,
            history: liveHistory(histories, state, name),
            nowMs: deps.now(),
          }),
        );
      });
    },

    getStatusPage(_req, res, next) {
      void answer(res, next, async () => {
        if (refusedAnonymous(config, res)) throw httpProblem(problemFor(401, 'Authentication required'));
        const groups = statusGroups(deps);
        const names = [...new Set(groups.flatMap((g) => g.sources.map((s) => s.source)))];
        const histories = await deps.history.read(names);
        const nowMs = deps.now();
        const rendered: StatusPageGroup[] = groups.map((group) => ({
          name: group.name,
          sources: group.sources.map(({ source, displayName }) => {
            const history = liveHistory(histories, known(source), source);
            return {
              name: source,
              displayName,
              state: publicState(known(source)?.latest?.status),
              uptime24h: uptimeOver(history, '24h', nowMs),
              days: dailyUptime(history.spans, HISTORY_DAYS, nowMs),
              latency: history.buckets
                .filter((b) => b.width === 'hour' && b.bucketStart >= nowMs - 86_400_000 && b.runs > 0)
                .map((b) => ({ hour: new Date(b.bucketStart).toISOString(), meanMs: b.latencySumMs / b.runs })),
              incidents: incidentsOf(history.spans, nowMs).slice(0, 10),
            };
          }),
        }));
        res
          .status(200)
          .set('Cache-Control', config.public ? 'no-cache' : 'private, no-store')
          .type('text/html')
          .send(renderStatusPage({ title: config.title, groups: rendered, generatedAt: new Date(nowMs).toISOString(), refreshSeconds: Math.round(config.refreshMs / 1000) }));
      });
    },

    getStatusBadge(req, res, next) {
      void answer(res, next, async () => {
        if (refusedAnonymous(config, res)) throw httpProblem(problemFor(401, 'Authentication required'));
        const name = String(req.params.source);
        const state = known(name) ?? unknownSource();
        sendBadge(res, statusBadge(name, state.latest?.status));
      });
    },

    getUptimeBadge(req, res, next) {
      void answer(res, next, async () => {
        if (refusedAnonymous(config, res)) throw httpProblem(problemFor(401, 'Authentication required'));
        const name = String(req.params.source);
        const state = known(name) ?? unknownSource();
        const window = windowOf(req);
        const history = liveHistory(await deps.history.read([name]), state, name);
        sendBadge(res, uptimeBadge(window, uptimeOver(history, window, deps.now())));
      });
    },

    getResponseTimeBadge(req, res, next) {
      void answer(res, next, async () => {
        if (refusedAnonymous(config, res)) throw httpProblem(problemFor(401, 'Authentication required'));
        const name = String(req.params.source);
        if (!known(name)) unknownSource();
        const window = windowOf(req);
        const history = (await deps.history.read([name])).get(name) ?? EMPTY;
        sendBadge(res, responseTimeBadge(window, latencyOver(history, window, deps.now()).mean_ms));
      });
    },
  };
};
