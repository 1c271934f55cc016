// Small runtime validators for data that crosses a boundary (HTTP body, WebSocket frame, IPC).
// Each one names the field that is wrong, so the caller's error says what and where.
import { ValidationError } from './errors.js';

export function asObject(v: unknown, where: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new ValidationError(where, `expected an object, got ${describe(v)}`);
  }
  return v as Record<string, unknown>;
}

export function asString(
  v: unknown,
  where: string,
  opts: { pattern?: RegExp; max?: number; min?: number } = {},
): string {
  if (typeof v !== 'string') throw new ValidationError(where, `expected a string, got ${describe(v)}`);
  const max = opts.max ?? 4096;
  if (v.length > max) throw new ValidationError(where, `longer than ${max} characters`);
  if (opts.min !== undefined && v.length < opts.min)
    throw new ValidationError(where, `shorter than ${opts.min} characters`);
  if (opts.pattern && !opts.pattern.test(v))
    throw new ValidationError(where, `${JSON.stringify(v.slice(0, 80))} does not match ${opts.pattern}`);
  return v;
}

export function asInteger(v: unknown, where: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw new ValidationError(where, `expected an integer, got ${describe(v)}`);
  if (v < min || v > max) throw new ValidationError(where, `${v} is outside ${min}…${max}`);
  return v;
}

export function asNumber(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new ValidationError(where, `expected a number, got ${describe(v)}`);
  return v;
}

/** Refuses fields the contract does not know: a typo must not be silently ignored. */
export function onlyKeys(o: Record<string, unknown>, where: string, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k))
      throw new ValidationError(where, `unknown field '${k}' (allowed: ${allowed.join(', ') || 'none'})`);
  }
}

export function optional<T>(v: unknown, parse: (v: unknown) => T): T | undefined {
  return v === undefined ? undefined : parse(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}
