// Leader election of controller managers against the real apiserver: two instances in one process
// (the leader loses its connection and the standby takes over), and a leader that is a child
// process killed with SIGKILL (no release) replaced by the standby within the lease duration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import type { ReplicaSet } from '../../../common/api-types.js';
import { ControllerManager } from '../../../cluster/controllers/controller-manager.js';
import type { ElectionStats } from '../../../cluster/leader/leader-elector.js';
import { startApiServer } from '../apiserver/harness.js';
import { connect, until } from './kwok.js';
import { readFileSync } from 'node:fs';
import { createServer, connect as tcpConnect, type Socket } from 'node:net';
import { KubeClient } from '../../../cluster/client/kube-client.js';

/** A TCP relay to the apiserver on loopback that the test can cut, as a network partition would. */
async function relay(target: URL): Promise<{ url: string; cut(): void }> {
  const sockets = new Set<Socket>();
  const server = createServer((inbound) => {
    const outbound = tcpConnect(Number(target.port), target.hostname);
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `https://127.0.0.1:${port}`,
    cut() {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

const LE = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 };
/** Reads a standby makes in more than one lease duration (they are at least retryPeriod apart). */
const STANDBY_READS = Math.ceil(LE.leaseDurationMs / LE.retryPeriodMs) + 2;

/**
 * The takeover's bound in leader election's own terms: the new holder took the lease from `from`
 * after reading its last record at most leaseDuration/retryPeriod + 1 times (reads are at least
 * retryPeriod apart, and it takes over at the first read a lease duration after the record last
 * changed). Load slows the reads down; it cannot add reads, so this holds on a busy machine too.
 * And not before: the new acquireTime is a lease duration past the old record's renewTime.
 */
function assertTakeoverBound(stats: ElectionStats, from: string): void {
  assert.equal(stats.acquisitions, 1);
  assert.equal(stats.lastAcquisition?.previousHolder, from);
  const { readsOfLastRecord: reads, previousRenewTime, acquireTime } = stats.lastAcquisition!;
  const max = Math.ceil(LE.leaseDurationMs / LE.retryPeriodMs) + 1;
  assert.ok(reads >= 2 && reads <= max, `took over after ${reads} reads of the old record (expected 2..${max})`);
  // Not before: the lease's own times say the old holder's last renewal was a lease duration old.
  const waited = Date.parse(acquireTime!) - Date.parse(previousRenewTime!);
  assert.ok(
    waited >= LE.leaseDurationMs,
    `acquired ${waited} ms after the last renewal (lease ${LE.leaseDurationMs} ms)`,
  );
}
const rs = (name: string): ReplicaSet => ({
  metadata: { name, namespace: 'default' },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
  },
});

test('two controller managers in one process: one leads and acts; when it loses the apiserver the other takes over within the lease duration', async (t) => {
  const h = await startApiServer({ memory: true });
  const observer = connect(h);
  const partition = await relay(new URL(h.server.url));
  const clientA = new KubeClient({
    server: partition.url,
    ca: readFileSync(h.server.caPath),
    token: h.token,
    timeoutMs: 1000,
  });
  const clientB = connect(h);
  // Leadership changes as they happen, in order (each manager logs them from its elector's callbacks).
  const order: string[] = [];
  const log = (line: string) => order.push(line.replace(/( of)? kube-system\/.*/, ''));
  const a = new ControllerManager({
    client: clientA,
    identity: 'cm-a',
    controllers: ['replicaset'],
    leaderElection: LE,
    onError: () => {},
    log,
  });
  const b = new ControllerManager({
    client: clientB,
    identity: 'cm-b',
    controllers: ['replicaset'],
    leaderElection: LE,
    onError: () => {},
    log,
  });
  t.after(async () => {
    partition.cut();
    await a.stop();
    await b.stop();
    for (const c of [observer, clientA, clientB]) c.close();
    await h.stop();
  });
  a.start();
  await until('a leads', () => a.isActive());
  b.start();
  // Standing by for longer than a lease duration, counted in b's own reads of the Lease (spaced at
  // least retryPeriod apart): had b ignored a's renewals, it would have taken the lease by now.
  await until('b stood by for a lease duration', () => b.election!.reads >= STANDBY_READS, 30_000);
  assert.equal(b.election!.acquisitions, 0, 'the standby never took the lease');
  assert.equal(b.terms, 0, "the standby's controllers never ran");
  assert.equal(b.isActive(), false, 'the standby does not act');
  const lease = await observer.leases.get('kube-controller-manager', 'kube-system');
  assert.equal(lease.spec.holderIdentity, 'cm-a');
  await observer.replicaSets.create(rs('one'));
  await until(
    'a made the pods',
    async () => (await observer.pods.list({ namespace: 'default', labelSelector: 'app=one' })).items.length === 2,
  );
  // a's connection breaks: it cannot renew, steps down after renewDeadline; b waits out the lease.
  const termsLogged = order.length;
  partition.cut();
  await until('b leads', () => b.isActive(), 60_000);
  // a stops acting (renewDeadline) before b may start (leaseDuration): never two leaders.
  assert.deepEqual(order.slice(termsLogged), ['cm-a: stopped leading', 'cm-b: became leader']);
  assert.equal(b.terms, 1);
  assert.equal(a.isActive(), false, 'a stopped acting');
  assertTakeoverBound(b.election!, 'cm-a');
  const after = await observer.leases.get('kube-controller-manager', 'kube-system');
  assert.equal(after.spec.holderIdentity, 'cm-b');
  assert.equal(after.spec.leaseTransitions, 1);
  await observer.replicaSets.create(rs('two'));
  await until(
    'b made the pods',
    async () => (await observer.pods.list({ namespace: 'default', labelSelector: 'app=two' })).items.length === 2,
  );
});

test('a leader in a child process killed with SIGKILL is replaced by the standby within the lease duration', async (t) => {
  const h = await startApiServer({ memory: true });
  const client = connect(h);
  const standbyClient = connect(h);
  const main = join(dirname(fileURLToPath(import.meta.url)), '../../../cli/main.js');
  const child = execa(
    process.execPath,
    [
      main,
      'controller-manager',
      '--kubeconfig',
      h.kubeconfig,
      '--identity',
      'cm-child',
      '--controllers',
      'replicaset',
      '--lease-duration',
      String(LE.leaseDurationMs),
      '--renew-deadline',
      String(LE.renewDeadlineMs),
      '--retry-period',
      String(LE.retryPeriodMs),
    ],
    { stdin: 'ignore', buffer: false, reject: false },
  );
  let childOut = '';
  child.stdout.on('data', (d) => (childOut += d));
  child.stderr.on('data', (d) => (childOut += d));
  const standby = new ControllerManager({
    client: standbyClient,
    identity: 'cm-standby',
    controllers: ['replicaset'],
    leaderElection: LE,
    onError: () => {},
  });
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await standby.stop();
    client.close();
    standbyClient.close();
    await h.stop();
  });
  await until(
    'the child leads',
    async () =>
      (await client.leases.get('kube-controller-manager', 'kube-system').catch(() => undefined))?.spec
        .holderIdentity === 'cm-child',
    // A fresh node process loading the CLI: ~1 s of CPU, but 10+ s of wall time at load 20 on 2 cores.
    60_000,
  ).catch((e) => {
    throw new Error(`${e.message}; child said: ${childOut}`);
  });
  standby.start();
  await client.replicaSets.create(rs('by-child'));
  await until(
    'the child made the pods',
    async () => (await client.pods.list({ namespace: 'default', labelSelector: 'app=by-child' })).items.length === 2,
  );
  assert.equal(standby.isActive(), false);
  assert.equal(standby.terms, 0, "the standby's controllers never ran");
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
  await until('the standby leads', () => standby.isActive(), 60_000);
  // Not released (SIGKILL): the standby waited out the lease, and no longer.
  assertTakeoverBound(standby.election!, 'cm-child');
  t.diagnostic(
    `standby took over after ${standby.election!.lastAcquisition!.readsOfLastRecord} reads of the dead holder's record`,
  );
  await client.replicaSets.create(rs('by-standby'));
  await until(
    'the standby made the pods',
    async () => (await client.pods.list({ namespace: 'default', labelSelector: 'app=by-standby' })).items.length === 2,
  );
  const lease = await client.leases.get('kube-controller-manager', 'kube-system');
  assert.equal(lease.spec.holderIdentity, 'cm-standby');
});
