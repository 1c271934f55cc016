// API machinery semantics over HTTPS: watch bookmarks and selector transitions, graceful pod
// deletion, finalizers and propagation policies, binding/status subresources, generation,
// generateName, reads at a revision, namespace termination, Table responses.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpsRequest, Agent } from 'node:https';
import { readFileSync } from 'node:fs';
import { startApiServer, type Harness } from './harness.js';

const podBody = (name: string, extra: Record<string, unknown> = {}, labels: Record<string, string> = {}) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { containers: [{ name: 'c', image: 'busybox' }], ...extra },
  });

describe('apiserver semantics', () => {
  let h: Harness;
  before(async () => {
    h = await startApiServer({ bookmarkIntervalMs: 150 });
  });
  after(async () => {
    await h?.stop();
  });

  const req = async (method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
    const r = await h.request(method, path, {
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      headers,
    });
    return r;
  };

  /** Opens a watch and collects its events until stop(). */
  function watch(path: string) {
    const events: any[] = [];
    const agent = new Agent({ ca: readFileSync(h.server.caPath) });
    const r = httpsRequest(h.server.url + path, { agent, headers: { Authorization: `Bearer ${h.token}` } }, (res) => {
      let buf = '';
      res.setEncoding('utf8').on('data', (d: string) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buf.slice(0, i)));
          buf = buf.slice(i + 1);
        }
      });
    });
    r.on('error', () => {});
    r.end();
    return {
      events,
      async until(pred: (evs: any[]) => boolean, what: string) {
        const end = Date.now() + 5000;
        while (!pred(events)) {
          if (Date.now() > end)
            throw new Error(
              `timed out waiting for ${what}: ${JSON.stringify(events.map((e) => [e.type, e.object?.metadata?.name]))}`,
            );
          await new Promise((res) => setTimeout(res, 20));
        }
      },
      stop() {
        r.destroy();
        agent.destroy();
      },
    };
  }

  test('a selector-filtered watch sees objects enter and leave; bookmarks carry the revision', async () => {
    const list = await req('GET', '/api/v1/namespaces/default/pods');
    const w = watch(
      `/api/v1/namespaces/default/pods?watch=1&labelSelector=app%3Dweb&allowWatchBookmarks=true&resourceVersion=${list.json.metadata.resourceVersion}`,
    );
    try {
      assert.equal(
        (await req('POST', '/api/v1/namespaces/default/pods', podBody('w1', {}, { app: 'other' }))).status,
        201,
      );
      await req(
        'PATCH',
        '/api/v1/namespaces/default/pods/w1',
        { metadata: { labels: { app: 'web' } } },
        { 'Content-Type': 'application/merge-patch+json' },
      );
      await req(
        'PATCH',
        '/api/v1/namespaces/default/pods/w1',
        { metadata: { labels: { tier: 'x' } } },
        { 'Content-Type': 'application/merge-patch+json' },
      );
      const last = await req(
        'PATCH',
        '/api/v1/namespaces/default/pods/w1',
        { metadata: { labels: { app: 'gone' } } },
        { 'Content-Type': 'application/merge-patch+json' },
      );
      await w.until(
        (evs) =>
          evs.some(
            (e) =>
              e.type === 'BOOKMARK' &&
              Number(e.object.metadata.resourceVersion) >= Number(last.json.metadata.resourceVersion),
          ),
        'a bookmark at the last revision',
      );
      const changes = w.events.filter((e) => e.type !== 'BOOKMARK').map((e) => e.type);
      assert.deepEqual(changes, ['ADDED', 'MODIFIED', 'DELETED']);
      const bm = w.events.find((e) => e.type === 'BOOKMARK');
      assert.equal(bm.object.kind, 'Pod');
    } finally {
      w.stop();
    }
  });

  test('graceful deletion of a scheduled pod; an unscheduled pod goes at once', async () => {
    assert.equal(
      (await req('POST', '/api/v1/namespaces/default/pods', podBody('sched', { nodeName: 'node5' }))).status,
      201,
    );
    const d = await req('DELETE', '/api/v1/namespaces/default/pods/sched');
    assert.equal(d.status, 200);
    assert.ok(d.json.metadata.deletionTimestamp);
    assert.equal(d.json.metadata.deletionGracePeriodSeconds, 30);
    const still = await req('GET', '/api/v1/namespaces/default/pods/sched');
    assert.equal(still.status, 200);
    const table = await req('GET', '/api/v1/namespaces/default/pods/sched', undefined, {
      Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
    });
    assert.equal(table.json.rows[0].cells[2], 'Terminating');
    // The kubelet's confirmation: grace 0.
    assert.equal((await req('DELETE', '/api/v1/namespaces/default/pods/sched?gracePeriodSeconds=0')).status, 200);
    assert.equal((await req('GET', '/api/v1/namespaces/default/pods/sched')).status, 404);
    await req('POST', '/api/v1/namespaces/default/pods', podBody('unsched'));
    const u = await req('DELETE', '/api/v1/namespaces/default/pods/unsched');
    assert.equal(u.status, 200);
    assert.equal((await req('GET', '/api/v1/namespaces/default/pods/unsched')).status, 404);
  });

  test('finalizers hold an object until cleared; propagation policies are recorded', async () => {
    const cm = (name: string, finalizers?: string[]) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, finalizers },
    });
    await req('POST', '/api/v1/namespaces/default/configmaps', cm('held', ['example.com/hold']));
    const d = await req('DELETE', '/api/v1/namespaces/default/configmaps/held');
    assert.equal(d.status, 200);
    assert.ok(d.json.metadata.deletionTimestamp);
    assert.equal((await req('GET', '/api/v1/namespaces/default/configmaps/held')).status, 200);
    const cleared = await req(
      'PATCH',
      '/api/v1/namespaces/default/configmaps/held',
      { metadata: { finalizers: null } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    assert.equal(cleared.status, 200);
    assert.equal((await req('GET', '/api/v1/namespaces/default/configmaps/held')).status, 404);
    await req('POST', '/api/v1/namespaces/default/configmaps', cm('fg'));
    const fg = await req('DELETE', '/api/v1/namespaces/default/configmaps/fg', {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      propagationPolicy: 'Foreground',
    });
    assert.deepEqual(fg.json.metadata.finalizers, ['foregroundDeletion']);
    await req('POST', '/api/v1/namespaces/default/configmaps', cm('or'));
    const or = await req('DELETE', '/api/v1/namespaces/default/configmaps/or?propagationPolicy=Orphan');
    assert.deepEqual(or.json.metadata.finalizers, ['orphan']);
    const bg = await req('POST', '/api/v1/namespaces/default/configmaps', cm('bg'));
    const gone = await req('DELETE', '/api/v1/namespaces/default/configmaps/bg?propagationPolicy=Background');
    assert.deepEqual(
      [gone.json.kind, gone.json.status, gone.json.details.uid],
      ['Status', 'Success', bg.json.metadata.uid],
    );
  });

  test('binding and status subresources; generation follows spec only', async () => {
    await req('POST', '/api/v1/namespaces/default/pods', podBody('b1'));
    const bind = await req('POST', '/api/v1/namespaces/default/pods/b1/binding', {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'b1' },
      target: { apiVersion: 'v1', kind: 'Node', name: 'node5' },
    });
    assert.equal(bind.status, 201);
    const p = await req('GET', '/api/v1/namespaces/default/pods/b1');
    assert.equal(p.json.spec.nodeName, 'node5');
    const again = await req('POST', '/api/v1/namespaces/default/pods/b1/binding', {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'b1' },
      target: { kind: 'Node', name: 'node1' },
    });
    assert.equal(again.status, 409);
    const st = await req('PUT', '/api/v1/namespaces/default/pods/b1/status', {
      ...p.json,
      metadata: { ...p.json.metadata, labels: { ignored: 'yes' } },
      status: { phase: 'Running', podIP: '192.168.132.5' },
    });
    assert.equal(st.status, 200);
    assert.equal(st.json.status.phase, 'Running');
    // The status subresource ignores the labels; the pod has none, and Go's omitempty drops the empty map.
    assert.equal(st.json.metadata.labels, undefined);
    const main = await req('PUT', '/api/v1/namespaces/default/pods/b1', { ...st.json, status: { phase: 'Failed' } });
    assert.equal(main.json.status.phase, 'Running');
    const dep = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { generateName: 'gen-' },
      spec: {
        selector: { matchLabels: { a: 'b' } },
        template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
      },
    };
    const c = await req('POST', '/apis/apps/v1/namespaces/default/deployments', dep);
    assert.match(c.json.metadata.name, /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.equal(c.json.metadata.generation, 1);
    const path = `/apis/apps/v1/namespaces/default/deployments/${c.json.metadata.name}`;
    const lab = await req(
      'PATCH',
      path,
      { metadata: { labels: { x: 'y' } } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    assert.equal(lab.json.metadata.generation, 1);
    const spec = await req(
      'PATCH',
      path,
      { spec: { replicas: 7 } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    assert.equal(spec.json.metadata.generation, 2);
    const same = await req(
      'PATCH',
      path,
      { spec: { replicas: 7 } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    assert.equal(
      same.json.metadata.resourceVersion,
      spec.json.metadata.resourceVersion,
      'a no-op patch writes nothing',
    );
  });

  test('reads at a revision, limit and continue', async () => {
    const a = await req('POST', '/api/v1/namespaces/default/configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'rv' },
      data: { v: '1' },
    });
    await req(
      'PATCH',
      '/api/v1/namespaces/default/configmaps/rv',
      { data: { v: '2' } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    const old = await req(
      'GET',
      `/api/v1/namespaces/default/configmaps/rv?resourceVersion=${a.json.metadata.resourceVersion}`,
    );
    assert.equal(old.json.data.v, '1');
    const exact = await req(
      'GET',
      `/api/v1/namespaces/default/configmaps?resourceVersion=${a.json.metadata.resourceVersion}&resourceVersionMatch=Exact`,
    );
    assert.equal(exact.json.items.find((i: any) => i.metadata.name === 'rv').data.v, '1');
    const names: string[] = [];
    let cont = '';
    do {
      const page = await req('GET', `/api/v1/namespaces/default/configmaps?limit=1${cont ? `&continue=${cont}` : ''}`);
      names.push(...page.json.items.map((i: any) => i.metadata.name));
      cont = page.json.metadata.continue ?? '';
    } while (cont);
    const all = await req('GET', '/api/v1/namespaces/default/configmaps');
    assert.deepEqual(
      names,
      all.json.items.map((i: any) => i.metadata.name),
    );
    const future = await req(
      'GET',
      `/api/v1/namespaces/default/configmaps?resourceVersion=${Number(all.json.metadata.resourceVersion) + 1000}`,
    );
    assert.equal(future.status, 504);
  });

  test('a list across namespaces pages with continue, and a token that escapes its prefix is refused', async () => {
    await req('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'pages' } });
    for (const ns of ['default', 'pages']) {
      for (const n of ['p1', 'p2'])
        await req('POST', `/api/v1/namespaces/${ns}/configmaps`, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: n },
        });
    }
    const names: string[] = [];
    let cont = '';
    do {
      const page = await req('GET', `/api/v1/configmaps?limit=1${cont ? `&continue=${cont}` : ''}`);
      assert.equal(page.status, 200, JSON.stringify(page.json));
      names.push(...page.json.items.map((i: any) => `${i.metadata.namespace}/${i.metadata.name}`));
      cont = page.json.metadata.continue ?? '';
    } while (cont);
    const all = await req('GET', '/api/v1/configmaps');
    assert.deepEqual(
      names,
      all.json.items.map((i: any) => `${i.metadata.namespace}/${i.metadata.name}`),
    );
    assert.ok(names.includes('pages/p2'));
    const escape = Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: 1, start: '../secrets/x' })).toString(
      'base64url',
    );
    assert.equal((await req('GET', `/api/v1/configmaps?limit=1&continue=${escape}`)).status, 400);
  });

  test('a namespace terminates, refuses new content, and goes once finalized', async () => {
    await req('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'tmp' } });
    const d = await req('DELETE', '/api/v1/namespaces/tmp');
    assert.equal(d.json.status.phase, 'Terminating');
    const refused = await req('POST', '/api/v1/namespaces/tmp/configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x' },
    });
    assert.equal(refused.status, 403);
    const fin = await req('PUT', '/api/v1/namespaces/tmp/finalize', { ...d.json, spec: { finalizers: [] } });
    assert.equal(fin.status, 200);
    assert.equal((await req('GET', '/api/v1/namespaces/tmp')).status, 404);
    assert.equal((await req('DELETE', '/api/v1/namespaces/default')).status, 403);
  });

  test('Table responses: columns, includeObject', async () => {
    const accept = { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' };
    const t = await req('GET', '/api/v1/namespaces/default/services', undefined, accept);
    assert.equal(t.json.kind, 'Table');
    assert.deepEqual(
      t.json.columnDefinitions.map((c: any) => c.name),
      ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector'],
    );
    assert.equal(t.json.rows[0].object.kind, 'PartialObjectMetadata');
    const full = await req('GET', '/api/v1/namespaces/default/services?includeObject=Object', undefined, accept);
    assert.equal(full.json.rows[0].object.kind, 'Service');
    const none = await req('GET', '/api/v1/namespaces/default/services?includeObject=None', undefined, accept);
    // TableRow.object is a runtime.RawExtension (a struct, so omitempty keeps it): an empty one is written as null.
    assert.equal(none.json.rows[0].object, null);
    const generic = await req('GET', '/apis/coordination.k8s.io/v1/namespaces/default/leases', undefined, accept);
    assert.deepEqual(
      generic.json.columnDefinitions.map((c: any) => c.name),
      ['Name', 'Holder', 'Age'],
    );
  });
});
