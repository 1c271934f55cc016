// Two scheduler instances (the SchedulerServer the cluster daemon runs) over one apiserver: only the
// Lease holder schedules; when it stops (releasing the lease), the standby takes the lease at its
// next read and schedules the next pod. Bounds are leader election's own counts, not wall time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { KubeClient } from '../../../cluster/client/kube-client.js';
import { SchedulerServer } from '../../../cluster/scheduler/scheduler-server.js';
import { startApiServer } from '../apiserver/harness.js';
import { makeNode, makePod, seededRandom } from '../../unit/scheduler/fixtures.js';
import { eventually as until } from '../../helpers/eventually.js';

test('only the leader schedules; the standby takes over when it stops', async (t) => {
  const h = await startApiServer({ memory: true });
  const client = new KubeClient({ server: h.server.url, ca: readFileSync(h.server.caPath), token: h.token });
  const errors: string[] = [];
  const le = { leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 200 };
  const mk = (id: string) =>
    new SchedulerServer({
      client,
      identity: id,
      leaderElection: le,
      random: seededRandom(1),
      onError: (e, c) => errors.push(`${id} ${c}: ${(e as Error).message}`),
    });
  const a = mk('sched-a');
  const b = mk('sched-b');
  t.after(async () => {
    await a.stop();
    await b.stop();
    client.close();
    await h.stop();
  });
  for (let i = 1; i <= 3; i++) await client.nodes.create(makeNode(`node${i}`));
  a.start();
  b.start();
  const leader = await until('a leader', () => (a.isActive() ? a : b.isActive() ? b : undefined));
  const standby = leader === a ? b : a;
  // Standing by for more than a lease duration, counted in its own reads (>= retryPeriod apart).
  const standbyReads = Math.ceil(2000 / le.retryPeriodMs) + 2;
  await until('the standby stood by', () => standby.election!.reads >= standbyReads, 30_000);
  assert.equal(standby.isActive(), false);
  assert.equal(standby.terms, 0, "the standby's scheduler never ran");
  assert.equal(standby.election!.acquisitions, 0);
  const lease = await client.leases.get('kube-scheduler', 'kube-system');
  assert.equal(lease.spec.holderIdentity, leader.identity);

  await client.pods.create(makePod('first'));
  await until('first bound', async () => (await client.pods.get('first', 'default')).spec.nodeName);
  assert.equal(leader.scheduler!.decisionFor('default', 'first')?.selected !== undefined, true);

  await leader.stop();
  await until('standby leads', () => standby.isActive(), 60_000);
  // The leader released the lease: the standby took it at its first read of the released record.
  const taken = standby.election!.lastAcquisition!;
  assert.deepEqual([taken.previousHolder, taken.readsOfLastRecord], ['', 1]);
  assert.equal(standby.terms, 1);
  await client.pods.create(makePod('second'));
  await until('second bound by the new leader', async () => (await client.pods.get('second', 'default')).spec.nodeName);
  assert.ok(standby.scheduler!.decisionFor('default', 'second')?.selected);
  assert.equal(leader.isActive(), false);
});
