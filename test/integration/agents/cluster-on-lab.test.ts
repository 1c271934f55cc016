// The cluster on a real two-node lab (its own prefix and state folder): the control plane and every
// node's agents composed by ClusterDaemon, then the checks — nodes registered, kubia's
// Deployment Running and Ready, `curl kubia:8080` reaching all six through kube-proxy's rules and
// cluster DNS, a NodePort from the emulated Internet, conntrack's DNAT, a killed container restarted
// in the same sandbox, a killed pause rebuilding the sandbox, graceful deletion, a node whose agents
// stop turning NotReady. Everything is removed in teardown, even when a check fails. The lab and
// what the tests share: cluster-on-lab-fixture.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Node, Pod, Service } from '../../../common/api-types.js';
import type { ClusterDaemon } from '../../../cluster/agents/cluster-daemon.js';
import { ANN_BACKEND_DATA, ANN_PUBLIC_IP } from '../../../cluster/agents/flannel/flanneld.js';
import { INGRESSES } from '../../../cluster/agents/ingress/ingress-controller.js';
import { MIRROR_ANNOTATION } from '../../../cluster/agents/kubelet/static-pods.js';
import { setKubeletStopped } from '../../../runtime/lab/kubelet-switch.js';
import { eventually, type TestLab } from '../runtime/harness.js';
import { ready, useClusterOnLab } from './cluster-on-lab-fixture.js';

let lab: TestLab;
let daemon: ClusterDaemon;
const { logs, tools, pods, kubiaPod, kubeletPod, answers, kubia, internetCurl, shIn } = useClusterOnLab(
  (s) => ({ lab, daemon } = s),
);

