// Leader election of controller managers against the real apiserver: two instances in one process
// (the leader loses its connection and the standby takes over), and a leader that is a child
// process killed with SIGKILL (no release) replaced by the standby within the lease duration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { ReplicaSet } from '../../../common/api-types.js';
import { ControllerManager } from '../../../cluster/controllers/controller-manager.js';
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
  const a = new ControllerManager({
    client: clientA,
    identity: 'cm-a',
    controllers: ['replicaset'],
    leaderElection: LE,
    onError: () => {},
  });
  const b = new ControllerManager({
    client: clientB,
    identity: 'cm-b',
    controllers: ['replicaset'],
    leaderElection: LE,
    onError: () => {},
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
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(b.isActive(), false, 'the standby does not act');
  const lease = await observer.leases.get('kube-controller-manager', 'kube-system');
  assert.equal(lease.spec.holderIdentity, 'cm-a');
  await observer.replicaSets.create(rs('one'));
  await until(
    'a made the pods',
    async () => (await observer.pods.list({ namespace: 'default', labelSelector: 'app=one' })).items.length === 2,
  );
  // a's connection breaks: it cannot renew, steps down after renewDeadline; b waits out the lease.
  partition.cut();
  const brokeAt = Date.now();
  await until('b leads', () => b.isActive(), 10_000);
  const takeover = Date.now() - brokeAt;
  assert.ok(takeover <= LE.leaseDurationMs + 2 * LE.retryPeriodMs * 1.2 + 1000, `takeover took ${takeover} ms`);
  assert.equal(a.isActive(), false, 'a stopped acting');
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
  const child = spawn(
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
    { stdio: ['ignore', 'pipe', 'pipe'] },
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
    10_000,
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
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
  const killedAt = Date.now();
  await until('the standby leads', () => standby.isActive(), 10_000);
  const takeover = Date.now() - killedAt;
  assert.ok(takeover <= LE.leaseDurationMs + 2 * LE.retryPeriodMs * 1.2 + 1000, `takeover took ${takeover} ms`);
  t.diagnostic(`standby took over ${takeover} ms after SIGKILL (lease duration ${LE.leaseDurationMs} ms)`);
  await client.replicaSets.create(rs('by-standby'));
  await until(
    'the standby made the pods',
    async () => (await client.pods.list({ namespace: 'default', labelSelector: 'app=by-standby' })).items.length === 2,
  );
  const lease = await client.leases.get('kube-controller-manager', 'kube-system');
  assert.equal(lease.spec.holderIdentity, 'cm-standby');
});
