// Is a source inside a maintenance window at a given time? Pure; times are UTC.
import type { MaintenanceWindow } from './types.ts';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

function covers(window: MaintenanceWindow, source: string): boolean {
  return window.sources.length === 0 || window.sources.includes(source);
}

function inWindow(window: MaintenanceWindow, atMs: number): boolean {
  if ('from' in window) return atMs >= window.from && atMs < window.to;
  // A window that began yesterday may still be running (23:00 for 2 h): look one day back.
  const dayStart = Math.floor(atMs / DAY_MS) * DAY_MS;
  for (const start of [dayStart, dayStart - DAY_MS]) {
    const begins = start + window.startMinute * MINUTE_MS;
    const weekday = new Date(start).getUTCDay();
    if (window.weekdays.length > 0 && !window.weekdays.includes(weekday)) continue;
    if (atMs >= begins && atMs < begins + window.durationMs) return true;
  }
  return false;
}

export function inMaintenance(windows: readonly MaintenanceWindow[], source: string, atMs: number): boolean {
  return windows.some((window) => covers(window, source) && inWindow(window, atMs));
}
