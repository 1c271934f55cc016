// CronJob schedules as kube-controller-manager reads them (robfig/cron/v3's ParseStandard): five
// fields (minute hour day-of-month month day-of-week) with lists, ranges, steps, `*`, `?`, month
// and weekday names, and the descriptors @yearly/@annually/@monthly/@weekly/@daily/@midnight/
// @hourly and @every <duration>. Times are computed in UTC or in the CronJob's IANA timeZone.
import { ValidationError } from './errors.js';

interface Field {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const FIELDS: Field[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: Object.fromEntries(MONTHS.map((m, i) => [m, i + 1])) },
  { min: 0, max: 6, names: Object.fromEntries(DAYS.map((d, i) => [d, i])) },
];
const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

export class CronParseError extends ValidationError {}

/** Wall-clock fields in a zone, and the instant a wall-clock time names there. */
class Zone {
  private readonly fmt?: Intl.DateTimeFormat;
  constructor(readonly name: string | undefined) {
    if (name && name !== 'UTC' && name !== 'Etc/UTC') {
      try {
        this.fmt = new Intl.DateTimeFormat('en-US', {
          timeZone: name,
          hourCycle: 'h23',
          year: 'numeric',
          month: 'numeric',
          day: 'numeric',
          hour: 'numeric',
          minute: 'numeric',
          second: 'numeric',
        });
      } catch {
        throw new CronParseError('spec.timeZone', `unknown time zone ${name}`);
      }
    }
  }

  /** Offset of the zone from UTC at an instant, in ms. */
  offset(ms: number): number {
    if (!this.fmt) return 0;
    const p = Object.fromEntries(this.fmt.formatToParts(new Date(ms)).map((x) => [x.type, Number(x.value)]));
    const wall = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
    return wall - Math.floor(ms / 1000) * 1000;
  }

  /** Wall time (as if UTC) → instant. */
  instant(wall: number): number {
    const guess = wall - this.offset(wall);
    return wall - this.offset(guess);
  }
}

export interface CronSchedule {
  /** The first activation strictly after `ms` (epoch ms), or undefined when there is none within 5 years. */
  next(ms: number): number | undefined;
}

function parseField(text: string, f: Field, where: string): Set<number> {
  const out = new Set<number>();
  const value = (s: string): number => {
    const named = f.names?.[s.toLowerCase()];
    if (named !== undefined) return named;
    if (!/^\d+$/.test(s)) throw new CronParseError(where, `failed to parse int from ${s}`);
    return Number(s);
  };
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/') as [string, string | undefined];
    if (part.split('/').length > 2) throw new CronParseError(where, `too many slashes: ${part}`);
    let lo: number;
    let hi: number;
    if (range === '*' || range === '?') [lo, hi] = [f.min, f.max];
    else {
      const bounds = range.split('-');
      if (bounds.length > 2) throw new CronParseError(where, `too many hyphens: ${range}`);
      lo = value(bounds[0]!);
      hi = bounds.length === 2 ? value(bounds[1]!) : stepText !== undefined ? f.max : lo;
    }
    const step = stepText === undefined ? 1 : Number(stepText);
    if (stepText !== undefined && (!/^\d+$/.test(stepText) || step === 0))
      throw new CronParseError(where, `step of range should be a positive number: ${part}`);
    if (lo < f.min) throw new CronParseError(where, `beginning of range (${lo}) below minimum (${f.min}): ${part}`);
    if (hi > f.max) throw new CronParseError(where, `end of range (${hi}) above maximum (${f.max}): ${part}`);
    if (lo > hi) throw new CronParseError(where, `beginning of range (${lo}) beyond end of range (${hi}): ${part}`);
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/** Parses a schedule; throws CronParseError with robfig's wording on a bad one. */
export function parseCron(schedule: string, timeZone?: string, where = 'spec.schedule'): CronSchedule {
  const zone = new Zone(timeZone);
  let text = schedule.trim();
  if (/^(CRON_)?TZ=/.test(text))
    throw new CronParseError(where, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead');
  if (text.startsWith('@every')) {
    const d = /^@every\s+((?:\d+(?:\.\d+)?(?:h|m|s|ms))+)$/.exec(text);
    if (!d) throw new CronParseError(where, `failed to parse duration ${text}`);
    let ms = 0;
    for (const [, n, u] of d[1]!.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g))
      ms += Number(n) * { h: 3_600_000, m: 60_000, s: 1000, ms: 1 }[u as 'h']!;
    // robfig rounds the delay to whole seconds, at least one.
    const every = Math.max(1000, Math.floor(ms / 1000) * 1000);
    return { next: (t) => Math.floor(t / 1000) * 1000 + every };
  }
  if (text.startsWith('@')) {
    const d = DESCRIPTORS[text];
    if (!d) throw new CronParseError(where, `unrecognized descriptor: ${text}`);
    text = d;
  }
  const parts = text.split(/\s+/);
  if (parts.length !== 5)
    throw new CronParseError(where, `expected exactly 5 fields, found ${parts.length}: ${schedule}`);
  const [minutes, hours, dom, months, dow] = parts.map((p, i) => parseField(p, FIELDS[i]!, where)) as Set<number>[];
  // Standard cron: when both day fields are restricted, a day matches if either does.
  const domStar = parts[2] === '*' || parts[2] === '?';
  const dowStar = parts[4] === '*' || parts[4] === '?';
  const dayMatches = (d: Date) => {
    const a = dom!.has(d.getUTCDate());
    const b = dow!.has(d.getUTCDay());
    return domStar || dowStar ? a && b : a || b;
  };
  return {
    next(ms: number): number | undefined {
      // Search in wall time of the zone, minute by minute but skipping whole months/days/hours.
      const start = Math.floor(ms / 60_000) * 60_000 + 60_000;
      let wall = new Date(start + zone.offset(start));
      const limit = wall.getTime() + 5 * 366 * 86_400_000;
      while (wall.getTime() < limit) {
        if (!months!.has(wall.getUTCMonth() + 1)) {
          wall = new Date(Date.UTC(wall.getUTCFullYear(), wall.getUTCMonth() + 1, 1));
          continue;
        }
        if (!dayMatches(wall)) {
          wall = new Date(Date.UTC(wall.getUTCFullYear(), wall.getUTCMonth(), wall.getUTCDate() + 1));
          continue;
        }
        if (!hours!.has(wall.getUTCHours())) {
          wall = new Date(
            Date.UTC(wall.getUTCFullYear(), wall.getUTCMonth(), wall.getUTCDate(), wall.getUTCHours() + 1),
          );
          continue;
        }
        if (!minutes!.has(wall.getUTCMinutes())) {
          wall = new Date(wall.getTime() + 60_000);
          continue;
        }
        const t = zone.instant(wall.getTime());
        if (t > ms) return t;
        wall = new Date(wall.getTime() + 60_000);
      }
      return undefined;
    },
  };
}
