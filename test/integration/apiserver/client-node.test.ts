// @kubernetes/client-node against the apiserver: list, watch, create, patch (each type), and a
// 409 Conflict on an update with a stale resourceVersion.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  Watch,
  setHeaderOptions,
  type V1Pod,
} from '@kubernetes/client-node';
import { startApiServer, type Harness } from './harness.js';

const pod = (name: string, labels: Record<string, string> = {}): V1Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
});

describe('@kubernetes/client-node against the apiserver', () => {
  let h: Harness;
  let kc: KubeConfig;
  let core: CoreV1Api;
  before(async () => {
    h = await startApiServer();
    kc = new KubeConfig();
    kc.loadFromFile(h.kubeconfig);
    core = kc.makeApiClient(CoreV1Api);
  });
  after(async () => {
    await h?.stop();
  });

  test('create, get and list with a label selector', async () => {
    const created = await core.createNamespacedPod({ namespace: 'default', body: pod('one', { app: 'a' }) });
    assert.equal(created.status?.phase, 'Pending');
    assert.match(created.metadata?.uid ?? '', /^[0-9a-f-]{36}$/);
    assert.match(created.metadata?.resourceVersion ?? '', /^\d+$/);
    await core.createNamespacedPod({ namespace: 'default', body: pod('two', { app: 'b' }) });
    const got = await core.readNamespacedPod({ namespace: 'default', name: 'one' });
    assert.equal(got.spec?.containers[0]?.imagePullPolicy, 'Always');
    const list = await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=a' });
    assert.deepEqual(
      list.items.map((p) => p.metadata?.name),
      ['one'],
    );
    const paged = await core.listNamespacedPod({ namespace: 'default', limit: 1 });
    assert.equal(paged.items.length, 1);
    assert.ok(paged.metadata?._continue);
    assert.equal(paged.metadata?.remainingItemCount, 1);
    const rest = await core.listNamespacedPod({ namespace: 'default', limit: 1, _continue: paged.metadata?._continue });
    assert.deepEqual(
      rest.items.map((p) => p.metadata?.name),
      ['two'],
    );
  });

  test('patch: strategic merge, merge and JSON patch', async () => {
    const smp = await core.patchNamespacedPod(
      { namespace: 'default', name: 'one', body: { metadata: { labels: { smp: 'yes' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    assert.equal(smp.metadata?.labels?.smp, 'yes');
    const merge = await core.patchNamespacedPod(
      { namespace: 'default', name: 'one', body: { metadata: { labels: { smp: null, merge: 'yes' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    assert.deepEqual(merge.metadata?.labels, { app: 'a', merge: 'yes' });
    const json = await core.patchNamespacedPod(
      {
        namespace: 'default',
        name: 'one',
        body: [{ op: 'add', path: '/metadata/annotations', value: { note: 'json' } }],
      },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    assert.equal(json.metadata?.annotations?.note, 'json');
  });

  test('an update with a stale resourceVersion gets 409 Conflict and changes nothing', async () => {
    const cur = await core.readNamespacedPod({ namespace: 'default', name: 'two' });
    const fresh = structuredClone(cur);
    fresh.metadata!.labels = { ...fresh.metadata!.labels, fresh: 'yes' };
    await core.replaceNamespacedPod({ namespace: 'default', name: 'two', body: fresh });
    cur.metadata!.labels = { stale: 'yes' };
    await assert.rejects(core.replaceNamespacedPod({ namespace: 'default', name: 'two', body: cur }), (err: any) => {
      assert.equal(err.code, 409);
      const body = JSON.parse(err.body);
      assert.equal(body.reason, 'Conflict');
      assert.equal(
        body.message,
        'Operation cannot be fulfilled on pods "two": the object has been modified; please apply your changes to the latest version and try again',
      );
      return true;
    });
    const now = await core.readNamespacedPod({ namespace: 'default', name: 'two' });
    assert.equal(now.metadata?.labels?.fresh, 'yes');
    assert.equal(now.metadata?.labels?.stale, undefined);
  });

  test('watch delivers ADDED, MODIFIED, DELETED after the list revision', async () => {
    const list = await core.listNamespacedPod({ namespace: 'default' });
    const events: [string, string][] = [];
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const ac = await new Watch(kc).watch(
      '/api/v1/namespaces/default/pods',
      { resourceVersion: list.metadata?.resourceVersion, allowWatchBookmarks: true },
      (type, obj) => {
        events.push([type, obj.metadata?.name]);
        if (type === 'DELETED') done();
      },
      () => {},
    );
    try {
      await core.createNamespacedPod({ namespace: 'default', body: pod('three') });
      await core.patchNamespacedPod(
        { namespace: 'default', name: 'three', body: { metadata: { labels: { x: 'y' } } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await core.deleteNamespacedPod({ namespace: 'default', name: 'three' });
      await finished;
      assert.deepEqual(events, [
        ['ADDED', 'three'],
        ['MODIFIED', 'three'],
        ['DELETED', 'three'],
      ]);
    } finally {
      ac.abort();
    }
  });

  test('apps/v1: deployment create and scale subresource', async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: { name: 'd' },
        spec: {
          selector: { matchLabels: { app: 'd' } },
          template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
        },
      },
    });
    const scale = await apps.readNamespacedDeploymentScale({ namespace: 'default', name: 'd' });
    assert.equal(scale.spec?.replicas, 1);
    assert.equal(scale.status?.selector, 'app=d');
    const scaled = await apps.replaceNamespacedDeploymentScale({
      namespace: 'default',
      name: 'd',
      body: { ...scale, spec: { replicas: 3 } },
    });
    assert.equal(scaled.spec?.replicas, 3);
    const d = await apps.readNamespacedDeployment({ namespace: 'default', name: 'd' });
    assert.equal(d.spec?.replicas, 3);
    assert.equal(d.metadata?.generation, 2);
  });
  test('typed APIs read new workloads: the status counters Go writes without omitempty are there', async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    const sel = { matchLabels: { app: 'w' } };
    const template = { metadata: { labels: { app: 'w' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
    const rs = await apps.createNamespacedReplicaSet({
      namespace: 'default',
      body: { metadata: { name: 'w-rs' }, spec: { selector: sel, template } },
    });
    assert.equal(rs.status?.replicas, 0);
    const ds = await apps.createNamespacedDaemonSet({
      namespace: 'default',
      body: { metadata: { name: 'w-ds' }, spec: { selector: sel, template } },
    });
    assert.deepEqual(
      [
        ds.status?.currentNumberScheduled,
        ds.status?.numberMisscheduled,
        ds.status?.desiredNumberScheduled,
        ds.status?.numberReady,
      ],
      [0, 0, 0, 0],
    );
    const sts = await apps.createNamespacedStatefulSet({
      namespace: 'default',
      body: { metadata: { name: 'w-sts' }, spec: { selector: sel, template, serviceName: 'w' } },
    });
    assert.equal(sts.status?.replicas, 0);
    const rc = await core.createNamespacedReplicationController({
      namespace: 'default',
      body: { metadata: { name: 'w-rc' }, spec: { selector: { app: 'w' }, template } },
    });
    assert.equal(rc.status?.replicas, 0);
    assert.equal((await apps.readNamespacedDaemonSet({ namespace: 'default', name: 'w-ds' })).status?.numberReady, 0);
    assert.ok(
      (await apps.listNamespacedStatefulSet({ namespace: 'default' })).items.some((x) => x.metadata?.name === 'w-sts'),
    );
  });
});
