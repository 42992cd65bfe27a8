// Login CSRF defence for the requests that set or clear the session cookie. A browser says
// where a request comes from: `Sec-Fetch-Site` (Fetch Metadata, every current browser) and
// `Origin` (sent on every cross-origin POST). A request either calls cross-site is refused, so a
// page elsewhere cannot log a visitor into an account of its choosing. A request with neither
// header is not from a browser page (curl, a monitor) and is served.
import type { Request } from 'express';

/** Why `req` is a cross-site request, or undefined when it is not (or cannot be told). */
export function crossSiteReason(req: Request): string | undefined {
  const site = req.get('sec-fetch-site');
  if (site !== undefined && site.trim().toLowerCase() === 'cross-site') return 'Sec-Fetch-Site says cross-site';
  const origin = req.get('origin');
  if (origin === undefined) return undefined;
  // `null` is what sandboxed frames, file: pages and some redirects send: not this origin.
  if (origin.trim().toLowerCase() === 'null') return 'Origin is null';
  const own = `${req.protocol}://${req.get('host') ?? ''}`.toLowerCase();
  return origin.trim().toLowerCase() === own ? undefined : 'Origin is another site';
}
