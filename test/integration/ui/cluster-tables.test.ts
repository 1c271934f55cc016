// The cluster tables against a real apiserver (HTTPS, token, RBAC) started for this test: the
// UI server reads its admin kubeconfig, pushes tables over the WebSocket as objects change, and
// returns one object as YAML.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { startApiServer, type Harness } from '../apiserver/harness.js';
import { startUiApp } from '../../../server/ui-app.js';
import type { RunningUiServer } from '../../../server/ui-server.js';
import { UiTestClient } from '../../helpers/ui-client.js';
import type { ServerMessage } from '../../../common/ui-contract.js';
import { KubeClient } from '../../../cluster/client/kube-client.js';
import { restConfigFromKubeconfig } from '../../../server/cluster/kubeconfig-reader.js';

const root = process.env.KUBEWIRE_ROOT ?? process.cwd();
let api: Harness;
let ui: RunningUiServer;
let client: UiTestClient;

type ClusterFrame = Extract<ServerMessage, { type: 'cluster' }>;

before(async () => {
  api = await startApiServer({ memory: true });
  ui = await startUiApp({
    prefix: 'kw-tclus0-',
    staticDir: join(root, 'dist', 'renderer'),
    kubeconfig: api.kubeconfig,
    log: () => {},
  });
  client = new UiTestClient(ui.port, ui.token);
  await client.connect();
});

after(async () => {
  client?.close();
  await ui?.dispose();
  await api?.stop();
});

test('tables follow the apiserver through watch, and a row opens as YAML', async () => {
  client.send({ type: 'cluster.subscribe' });
  const first = await client.waitFor<ClusterFrame>(
    (m) => m.type === 'cluster' && m.snapshot.synced,
    10_000,
    'a synced cluster snapshot',
  );
  assert.equal(first.snapshot.error, undefined);
  assert.deepEqual(
    first.snapshot.tables.map((t) => t.kind),
    ['nodes', 'pods', 'deployments', 'replicasets', 'services', 'endpoints', 'events'],
  );

  const kube = new KubeClient(restConfigFromKubeconfig(readFileSync(api.kubeconfig, 'utf8'), api.kubeconfig));
  const mark = client.frames.length;
  await kube.pods.create(
    {
      metadata: { name: 'kubia-b', namespace: 'default', labels: { app: 'kubia' } },
      spec: { containers: [{ name: 'kubia', image: 'kubia' }] },
    } as never,
    'default',
  );
  await kube.services.create(
    {
      metadata: { name: 'kubia', namespace: 'default' },
      spec: { selector: { app: 'kubia' }, ports: [{ port: 80, targetPort: 8080 }] },
    } as never,
    'default',
  );
  const frame = await client.waitFor<ClusterFrame>(
    (m) =>
      m.type === 'cluster' &&
      !!m.snapshot.tables.find((t) => t.kind === 'pods')?.rows.some((r) => r.name === 'kubia-b') &&
      !!m.snapshot.tables.find((t) => t.kind === 'services')?.rows.some((r) => r.name === 'kubia'),
    10_000,
    'the new pod and service in the tables',
    mark,
  );
  const svc = frame.snapshot.tables.find((t) => t.kind === 'services')!.rows.find((r) => r.name === 'kubia')!;
  assert.equal(svc.cells[2], 'ClusterIP');
  assert.match(svc.cells[3]!, /^\d+\.\d+\.\d+\.\d+$/);
  const y = await client.mustCall('cluster.get', { kind: 'pods', namespace: 'default', name: 'kubia-b' });
  assert.match(y.yaml, /^apiVersion: v1\nkind: Pod\nmetadata:\n/);
  assert.match(y.yaml, /name: kubia-b/);
  assert.match(y.yaml, /image: kubia/);
  const missing = await client.call('cluster.get', { kind: 'pods', namespace: 'default', name: 'nope' });
  assert.equal(!missing.ok && missing.error.code, 'unavailable');
  client.send({ type: 'cluster.unsubscribe' });
});
