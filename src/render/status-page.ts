// GET /status: the status page, as one HTML document with its CSS and a few lines of script
// inline (no framework, no asset to serve). Pure: it gets each source's public state and
// stored history. Reasons are withheld, as in every public answer: states, uptime, latency.
import type { CheckStatus } from '../checks/types.ts';
import type { DayUptime, Incident } from '../history/uptime.ts';

export type PublicState = 'up' | 'degraded' | 'down' | 'unknown';

export interface StatusPageSource {
  readonly name: string;
  readonly displayName: string;
  readonly state: PublicState;
  /** 0..1 over the last 24 hours; null when not observed. */
  readonly uptime24h: number | null;
  readonly days: readonly DayUptime[];
  /** Hourly mean latency of the last 24 hours, oldest first. */
  readonly latency: readonly { readonly hour: string; readonly meanMs: number }[];
  readonly incidents: readonly Incident[];
}

export interface StatusPageGroup {
  readonly name: string;
  readonly sources: readonly StatusPageSource[];
}

export interface StatusPageInput {
  readonly title: string;
  readonly groups: readonly StatusPageGroup[];
  readonly generatedAt: string;
  readonly refreshSeconds: number;
}

export function publicState(status: CheckStatus | undefined): PublicState {
  if (status === undefined) return 'unknown';
  if (status === 'ok') return 'up';
  if (status === 'degraded') return 'degraded';
  return 'down';
}

const STATE_WORDS: Readonly<Record<PublicState, string>> = { up: 'Operational', degraded: 'Degraded', down: 'Down', unknown: 'Not checked yet' };

function esc(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

function percent(value: number | null): string {
  return value === null ? '–' : `${(Math.floor(value * 10_000) / 100).toFixed(2)}%`;
}

function dayClass(uptime: number | null): string {
  if (uptime === null) return 'none';
  if (uptime >= 0.999) return 'good';
  if (uptime >= 0.95) return 'fair';
  return 'bad';
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h}h ${m % 60}m` : `${Math.floor(h / 24)}d ${h % 24}h`;
}

function overall(groups: readonly StatusPageGroup[]): { state: PublicState; words: string } {
  const states = groups.flatMap((g) => g.sources.map((s) => s.state));
  if (states.includes('down')) return { state: 'down', words: 'Some systems are down' };
  if (states.includes('degraded')) return { state: 'degraded', words: 'Some systems are degraded' };
  if (states.includes('unknown')) return { state: 'unknown', words: 'Some systems are not checked yet' };
  return { state: 'up', words: 'All systems operational' };
}

function sparkline(points: StatusPageSource['latency']): string {
  if (points.length === 0) return '<span class="muted">no runs in the last 24 h</span>';
  const width = 180;
  const height = 28;
  const max = Math.max(...points.map((p) => p.meanMs), 1);
  const step = points.length > 1 ? width / (points.length - 1) : 0;
  const coords = points.map((p, i) => `${(i * step).toFixed(1)},${(height - 2 - (p.meanMs / max) * (height - 4)).toFixed(1)}`);
  // One hour of data is a level line rather than an invisible single point.
  if (coords.length === 1) coords.push(`${width},${coords[0]?.split(',')[1] ?? height / 2}`);
  const last = points[points.length - 1];
  return (
    `<svg class="spark" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" ` +
    `aria-label="mean latency over the last 24 hours, latest ${Math.round(last?.meanMs ?? 0)} ms">` +
    `<polyline fill="none" stroke="currentColor" stroke-width="1.5" points="${coords.join(' ')}"/></svg>` +
    `<span class="latency">${Math.round(last?.meanMs ?? 0)} ms</span>`
  );
}

function sourceRow(source: StatusPageSource): string {
  const bars = source.days
    .map((d) => `<span class="day ${dayClass(d.uptime)}" title="${d.date}: ${d.uptime === null ? 'no data' : percent(d.uptime)}"></span>`)
    .join('');
  return `<li class="source" data-source="${esc(source.name)}" data-state="${source.state}">
  <div class="row"><span class="dot ${source.state}" aria-hidden="true"></span><span class="name">${esc(source.displayName)}</span>
  <span class="state ${source.state}">${STATE_WORDS[source.state]}</span></div>
  <div class="bars" aria-label="daily uptime over the last ${source.days.length} days">${bars}</div>
  <div class="meta"><span>${percent(source.uptime24h)} uptime (24 h)</span><span class="spark-wrap">${sparkline(source.latency)}</span></div>
</li>`;
}