test('each node registers: Ready, InternalIP, podCIDR, flannel annotations, a kube-node-lease Lease', async () => {
  const nodes = await eventually(async () => {
    const l = (await daemon.client.nodes.list()).items;
    return l.length === 2 && l.every((n) => n.metadata.annotations?.[ANN_PUBLIC_IP]) ? l : undefined;
  }, 10_000);
  const node2 = nodes.find((n) => n.metadata.name === 'node2') as Node;
  assert.equal(node2.spec?.podCIDR, '192.168.129.0/24');
  assert.deepEqual(
    node2.status?.addresses?.find((a) => a.type === 'InternalIP'),
    { type: 'InternalIP', address: '10.231.209.114' },
  );
  assert.equal(node2.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  assert.equal(node2.metadata.annotations?.[ANN_PUBLIC_IP], '10.231.209.114');
  const vtepMAC = (JSON.parse(node2.metadata.annotations![ANN_BACKEND_DATA]!) as { VtepMAC: string }).VtepMAC;
  const lease = await daemon.client.leases.get('node2', 'kube-node-lease');
  assert.equal(lease.spec.holderIdentity, 'node2');
  // flanneld on node1 programmed node2 from those annotations: neighbour + FDB on flannel.1.
  await eventually(async () => {
    const neigh = await lab.exec(lab.names.node('node1'), ['ip', 'neigh', 'show', 'dev', 'flannel.1']);
    const fdb = await lab.exec(lab.names.node('node1'), ['bridge', 'fdb', 'show', 'dev', 'flannel.1']);
    return neigh.stdout.includes(`192.168.129.0 lladdr ${vtepMAC} PERMANENT`) &&
      fdb.stdout.includes(`${vtepMAC} dst 10.231.209.114`)
      ? true
      : undefined;
  });
});

test("the topology's static pod is mirrored into the API, Running and Ready", async () => {
  const mirror = await eventually(async () => {
    const p = await kubiaPod('tools');
    return ready(p) ? p : undefined;
  }, 15_000);
  assert.ok(mirror.metadata.annotations?.[MIRROR_ANNOTATION]);
  assert.equal(mirror.status?.podIP, '192.168.128.100');
  assert.equal(mirror.spec.nodeName, 'node1');
});

test('kubia.yaml: six pods Running and Ready on both nodes, reached through the service by name', async () => {
  const running = await kubia();
  assert.deepEqual(new Set(running.map((p) => p.spec.nodeName)), new Set(['node1', 'node2']));
  for (const p of running) {
    assert.equal(p.status?.hostIP, p.spec.nodeName === 'node1' ? '10.231.209.113' : '10.231.209.114');
    assert.equal(p.status?.containerStatuses?.[0]?.state?.running !== undefined, true);
  }
  const names = new Set(running.map((p) => p.metadata.name));
  for (const host of ['kubia', 'kubia.default.svc.cluster.local']) {
    const seen = await eventually(async () => {
      const r = await lab.exec(tools(), [
        'bash',
        '-c',
        'for i in $(seq 60); do curl -s --max-time 2 "$0:8080"; done',
        host,
      ]);
      const hit = new Set([...r.stdout.matchAll(/You've hit (\S+)/g)].map((m) => m[1]!));
      return hit.size === 6 ? hit : undefined;
    }, 20_000);
    assert.deepEqual(seen, names, `curl ${host}:8080 reached every pod`);
  }
});

test("NodePort 32681 answers from the emulated Internet; the node's nat table has kube-proxy's chains; conntrack shows the DNAT", async () => {
  await kubia();
  const r = await internetCurl(['http://10.231.209.114:32681'], 3);
  assert.match(r.stdout, /You've hit kubia-/);
  const nat = await lab.exec(lab.names.node('node1'), ['iptables', '-t', 'nat', '-S']);
  for (const chain of ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-MARK-MASQ', 'KUBE-POSTROUTING'])
    assert.match(nat.stdout, new RegExp(`^-N ${chain}$`, 'm'));
  assert.match(nat.stdout, /-A KUBE-SVC-\w+ .*default\/kubia -> .* -m statistic --mode random --probability/);
  assert.match(nat.stdout, /-A KUBE-SEP-\w+ -p tcp .*-j DNAT --to-destination 192\.168\.\d+\.\d+:8080/);
  const svc = await daemon.client.services.get('kubia', 'default');
  await lab.exec(tools(), ['curl', '-s', '--max-time', '2', `http://${svc.spec?.clusterIP}:8080`]);
  const ct = await lab.exec(lab.names.node('node1'), ['conntrack', '-L', '-p', 'tcp', '-d', svc.spec!.clusterIP!]);
  assert.match(
    ct.stdout,
    new RegExp(
      `src=192\\.168\\.128\\.100 dst=${svc.spec!.clusterIP!.replace(/\./g, '\\.')} .*dport=8080 .*src=192\\.168\\.\\d+\\.\\d+ dst=192\\.168\\.128\\.100 sport=8080`,
    ),
  );
});

test('type LoadBalancer: the emulated cloud LB in the gateway answers on the external address from the Internet', async () => {
  await kubia();
  await daemon.client.services.create({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubia-lb', namespace: 'default' },
    spec: { type: 'LoadBalancer', selector: { app: 'kubia' }, ports: [{ port: 80, targetPort: 8080 }] },
  } as Service);
  const ip = await eventually(
    async () => (await daemon.client.services.get('kubia-lb', 'default')).status?.loadBalancer?.ingress?.[0]?.ip,
    10_000,
  );
  const body = await eventually(async () => {
    const r = await internetCurl([`http://${ip}/`]);
    return /You've hit kubia-/.test(r.stdout) ? r.stdout : undefined;
  }, 15_000);
  assert.match(body, /You've hit kubia-/);
  const nat = await lab.exec(lab.names.gateway, ['iptables', '-t', 'nat', '-S', 'KW-CLOUD-LB']);
  assert.match(
    nat.stdout,
    new RegExp(
      `-d ${ip.replace(/\./g, '\\.')}/32 -p tcp -m tcp --dport 80 -m statistic --mode random --probability 0\\.5`,
    ),
  );
  await daemon.client.services.delete('kubia-lb', 'default');
});

test("pods reach the apiserver through the kubernetes Service (192.168.192.1:443 → a node's relay), authenticated by their service account token", async () => {
  // A pod of its own (not the topology's static pod: static pods get no service account token).
  await daemon.client.pods.create({
    metadata: { name: 'sa-client', namespace: 'default' },
    spec: { containers: [{ name: 'c', image: 'netshoot', command: ['sleep', '3600'] }] },
  } as Pod);
  await eventually(
    async () => ((await daemon.client.pods.get('sa-client', 'default')).status?.phase === 'Running' ? true : undefined),
    60_000,
  );
  // The token and CA the kubelet mounted; the CA is the cluster's, so no -k: the TLS chain is checked.
  const curl = (args: string) =>
    'SA=/var/run/secrets/kubernetes.io/serviceaccount; ' +
    'curl -s --max-time 5 --cacert $SA/ca.crt -H "Authorization: Bearer $(cat $SA/token)" ' +
    `-w '\n%{http_code}' ${args}`;
  // Who am I: an authenticated 201 naming the pod's service account (a request without a valid
  // token would get 401, which this test does not accept).
  const review = await eventually(async () => {
    const r = await shIn(
      'sa-client',
      curl(
        `-X POST -H 'Content-Type: application/json' -d '{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}' https://kubernetes.default.svc.cluster.local/apis/authentication.k8s.io/v1/selfsubjectreviews`,
      ),
    );
    // 000: curl could not connect yet (the relay or the Service rule still coming): try again.
    return /\n[1-5]\d\d$/.test(r.out) ? r.out : undefined;
  }, 30_000);
  const [reviewBody, reviewCode] = [
    review.slice(0, review.lastIndexOf('\n')),
    review.slice(review.lastIndexOf('\n') + 1),
  ];
  assert.equal(reviewCode, '201', review);
  const who = JSON.parse(reviewBody) as { status: { userInfo: { username: string; groups: string[] } } };
  assert.equal(who.status.userInfo.username, 'system:serviceaccount:default:default');
  assert.ok(who.status.userInfo.groups.includes('system:authenticated'), reviewBody);
  // What it may not do, exactly: the default service account has no RBAC on pods.
  const list = await shIn(
    'sa-client',
    curl('https://kubernetes.default.svc.cluster.local/api/v1/namespaces/default/pods'),
  );
  const code = list.out.slice(list.out.lastIndexOf('\n') + 1);
  assert.equal(code, '403', list.out);
  const status = JSON.parse(list.out.slice(0, list.out.lastIndexOf('\n'))) as { reason: string; message: string };
  assert.equal(status.reason, 'Forbidden');
  assert.match(status.message, /User "system:serviceaccount:default:default" cannot list resource "pods"/);
  // And through the Service's ClusterIP itself (the relay path), not only by name.
  const version = await shIn('sa-client', curl('https://192.168.192.1/version'));
  assert.match(version.out, /"gitVersion"[\s\S]*\n200$/);
  await daemon.client.pods.delete('sa-client', 'default');
});

test("cluster DNS answers over TCP too (the kube-dns Service's dns-tcp port): dig +tcp from a pod", async () => {
  const dns = (await daemon.client.services.get('kube-dns', 'kube-system')).spec!.clusterIP!;
  const dig = async (...args: string[]) =>
    (await lab.exec(tools(), ['dig', '+tries=1', '+time=3', `@${dns}`, ...args])).stdout;
  // The cluster's own name, over TCP through kube-proxy's rule for 53/TCP to the coredns pod.
  const tcp = await eventually(async () => {
    const out = await dig('+tcp', 'kubernetes.default.svc.cluster.local', 'A');
    return /status: NOERROR/.test(out) ? out : undefined;
  }, 120_000);
  assert.match(tcp, /kubernetes\.default\.svc\.cluster\.local\.\s+\d+\s+IN\s+A\s+192\.168\.192\.1\b/);
  assert.match(tcp, /;; SERVER: [\d.]+#53\(.*\) \(TCP\)/);
  // A name of the cluster domain that does not exist: NXDOMAIN, over TCP as over UDP.
  for (const proto of ['+tcp', '+notcp'])
    assert.match(await dig(proto, 'nothing-here.default.svc.cluster.local', 'A'), /status: NXDOMAIN/, proto);
  // Other names are forwarded to the upstream resolver (the emulated Internet's), TCP clients too.
  const fwd = await dig('+tcp', 'google.com', 'A');
  assert.match(fwd, /google\.com\.\s+\d+\s+IN\s+A\s+203\.0\.113\.10\b/);
  // Two queries on one connection (RFC 7766 pipelining; dig +keepopen reuses it).
  const both = await dig('+tcp', '+keepopen', 'kubernetes.default.svc.cluster.local', 'google.com');
  assert.equal((both.match(/status: NOERROR/g) ?? []).length, 2, both);
});

test("Ingress: host and path rules through the ingress controller's external address, with X-Forwarded-For", async () => {
  await kubia();
  // A backend that echoes the headers it got.
  const echo =
    'require("http").createServer((q,s)=>s.end(JSON.stringify({path:q.url,xff:q.headers["x-forwarded-for"],host:q.headers["x-forwarded-host"]}))).listen(8080)';
  await daemon.client.pods.create({
    metadata: { name: 'echo', namespace: 'default', labels: { app: 'echo' } },
    spec: { containers: [{ name: 'echo', image: 'kubia', command: ['node', '-e', echo] }] },
  });
  await daemon.client.services.create({
    metadata: { name: 'echo', namespace: 'default' },
    spec: { selector: { app: 'echo' }, ports: [{ port: 8080 }] },
  } as Service);
  await daemon.client.resource(INGRESSES).create({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      rules: [
        {
          host: 'kubia.example.com',
          http: {
            paths: [
              { path: '/echo', pathType: 'Prefix', backend: { service: { name: 'echo', port: { number: 8080 } } } },
              { path: '/', pathType: 'Prefix', backend: { service: { name: 'kubia', port: { number: 8080 } } } },
            ],
          },
        },
      ],
    },
  } as never);
  const ip = await eventually(
    async () =>
      (await daemon.client.services.get('ingress-controller', 'ingress')).status?.loadBalancer?.ingress?.[0]?.ip,
    15_000,
  );
  const viaKubia = await eventually(async () => {
    const r = await internetCurl(['-H', 'Host: kubia.example.com', `http://${ip}/`]);
    return /You've hit kubia-/.test(r.stdout) ? r.stdout : undefined;
  }, 40_000);
  assert.match(viaKubia, /You've hit kubia-/);
  const echoed = await eventually(async () => {
    const r = await internetCurl(['-H', 'Host: kubia.example.com', `http://${ip}/echo/x`]);
    return r.stdout.startsWith('{') ? (JSON.parse(r.stdout) as { path: string; xff: string; host: string }) : undefined;
  }, 20_000);
  assert.equal(echoed.path, '/echo/x');
  assert.equal(echoed.host, 'kubia.example.com');
  assert.ok(echoed.xff, 'X-Forwarded-For is set');
  const other = await internetCurl([
    '-o',
    '/dev/null',
    '-w',
    '%{http_code}',
    '-H',
    'Host: other.example.com',
    `http://${ip}/`,
  ]);
  assert.equal(other.stdout, '404');
});

test('a killed container restarts inside the same sandbox (restartCount rises)', async () => {
  await kubia();
  const [p] = await pods();
  const name = p!.metadata.name!;
  const netns = lab.pod(name);
  // The pod's namespace is there and is the one named for the pod (not merely "a command ran").
  assert.equal((await lab.exec(netns, ['ip', 'netns', 'identify'])).stdout.trim(), netns);
  const saved = kubeletPod(p!.spec.nodeName!, name);
  const pause = saved.record.sandbox.pid as number;
  process.kill(saved.record.containers.kubia.pid as number, 'SIGKILL');
  const after = await eventually(async () => {
    const q = await kubiaPod(name);
    return q.status?.containerStatuses?.[0]?.restartCount === 1 && ready(q) ? q : undefined;
  }, 15_000);
  assert.equal(after.status?.podIP, p!.status?.podIP);
  const again = kubeletPod(p!.spec.nodeName!, name);
  assert.equal(again.record.sandbox.pid, pause, 'same pause, same namespaces');
  await answers(after.status!.podIP!, name);
});

test('a killed pause rebuilds the sandbox and all its containers', async () => {
  await kubia();
  const p = (await pods())[1]!;
  const name = p.metadata.name!;
  const before = kubeletPod(p.spec.nodeName!, name);
  process.kill(before.record.sandbox.pid as number, 'SIGKILL');
  const after = await eventually(async () => {
    const q = await kubiaPod(name);
    const rec = kubeletPod(p.spec.nodeName!, name);
    return rec.record.sandbox?.pid !== before.record.sandbox.pid &&
      (q.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 &&
      ready(q)
      ? q
      : undefined;
  }, 15_000);
  const hostname = await lab.exec(lab.pod(name), ['hostname'], kubeletPod(p.spec.nodeName!, name).record.sandbox.pid);
  assert.equal(hostname.stdout.trim(), name, 'the new pause holds a UTS namespace named after the pod');
  await answers(after.status!.podIP!, name);
});

test('deleting a pod terminates it gracefully, removes its namespace and confirms to the apiserver', async () => {
  await kubia();
  const p = (await pods())[2]!;
  const name = p.metadata.name!;
  await daemon.client.pods.delete(name, 'default', { gracePeriodSeconds: 5 });
  await eventually(
    async () => ((await daemon.client.pods.get(name, 'default').catch(() => undefined)) ? undefined : true),
    15_000,
  );
  const ns = await lab.exec(lab.pod(name), ['true']);
  assert.notEqual(ns.exitCode, 0, 'the sandbox namespace is gone');
  await eventually(async () => ((await pods()).filter(ready).length === 6 ? true : undefined), 30_000); // the ReplicaSet replaced it
});

test("a manifest in the node's static pod folder runs and is mirrored; removing the file stops it", async () => {
  const dir = join(lab.paths.node('node2'), 'manifests');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'broken.yaml'), 'kind: Pod\nmetadata: {}\n');
  writeFileSync(
    join(dir, 'static-web.yaml'),
    'apiVersion: v1\nkind: Pod\nmetadata: { name: static-web, namespace: default }\nspec:\n  terminationGracePeriodSeconds: 2\n  containers: [{ name: web, image: kubia }]\n',
  );
  const mirror = await eventually(async () => {
    const p = await kubiaPod('static-web').catch(() => undefined);
    return p && ready(p) ? p : undefined;
  }, 20_000);
  assert.equal(mirror.spec.nodeName, 'node2');
  assert.ok(mirror.metadata.annotations?.[MIRROR_ANNOTATION]);
  assert.equal(mirror.metadata.ownerReferences?.[0]?.kind, 'Node');
  assert.ok(
    logs.some((l) => l.includes('broken.yaml')),
    'the bad manifest is reported',
  );
  rmSync(join(dir, 'static-web.yaml'));
  await eventually(async () => ((await kubiaPod('static-web').catch(() => undefined)) ? undefined : true), 20_000);
  await eventually(
    async () => ((await lab.exec(lab.pod('static-web'), ['true'])).exitCode !== 0 ? true : undefined),
    10_000,
  );
});

test('probes: httpGet readiness gates Ready; a failing exec liveness probe restarts the container', async () => {
  await daemon.client.pods.create({
    metadata: { name: 'probed', namespace: 'default' },
    spec: {
      nodeName: 'node1',
      // kubia is PID 1 of its container and has no SIGTERM handler: only KILL after the grace period ends it.
      terminationGracePeriodSeconds: 2,
      containers: [
        {
          name: 'kubia',
          image: 'kubia',
          readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 },
          livenessProbe: {
            exec: { command: ['false'] },
            initialDelaySeconds: 1,
            periodSeconds: 1,
            failureThreshold: 2,
          },
        },
      ],
    },
  });
  const ready = await eventually(async () => {
    const p = await kubiaPod('probed');
    return p.status?.containerStatuses?.[0]?.ready ? p : undefined;
  }, 20_000);
  assert.equal(ready.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  await eventually(
    async () =>
      ((await kubiaPod('probed')).status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 ? true : undefined,
    30_000,
  );
  const events = await daemon.client.events.list({ namespace: 'default', fieldSelector: 'involvedObject.name=probed' });
  const reasons = new Set(events.items.map((e) => e.reason));
  for (const r of ['Pulled', 'Created', 'Started', 'Unhealthy', 'Killing'])
    assert.ok(reasons.has(r), `event ${r}: ${[...reasons].join(',')}`);
  await daemon.client.pods.delete('probed', 'default', { gracePeriodSeconds: 0 });
});

test('a node whose agents stop turns NotReady (lease and status no longer renewed)', async () => {
  // The supported switch (`kubewire node stop node2`): the marker the cluster process polls. Calling
  // daemon.stopNode alone would be undone within a second, since the marker says the node runs.
  setKubeletStopped(lab.paths.node('node2'), true);
  const node = await eventually(async () => {
    const n = await daemon.client.nodes.get('node2');
    return n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'Unknown' ? n : undefined;
  }, 20_000);
  assert.equal(node.status?.conditions?.find((c) => c.type === 'Ready')?.reason, 'NodeStatusUnknown');
});
