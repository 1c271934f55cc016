// ControllerExpectations (client-go's controller_utils): a controller that just asked for N creates
// must not ask again before its cache has seen them, or a fast second sync would double the pods.
// Each key holds the creates/deletes still to be observed; they expire after 5 minutes so a lost
// watch event cannot wedge a controller forever.
/** Only the time is needed; the client's Clock fits. */
export interface NowSource {
  now(): number;
}

const TTL_MS = 5 * 60_000;

interface Expectation {
  add: number;
  del: number;
  at: number;
}

export class Expectations {
  private readonly byKey = new Map<string, Expectation>();
  constructor(private readonly clock: NowSource) {}

  expect(key: string, adds: number, dels: number): void {
    this.byKey.set(key, { add: adds, del: dels, at: this.clock.now() });
  }

  creationObserved(key: string): void {
    const e = this.byKey.get(key);
    if (e) e.add--;
  }

  deletionObserved(key: string): void {
    const e = this.byKey.get(key);
    if (e) e.del--;
  }

  /** A create that failed will never be observed: take it off what is expected. */
  lowerExpectations(key: string, adds: number, dels: number): void {
    const e = this.byKey.get(key);
    if (e) {
      e.add -= adds;
      e.del -= dels;
    }
  }

  satisfied(key: string): boolean {
    const e = this.byKey.get(key);
    if (!e) return true;
    return (e.add <= 0 && e.del <= 0) || this.clock.now() - e.at > TTL_MS;
  }

  delete(key: string): void {
    this.byKey.delete(key);
  }
}
