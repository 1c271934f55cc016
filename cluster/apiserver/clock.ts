import { rfc3339 } from '../../common/time.js';
// The apiserver's sense of time, injected so tests control timestamps and graceful deletion.
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export { rfc3339 };
