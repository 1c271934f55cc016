// Time as an injected dependency (STYLE.md rule 5): real components get SystemClock, tests get
// FakeClock and move time forward by hand, so backoffs and resyncs are tested without sleeping.
// The one clock of the project (issue 14 item 18): the client, controllers, agents, the apiserver
// (which only reads the time: NowClock) and kube-proxy's sync timing all use it.

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs fn after ms; the returned function cancels it (safe to call after it ran). */
  setTimer(fn: () => void, ms: number): () => void;
}

/** A clock that is only read (the apiserver's timestamps, a sync's duration). */
export type NowClock = Pick<Clock, 'now'>;

export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }
  setTimer(fn: () => void, ms: number): () => void {
    const t = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(t);
  }
}

interface FakeTimer {
  at: number;
  seq: number;
  fn: () => void;
}

/** A clock that only moves when told; timers fire in due order during advance(). */
export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: FakeTimer[] = [];

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimer(fn: () => void, ms: number): () => void {
    const timer: FakeTimer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((x) => x !== timer);
    };
  }

  /** Moves time forward by ms, running every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.timers = this.timers.filter((x) => x !== next);
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
  }

  /** Timers not yet fired. */
  pendingTimers(): number {
    return this.timers.length;
  }
}
