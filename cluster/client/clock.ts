// The client's clock is the project's one clock (common/clock.ts); kept as a module so that
// importers of cluster/client/clock.js keep working.
export { FakeClock, SystemClock, type Clock } from '../../common/clock.js';
