// Leader election with a fake clock over an in-memory Lease with optimistic concurrency (the same
// 409 rule the apiserver applies): one leader at a time, takeover only after the lease duration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Lease } from '../../../common/api-types.js';
import { FakeClock } from '../../../cluster/client/clock.js';
import { LeaderElector, LeaderElectionConfigError } from '../../../cluster/leader/leader-elector.js';
import type { LeaseLock } from '../../../cluster/leader/lease-lock.js';

class MemoryLock implements LeaseLock {
  readonly description = 'kube-system/test';
  lease: Lease | undefined;
  private rv = 0;
  down = new Set<string>();
  constructor(
    private readonly who: string,
    private readonly shared: { lock?: MemoryLock } = {},
  ) {}
  view(who: string): LeaseLock {
    const self = this;
    return {
      description: this.description,
      async get() {
        if (self.down.has(who)) throw new Error('connection refused');
        return self.lease && structuredClone(self.lease);
      },
      async create(l) {
        if (self.down.has(who)) throw new Error('connection refused');
        if (self.lease) throw new Error('AlreadyExists');
        self.lease = { ...l, metadata: { name: 'test', namespace: 'kube-system', resourceVersion: String(++self.rv) } };
        return structuredClone(self.lease);
      },
      async update(l) {
        if (self.down.has(who)) throw new Error('connection refused');
        if (l.metadata.resourceVersion !== self.lease?.metadata.resourceVersion) throw new Error('Conflict');
        self.lease = { ...l, metadata: { ...l.metadata, resourceVersion: String(++self.rv) } };
        return structuredClone(self.lease);
      },
    };
  }
  get(): never {
    throw new Error();
  }
  create(): never {
    throw new Error();
  }
  update(): never {
    throw new Error();
  }
}

async function advance(clock: FakeClock, ms: number, step = 100): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(step);
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
  }
}

function candidate(lock: MemoryLock, id: string, clock: FakeClock, log: string[]) {
  return new LeaderElector(
    {
      lock: lock.view(id),
      identity: id,
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      onError: () => {},
    },
    clock,
    {
      onStartedLeading: () => {
        log.push(`${id} started`);
        return () => log.push(`${id} stopped acting`);
      },
      onStoppedLeading: () => log.push(`${id} stopped leading`),
    },
  );
}

test('two candidates: exactly one leads; the standby takes over within the lease duration after the leader goes silent', async () => {
  const clock = new FakeClock();
  const lock = new MemoryLock('x');
  const log: string[] = [];
  const a = candidate(lock, 'a', clock, log);
  const b = candidate(lock, 'b', clock, log);
  const stopA = a.run();
  await advance(clock, 100);
  const stopB = b.run();
  await advance(clock, 10_000);
  assert.equal(a.isLeader(), true);
  assert.equal(b.isLeader(), false);
  assert.equal(b.getLeader(), 'a');
  assert.equal(lock.lease!.spec.holderIdentity, 'a');
  assert.equal(lock.lease!.spec.leaseTransitions, 0);
  // a's apiserver connection dies: it can no longer renew.
  lock.down.add('a');
  const silentAt = clock.now();
  let takeover = 0;
  for (let t = 0; t < 30_000 && !takeover; t += 100) {
    await advance(clock, 100);
    if (b.isLeader()) takeover = clock.now() - silentAt;
  }
  assert.ok(takeover > 0, 'b took over');
  // The standby counts the lease from when it saw the last renew (up to one jittered retry late) and
  // notices expiry on its next retry: at most leaseDuration + 2 × retryPeriod × 1.2.
  assert.ok(takeover <= 15_000 + 2 * 2_000 * 1.2 + 100, `takeover after ${takeover} ms`);
  assert.ok(takeover >= 15_000 - 2_000 * 1.2, `no takeover before the lease could expire (${takeover} ms)`);
  assert.equal(a.isLeader(), false, `a stepped down after its renew deadline: ${takeover} ${log.join(', ')}`);
  assert.ok(log.indexOf('a stopped leading') < log.indexOf('b started'), `a stops before b starts: ${log.join(', ')}`);
  assert.equal(lock.lease!.spec.holderIdentity, 'b');
  assert.equal(lock.lease!.spec.leaseTransitions, 1);
  stopA();
  stopB();
});

test('a leader that stops with releaseOnCancel hands over at once', async () => {
  const clock = new FakeClock();
  const lock = new MemoryLock('x');
  const log: string[] = [];
  const a = new LeaderElector({ lock: lock.view('a'), identity: 'a', releaseOnCancel: true }, clock, {
    onStartedLeading: () => {
      log.push('a');
    },
  });
  const b = candidate(lock, 'b', clock, log);
  a.run();
  await advance(clock, 100);
  b.run();
  await advance(clock, 5_000);
  assert.equal(a.isLeader(), true);
  await a.stop();
  assert.equal(lock.lease!.spec.holderIdentity, '');
  await advance(clock, 3_000);
  assert.equal(b.isLeader(), true);
  await b.stop();
});

test('renewing keeps acquireTime and leaseTransitions and moves renewTime', async () => {
  const clock = new FakeClock();
  const lock = new MemoryLock('x');
  const a = candidate(lock, 'a', clock, []);
  a.run();
  await advance(clock, 100);
  const first = structuredClone(lock.lease!);
  await advance(clock, 4_100);
  assert.equal(lock.lease!.spec.acquireTime, first.spec.acquireTime);
  assert.notEqual(lock.lease!.spec.renewTime, first.spec.renewTime);
  assert.match(lock.lease!.spec.renewTime!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  assert.equal(lock.lease!.spec.leaseDurationSeconds, 15);
  await a.stop();
});

test('a renew deadline not shorter than the lease duration is refused', () => {
  const clock = new FakeClock();
  const lock = new MemoryLock('x');
  assert.throws(
    () =>
      new LeaderElector(
        { lock: lock.view('a'), identity: 'a', leaseDurationMs: 5_000, renewDeadlineMs: 5_000 },
        clock,
        { onStartedLeading() {} },
      ),
    LeaderElectionConfigError,
  );
});