function incidentRows(groups: readonly StatusPageGroup[]): string {
  const all = groups
    .flatMap((g) => g.sources.flatMap((s) => s.incidents.map((incident) => ({ source: s, incident }))))
    .sort((a, b) => b.incident.startedAt - a.incident.startedAt)
    .slice(0, 10);
  if (all.length === 0) return '<p class="muted">No incidents recorded.</p>';
  return `<ol class="incidents">${all
    .map(({ source, incident }) => {
      const ongoing = incident.endedAt === null;
      return `<li class="incident${ongoing ? ' ongoing' : ''}" data-source="${esc(source.name)}">
  <strong>${esc(source.displayName)}</strong> <span class="state down">${ongoing ? 'ongoing' : 'resolved'}</span>
  <span class="muted">from <time datetime="${new Date(incident.startedAt).toISOString()}">${new Date(incident.startedAt).toISOString().replace('T', ' ').slice(0, 19)} UTC</time>${
    ongoing ? '' : ` to <time datetime="${new Date(incident.endedAt ?? 0).toISOString()}">${new Date(incident.endedAt ?? 0).toISOString().replace('T', ' ').slice(0, 19)} UTC</time>`
  }, ${duration(incident.durationMs)}</span></li>`;
    })
    .join('\n')}</ol>`;
}

const STYLE = `
:root{color-scheme:light dark;--bg:#f7f8fa;--card:#fff;--text:#1c1e21;--muted:#65676b;--border:#e4e6eb;--good:#2da44e;--fair:#d4a72c;--bad:#cf222e;--none:#d0d7de}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--card:#161b22;--text:#e6edf3;--muted:#8b949e;--border:#30363d;--none:#30363d}}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--text);font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif}
main{max-width:860px;margin:0 auto;padding:24px 16px 48px}h1{font-size:24px;margin:0 0 16px}h2{font-size:17px;margin:28px 0 8px}
.banner{padding:14px 18px;border-radius:8px;color:#fff;font-weight:600;margin-bottom:8px}.banner.up{background:var(--good)}.banner.degraded{background:var(--fair)}.banner.down{background:var(--bad)}.banner.unknown{background:var(--muted)}
ul.sources{list-style:none;margin:0;padding:0;background:var(--card);border:1px solid var(--border);border-radius:8px}
li.source{padding:12px 16px;border-top:1px solid var(--border)}li.source:first-child{border-top:0}
.row{display:flex;align-items:center;gap:8px}.name{font-weight:600;flex:1}.dot{width:10px;height:10px;border-radius:50%}
.dot.up{background:var(--good)}.dot.degraded{background:var(--fair)}.dot.down{background:var(--bad)}.dot.unknown{background:var(--none)}
.state{font-size:13px;font-weight:600}.state.up{color:var(--good)}.state.degraded{color:var(--fair)}.state.down{color:var(--bad)}.state.unknown{color:var(--muted)}
.bars{display:flex;gap:1px;margin:8px 0 4px;height:26px}.day{flex:1;border-radius:1px}.day.good{background:var(--good)}.day.fair{background:var(--fair)}.day.bad{background:var(--bad)}.day.none{background:var(--none)}
.meta{display:flex;justify-content:space-between;align-items:center;color:var(--muted);font-size:13px;flex-wrap:wrap;gap:8px}.spark-wrap{display:flex;align-items:center;gap:6px;color:var(--muted)}
.muted{color:var(--muted)}ol.incidents{list-style:none;padding:0;margin:0;background:var(--card);border:1px solid var(--border);border-radius:8px}
li.incident{padding:10px 16px;border-top:1px solid var(--border)}li.incident:first-child{border-top:0}li.incident .state{margin:0 6px}
footer{margin-top:28px;color:var(--muted);font-size:13px}`;

export function renderStatusPage(input: StatusPageInput): string {
  const top = overall(input.groups);
  const groups = input.groups
    .map((g) => `<section class="group"><h2>${esc(g.name)}</h2><ul class="sources">${g.sources.map(sourceRow).join('\n')}</ul></section>`)
    .join('\n');
  const refreshMs = Math.max(1, input.refreshSeconds) * 1000;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(input.title)}</title>
<noscript><meta http-equiv="refresh" content="${Math.max(1, input.refreshSeconds)}"></noscript>
<style>${STYLE}</style>
</head>
<body>
<main data-generated-at="${esc(input.generatedAt)}">
<h1>${esc(input.title)}</h1>
<div class="banner ${top.state}" data-overall="${top.state}">${top.words}</div>
${groups}
<h2>Latest incidents</h2>
${incidentRows(input.groups)}
<footer>Updated <time datetime="${esc(input.generatedAt)}">${esc(input.generatedAt.replace('T', ' ').slice(0, 19))} UTC</time>; refreshes every ${Math.max(1, input.refreshSeconds)} s.</footer>
</main>
<script>
setInterval(async () => {
  try {
    const res = await fetch(location.href, { headers: { accept: 'text/html' }, credentials: 'same-origin', cache: 'no-store' });
    if (!res.ok) return;
    const next = new DOMParser().parseFromString(await res.text(), 'text/html').querySelector('main');
    if (next) document.querySelector('main').replaceWith(next);
  } catch {}
}, ${refreshMs});
</script>
</body>
</html>
`;
}
