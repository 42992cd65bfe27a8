// SVG badges in the shields.io "flat" look: a grey label, a coloured message. Pure. Widths
// are estimated from character counts (Verdana 11px averages about 6.5 px a character), which
// is what shields.io's own fallback does when it cannot measure.
export type BadgeColor = 'green' | 'yellow' | 'orange' | 'red' | 'grey';

const COLORS: Readonly<Record<BadgeColor, string>> = {
  green: '#4c1',
  yellow: '#dfb317',
  orange: '#fe7d37',
  red: '#e05d44',
  grey: '#9f9f9f',
};

export interface Badge {
  readonly label: string;
  readonly message: string;
  readonly color: BadgeColor;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

function textWidth(text: string): number {
  return Math.round(text.length * 6.5) + 10;
}

export function renderBadge(badge: Badge): string {
  const label = escapeXml(badge.label);
  const message = escapeXml(badge.message);
  const lw = textWidth(badge.label);
  const mw = textWidth(badge.message);
  const width = lw + mw;
  const color = COLORS[badge.color];
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="20" role="img" aria-label="${label}: ${message}">` +
    `<title>${label}: ${message}</title>` +
    `<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>` +
    `<clipPath id="r"><rect width="${width}" height="20" rx="3" fill="#fff"/></clipPath>` +
    `<g clip-path="url(#r)"><rect width="${lw}" height="20" fill="#555"/><rect x="${lw}" width="${mw}" height="20" fill="${color}"/>` +
    `<rect width="${width}" height="20" fill="url(#s)"/></g>` +
    `<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">` +
    `<text x="${lw / 2}" y="15" fill="#010101" fill-opacity=".3">${label}</text><text x="${lw / 2}" y="14">${label}</text>` +
    `<text x="${lw + mw / 2}" y="15" fill="#010101" fill-opacity=".3">${message}</text><text x="${lw + mw / 2}" y="14">${message}</text>` +
    `</g></svg>`
  );
}

export function statusBadge(source: string, status: string | undefined): Badge {
  switch (status) {
    case undefined:
      return { label: source, message: 'unknown', color: 'grey' };
    case 'ok':
      return { label: source, message: 'up', color: 'green' };
    case 'degraded':
      return { label: source, message: 'degraded', color: 'yellow' };
    default:
      return { label: source, message: 'down', color: 'red' };
  }
}

export function uptimeBadge(window: string, uptime: number | null): Badge {
  const label = `uptime ${window}`;
  if (uptime === null) return { label, message: 'unknown', color: 'grey' };
  const percent = uptime * 100;
  const color: BadgeColor = percent >= 99 ? 'green' : percent >= 95 ? 'yellow' : percent >= 90 ? 'orange' : 'red';
  return { label, message: `${(Math.floor(percent * 100) / 100).toFixed(2)}%`, color };
}

export function responseTimeBadge(window: string, meanMs: number | null): Badge {
  const label = `response time ${window}`;
  if (meanMs === null) return { label, message: 'unknown', color: 'grey' };
  const color: BadgeColor = meanMs <= 100 ? 'green' : meanMs <= 500 ? 'yellow' : meanMs <= 1000 ? 'orange' : 'red';
  return { label, message: `${Math.round(meanMs)}ms`, color };
}
