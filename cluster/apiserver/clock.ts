// The apiserver's sense of time, injected so tests control timestamps and graceful deletion.
// It only reads the time: common/clock.ts's clock, read side; timestamps are common/time.ts's.
import { SystemClock, type NowClock } from '../../common/clock.js';
import { rfc3339 } from '../../common/time.js';

export type Clock = NowClock;

export const systemClock: Clock = new SystemClock();

export { rfc3339 };
