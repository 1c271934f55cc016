// Two scheduler instances over one apiserver: only the Lease holder schedules; when it stops, the
// standby takes the lease and schedules the next pod.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { KubeClient } from '../../../cluster/client/kube-client.js';
import { SchedulerServer } from '../../../cluster/scheduler/scheduler-server.js';
import { startApiServer } from '../apiserver/harness.js';
import { makeNode, makePod, seededRandom } from '../../unit/scheduler/fixtures.js';

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

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
  assert.equal(standby.isActive(), false);
  const lease = await client.leases.get('kube-scheduler', 'kube-system');
  assert.equal(lease.spec.holderIdentity, leader.identity);

  await client.pods.create(makePod('first'));
  await until('first bound', async () => (await client.pods.get('first', 'default')).spec.nodeName);
  assert.equal(leader.scheduler!.decisionFor('default', 'first')?.selected !== undefined, true);

  const t0 = Date.now();
  await leader.stop();
  await until('standby leads', () => standby.isActive());
  const takeover = Date.now() - t0;
  assert.ok(takeover < le.leaseDurationMs + 1000, `takeover took ${takeover} ms`);
  await client.pods.create(makePod('second'));
  await until('second bound by the new leader', async () => (await client.pods.get('second', 'default')).spec.nodeName);
  assert.ok(standby.scheduler!.decisionFor('default', 'second')?.selected);
  assert.equal(leader.isActive(), false);
});
