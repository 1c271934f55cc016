// The real kubectl (v1.32) against the apiserver: apply (created → unchanged → configured), get -o
// wide, get -w, describe, scale, label, patch of each type, delete, api-resources, auth can-i.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { KUBECTL, NO_KUBECTL, startApiServer, type Harness } from './harness.js';
import { eventually } from '../../helpers/eventually.js';

const MANIFEST = (replicas: number, value: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: kubia
  labels: {app: kubia}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: kubia}
  template:
    metadata:
      labels: {app: kubia}
    spec:
      containers:
      - name: kubia
        image: luksa/kubia:v1
        ports:
        - containerPort: 8080
        env:
        - {name: GREETING, value: "${value}"}
---
apiVersion: v1
kind: Service
metadata:
  name: kubia
spec:
  type: NodePort
  selector: {app: kubia}
  ports:
  - port: 80
    targetPort: 8080
    nodePort: 32681
`;

describe('kubectl against the apiserver', () => {
  before(() => {
    if (NO_KUBECTL) throw new Error(NO_KUBECTL);
  });
  let h: Harness;
  before(async () => {
    h = await startApiServer();
  });
  after(async () => {
    await h?.stop();
  });

  const ok = async (...args: string[]) => {
    const r = await h.kubectl(...args);
    assert.equal(r.exitCode, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };

  test('apply: created, then unchanged, then configured after an edit', async () => {
    const file = join(h.dir, 'app.yaml');
    writeFileSync(file, MANIFEST(3, 'hi'));
    assert.equal(await ok('apply', '-f', file), 'deployment.apps/kubia created\nservice/kubia created');
    assert.equal(await ok('apply', '-f', file), 'deployment.apps/kubia unchanged\nservice/kubia unchanged');
    writeFileSync(file, MANIFEST(2, 'hello'));
    assert.equal(await ok('apply', '-f', file), 'deployment.apps/kubia configured\nservice/kubia unchanged');
    const d = JSON.parse(await ok('get', 'deploy', 'kubia', '-o', 'json'));
    assert.equal(d.spec.replicas, 2);
    assert.equal(d.metadata.generation, 2);
    assert.deepEqual(d.spec.template.spec.containers[0].env, [{ name: 'GREETING', value: 'hello' }]);
    const svc = JSON.parse(await ok('get', 'svc', 'kubia', '-o', 'json'));
    assert.equal(svc.spec.ports[0].nodePort, 32681);
    assert.match(svc.spec.clusterIP, /^192\.168\.(19[2-9]|2\d\d)\.\d+$/);
  });

  test('apply reports unknown fields (server-side strict validation)', async () => {
    const file = join(h.dir, 'bad.yaml');
    writeFileSync(
      file,
      'apiVersion: v1\nkind: Pod\nmetadata: {name: typo}\nspec:\n  containers:\n  - name: c\n    imagee: nginx\n',
    );
    const r = await h.kubectl('apply', '-f', file);
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /unknown field "spec\.containers\[0\]\.imagee"/);
    assert.equal((await h.kubectl('get', 'pod', 'typo')).exitCode, 1);
  });

  test('get pods,deploy,rs,svc,ep -o wide prints the real columns', async () => {
    await ok('run', 'web', '--image=nginx:1.27', '--labels=app=web');
    const out = await ok('get', 'pods,deploy,rs,svc,ep', '-o', 'wide');
    assert.match(out, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/m);
    assert.match(out, /^pod\/web\s+0\/1\s+Pending\s+0\s+\S+\s+<none>\s+<none>\s+<none>\s+<none>$/m);
    assert.match(out, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/m);
    assert.match(out, /^deployment\.apps\/kubia\s+0\/2\s+0\s+0\s+\S+\s+kubia\s+luksa\/kubia:v1\s+app=kubia$/m);
    assert.match(out, /^service\/kubia\s+NodePort\s+192\.168\.\d+\.\d+\s+<none>\s+80:32681\/TCP\s+\S+\s+app=kubia$/m);
    assert.match(out, /^service\/kubernetes\s+ClusterIP\s+192\.168\.192\.1\s+<none>\s+443\/TCP/m);
    assert.match(out, /^endpoints\/kubernetes\s+127\.0\.0\.1:\d+/m);
  });

  test('get -w streams changes another client makes', async () => {
    const watch = execa(KUBECTL, ['get', 'pods', '-w', '--output-watch-events'], {
      env: { KUBECONFIG: h.kubeconfig, HOME: h.dir },
      reject: false,
    });
    let seen = '';
    watch.stdout!.on('data', (c: Buffer) => (seen += c.toString()));
    try {
      await eventually('the initial list', () => seen.includes('web'));
      const created = await h.request('POST', '/api/v1/namespaces/default/pods', {
        body: JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'watched' },
          spec: { containers: [{ name: 'c', image: 'busybox' }] },
        }),
      });
      assert.equal(created.status, 201);
      await eventually('ADDED watched', () => /ADDED\s+watched\s+0\/1\s+Pending/.test(seen));
      const del = await h.request('DELETE', '/api/v1/namespaces/default/pods/watched');
      assert.equal(del.status, 200);
      await eventually('DELETED watched', () => /DELETED\s+watched/.test(seen));
    } finally {
      watch.kill();
      await watch;
    }
  });

  test('describe, scale, label', async () => {
    const d = await ok('describe', 'deployment', 'kubia');
    assert.match(d, /^Replicas:\s+2 desired \| 0 updated \| 0 total \| 0 available \| 0 unavailable$/m);
    assert.match(d, /GREETING:\s+hello/);
    assert.match(await ok('describe', 'pod', 'web'), /^Status:\s+Pending$/m);
    assert.equal(await ok('scale', 'deployment', 'kubia', '--replicas=5'), 'deployment.apps/kubia scaled');
    assert.equal(await ok('get', 'deploy', 'kubia', '-o', 'jsonpath={.spec.replicas}'), '5');
    assert.equal(await ok('label', 'deployment', 'kubia', 'tier=web'), 'deployment.apps/kubia labeled');
    assert.equal(await ok('get', 'deploy', '-l', 'tier=web', '-o', 'name'), 'deployment.apps/kubia');
    assert.equal(await ok('get', 'deploy', '-l', 'tier!=web', '-o', 'name'), '');
  });

  test('patch: strategic (default), merge and json', async () => {
    assert.equal(
      await ok(
        'patch',
        'deploy',
        'kubia',
        '-p',
        '{"spec":{"template":{"spec":{"containers":[{"name":"kubia","image":"luksa/kubia:v2"}]}}}}',
      ),
      'deployment.apps/kubia patched',
    );
    const d = JSON.parse(await ok('get', 'deploy', 'kubia', '-o', 'json'));
    // Strategic merge kept the container's other fields (merged by name, not replaced).
    assert.equal(d.spec.template.spec.containers[0].image, 'luksa/kubia:v2');
    assert.equal(d.spec.template.spec.containers[0].ports[0].containerPort, 8080);
    await ok('patch', 'deploy', 'kubia', '--type=merge', '-p', '{"metadata":{"labels":{"patched":"merge"}}}');
    await ok('patch', 'deploy', 'kubia', '--type=json', '-p', '[{"op":"replace","path":"/spec/replicas","value":4}]');
    const after = JSON.parse(await ok('get', 'deploy', 'kubia', '-o', 'json'));
    assert.equal(after.metadata.labels.patched, 'merge');
    assert.equal(after.spec.replicas, 4);
    const bad = await h.kubectl(
      'patch',
      'deploy',
      'kubia',
      '--type=json',
      '-p',
      '[{"op":"test","path":"/spec/replicas","value":9}]',
    );
    assert.notEqual(bad.exitCode, 0);
  });

  test('api-resources and auth can-i', async () => {
    const out = await ok('api-resources');
    assert.match(out, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    assert.match(out, /^pods\s+po\s+v1\s+true\s+Pod$/m);
    assert.equal(await ok('auth', 'can-i', 'create', 'pods'), 'yes');
    // A node identity may create (mirror) pods, list pods only with its spec.nodeName selector
    // (so not in can-i, as kube-apiserver 1.32's Node authorizer), and not delete deployments.
    const nodeToken = h.server.issueNodeToken('node5');
    const asNode = async (...args: string[]) => h.kubectl('--token', nodeToken, ...args);
    assert.equal((await asNode('auth', 'can-i', 'create', 'pods')).stdout, 'yes');
    assert.equal(
      (await asNode('auth', 'can-i', 'list', 'pods')).stdout,
      'no - can only list/watch pods with spec.nodeName field selector',
    );
    assert.equal(
      (await asNode('auth', 'can-i', 'list', 'secrets', '-A')).stdout,
      'no - can only read namespaced object of this type',
    );
    const no = await asNode('auth', 'can-i', 'delete', 'deployments');
    assert.equal(no.stdout, 'no');
    const forbidden = await asNode('delete', 'deploy', 'kubia');
    assert.match(
      forbidden.stderr,
      /deployments\.apps "kubia" is forbidden: User "system:node:node5" cannot delete resource "deployments" in API group "apps" in the namespace "default"/,
    );
  });

  test('create subcommands (typed clients send protobuf bodies)', async () => {
    assert.equal(await ok('create', 'namespace', 'demo'), 'namespace/demo created');
    assert.equal(
      await ok('create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=0', '-n', 'demo'),
      'deployment.apps/web created',
    );
    assert.equal(await ok('create', 'configmap', 'cfg', '--from-literal=a=b', '-n', 'demo'), 'configmap/cfg created');
    assert.equal(
      await ok('create', 'secret', 'generic', 's', '--from-literal=pw=hunter2', '-n', 'demo'),
      'secret/s created',
    );
    assert.equal(
      await ok('create', 'role', 'r', '--verb=get', '--resource=pods', '-n', 'demo'),
      'role.rbac.authorization.k8s.io/r created',
    );
    assert.equal(await ok('expose', 'deployment', 'web', '-n', 'demo', '--port=80'), 'service/web exposed');
    const d = JSON.parse(await ok('get', 'deploy', 'web', '-n', 'demo', '-o', 'json'));
    assert.equal(d.spec.replicas, 0);
    assert.equal(d.spec.template.spec.containers[0].image, 'nginx:1.27');
    assert.equal(
      Buffer.from(await ok('get', 'secret', 's', '-n', 'demo', '-o', 'jsonpath={.data.pw}'), 'base64').toString(),
      'hunter2',
    );
    assert.equal(await ok('get', 'cm', 'cfg', '-n', 'demo', '-o', 'jsonpath={.data.a}'), 'b');
    const dup = await h.kubectl('create', 'namespace', 'demo');
    assert.match(dup.stderr, /Error from server \(AlreadyExists\): namespaces "demo" already exists/);
  });

  test('delete', async () => {
    assert.equal(await ok('delete', 'pod', 'web'), 'pod "web" deleted');
    assert.equal(
      await ok('delete', '-f', join(h.dir, 'app.yaml')),
      'deployment.apps "kubia" deleted\nservice "kubia" deleted',
    );
    assert.equal(await ok('get', 'deploy,pods', '-o', 'name'), '');
  });
});
