// kubectl parity, part 1: every `kubectl create` generator (workloads, config, services, RBAC,
// quota, policy, ingress, token). Part 2, apply and the editing verbs: kubectl-parity-apply.cases.ts.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { api, apis, NS, type Ctx, type ParityCase } from './kubectl-parity.js';

function tlsFiles(c: Ctx): [string, string] {
  const key = c.file('tls.key', '', 0o600);
  const cert = c.file('tls.crt', '');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=parity.example',
    ],
    { stdio: 'ignore' },
  );
  return [cert, key];
}

export const createCases: ParityCase[] = [
  {
    name: 'create namespace',
    args: ['create', 'namespace', 'parity-extra'],
    out: /^namespace\/parity-extra created$/m,
    effect: async (c) => assert.equal((await c.get('/api/v1/namespaces/parity-extra')).status.phase, 'Active'),
  },
  {
    name: 'create deployment',
    args: ['create', 'deployment', 'web', '--image=nginx:1.25', '--replicas=2', '--port=80'],
    out: /^deployment\.apps\/web created$/m,
    effect: async (c) => {
      await c.until(
        'web has 2 available replicas',
        async () => (await c.get(apis('apps/v1', 'deployments/web'))).status?.availableReplicas === 2,
        15_000,
      );
      const d = await c.get(apis('apps/v1', 'deployments/web'));
      assert.equal(d.spec.template.spec.containers[0].ports[0].containerPort, 80);
    },
  },
  {
    name: 'create job',
    args: ['create', 'job', 'once', '--image=busybox', '--', 'echo', 'hi'],
    out: /^job\.batch\/once created$/m,
    effect: async (c) => {
      const j = await c.get(apis('batch/v1', 'jobs/once'));
      assert.deepEqual(j.spec.template.spec.containers[0].command, ['echo', 'hi']);
      await c.until(
        'a pod for job once',
        async () => (await c.get(`${api('pods')}?labelSelector=job-name%3Donce`)).items.length === 1,
      );
    },
  },
  {
    name: 'create cronjob (5 fields)',
    args: ['create', 'cronjob', 'tick', '--image=busybox', '--schedule=*/5 * * * *', '--', 'date'],
    out: /^cronjob\.batch\/tick created$/m,
    effect: async (c) => {
      const cj = await c.get(apis('batch/v1', 'cronjobs/tick'));
      assert.equal(cj.spec.schedule, '*/5 * * * *');
      assert.equal(cj.spec.concurrencyPolicy, 'Allow');
      assert.equal(cj.spec.successfulJobsHistoryLimit, 3);
      assert.equal(cj.spec.failedJobsHistoryLimit, 1);
      assert.equal(cj.spec.suspend, false);
      assert.equal(cj.metadata.generation, 1);
    },
  },
  {
    name: 'create cronjob with a bad schedule is refused',
    args: ['create', 'cronjob', 'bad', '--image=busybox', '--schedule=61 * * * *'],
    exit: 1,
    out: /CronJob\.batch "bad" is invalid: spec\.schedule: Invalid value: "61 \* \* \* \*": end of range \(61\) above maximum \(59\): 61/,
  },
  {
    name: 'create cronjob @every 2s runs a Job',
    args: ['create', 'cronjob', 'every', '--image=busybox', '--schedule=@every 2s'],
    out: /^cronjob\.batch\/every created$/m,
    effect: async (c) => {
      await c.until(
        'a Job of cronjob every',
        async () =>
          (await c.get(apis('batch/v1', 'jobs'))).items.some(
            (j: any) => j.metadata.ownerReferences?.[0]?.name === 'every',
          ),
        10_000,
      );
      await c.until('status.lastScheduleTime and active', async () => {
        const cj = await c.get(apis('batch/v1', 'cronjobs/every'));
        return !!cj.status?.lastScheduleTime && cj.status.active?.length >= 1;
      });
      const jobs = (await c.get(apis('batch/v1', 'jobs'))).items.filter(
        (j: any) => j.metadata.ownerReferences?.[0]?.name === 'every',
      );
      assert.match(jobs[0].metadata.name, /^every-\d{8,}$/);
      assert.ok(jobs[0].metadata.annotations['batch.kubernetes.io/cronjob-scheduled-timestamp']);
    },
  },
  {
    name: 'patch cronjob suspend',
    args: ['patch', 'cronjob', 'every', '-p', '{"spec":{"suspend":true}}'],
    out: /^cronjob\.batch\/every patched$/m,
  },
  {
    name: 'create job --from=cronjob',
    args: ['create', 'job', 'manual', '--from=cronjob/tick'],
    out: /^job\.batch\/manual created$/m,
    effect: async (c) => {
      const j = await c.get(apis('batch/v1', 'jobs/manual'));
      assert.equal(j.metadata.annotations['cronjob.kubernetes.io/instantiate'], 'manual');
      assert.equal(j.metadata.ownerReferences[0].kind, 'CronJob');
      assert.equal(j.metadata.ownerReferences[0].name, 'tick');
    },
  },
  {
    name: 'get cronjobs',
    args: ['get', 'cronjobs'],
    out: [
      /^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE$/m,
      /^tick\s+\*\/5 \* \* \* \*\s+<none>\s+False\s+0\s+<none>\s+\S+$/m,
      /^every\s+@every 2s\s+<none>\s+True\s+\d+\s+\d+s\s+\S+$/m,
    ],
  },
  {
    name: 'create configmap',
    args: ['create', 'configmap', 'cfg', '--from-literal=a=1', '--from-literal=b=2'],
    out: /^configmap\/cfg created$/m,
    effect: async (c) => assert.deepEqual((await c.get(api('configmaps/cfg'))).data, { a: '1', b: '2' }),
  },
  {
    name: 'create secret generic',
    args: ['create', 'secret', 'generic', 'sec', '--from-literal=password=s3cret'],
    out: /^secret\/sec created$/m,
    effect: async (c) => {
      const s = await c.get(api('secrets/sec'));
      assert.equal(s.type, 'Opaque');
      assert.equal(Buffer.from(s.data.password, 'base64').toString(), 's3cret');
    },
  },
  {
    name: 'create secret tls',
    args: (c) => {
      const [cert, key] = tlsFiles(c);
      return ['create', 'secret', 'tls', 'tls', `--cert=${cert}`, `--key=${key}`];
    },
    out: /^secret\/tls created$/m,
    effect: async (c) => {
      const s = await c.get(api('secrets/tls'));
      assert.equal(s.type, 'kubernetes.io/tls');
      assert.match(Buffer.from(s.data['tls.crt'], 'base64').toString(), /BEGIN CERTIFICATE/);
    },
  },
  {
    name: 'create secret docker-registry',
    args: [
      'create',
      'secret',
      'docker-registry',
      'reg',
      '--docker-server=registry.example',
      '--docker-username=u',
      '--docker-password=p',
    ],
    out: /^secret\/reg created$/m,
    effect: async (c) => {
      const s = await c.get(api('secrets/reg'));
      assert.equal(s.type, 'kubernetes.io/dockerconfigjson');
      assert.ok(JSON.parse(Buffer.from(s.data['.dockerconfigjson'], 'base64').toString()).auths['registry.example']);
    },
  },
  {
    name: 'create service clusterip',
    args: ['create', 'service', 'clusterip', 'svc-c', '--tcp=80:8080'],
    out: /^service\/svc-c created$/m,
    effect: async (c) => {
      const s = await c.get(api('services/svc-c'));
      assert.equal(s.spec.type, 'ClusterIP');
      assert.match(s.spec.clusterIP, /^\d+\.\d+\.\d+\.\d+$/);
      assert.equal(s.spec.ports[0].targetPort, 8080);
    },
  },
  {
    name: 'create service nodeport',
    args: ['create', 'service', 'nodeport', 'svc-n', '--tcp=80:8080', '--node-port=30080'],
    out: /^service\/svc-n created$/m,
    effect: async (c) => assert.equal((await c.get(api('services/svc-n'))).spec.ports[0].nodePort, 30080),
  },
  {
    name: 'create service loadbalancer',
    args: ['create', 'service', 'loadbalancer', 'svc-lb', '--tcp=80:8080'],
    out: /^service\/svc-lb created$/m,
    effect: async (c) =>
      c.until(
        'a load-balancer address',
        async () => !!(await c.get(api('services/svc-lb'))).status?.loadBalancer?.ingress?.[0]?.ip,
      ),
  },
  {
    name: 'create service externalname',
    args: ['create', 'service', 'externalname', 'svc-x', '--external-name=example.com'],
    out: /^service\/svc-x created$/m,
    effect: async (c) => assert.equal((await c.get(api('services/svc-x'))).spec.externalName, 'example.com'),
  },
  {
    name: 'create serviceaccount',
    args: ['create', 'serviceaccount', 'robot'],
    out: /^serviceaccount\/robot created$/m,
  },
  {
    name: 'create role',
    args: ['create', 'role', 'reader', '--verb=get,list', '--resource=pods'],
    out: /^role\.rbac\.authorization\.k8s\.io\/reader created$/m,
  },
  {
    name: 'create clusterrole',
    args: ['create', 'clusterrole', 'parity-nodes', '--verb=get', '--resource=nodes'],
    out: /^clusterrole\.rbac\.authorization\.k8s\.io\/parity-nodes created$/m,
  },
  {
    name: 'create rolebinding',
    args: ['create', 'rolebinding', 'rb', '--role=reader', `--serviceaccount=${NS}:robot`],
    out: /^rolebinding\.rbac\.authorization\.k8s\.io\/rb created$/m,
  },
  {
    name: 'create clusterrolebinding',
    args: ['create', 'clusterrolebinding', 'parity-crb', '--clusterrole=parity-nodes', '--user=alice'],
    out: /^clusterrolebinding\.rbac\.authorization\.k8s\.io\/parity-crb created$/m,
  },
  {
    name: 'create quota',
    args: ['create', 'quota', 'q', '-n', 'parity-extra', '--hard=pods=2,configmaps=2,services=3,requests.cpu=1'],
    out: /^resourcequota\/q created$/m,
    effect: async (c) =>
      c.until('quota status.hard and status.used', async () => {
        const q = await c.get('/api/v1/namespaces/parity-extra/resourcequotas/q');
        return (
          q.status?.hard?.pods === '2' && q.status?.used?.configmaps === '1' && q.status?.used?.['requests.cpu'] === '0'
        );
      }),
  },
  {
    name: 'quota: the first configmap fits',
    args: ['create', 'configmap', 'fits', '-n', 'parity-extra'],
    out: /^configmap\/fits created$/m,
    effect: async (c) =>
      c.until(
        'used configmaps=2',
        async () => (await c.get('/api/v1/namespaces/parity-extra/resourcequotas/q')).status?.used?.configmaps === '2',
      ),
  },
  {
    name: 'quota: the second configmap is refused',
    args: ['create', 'configmap', 'too-many', '-n', 'parity-extra'],
    exit: 1,
    out: /configmaps "too-many" is forbidden: exceeded quota: q, requested: configmaps=1, used: configmaps=2, limited: configmaps=2/,
  },
  {
    name: 'quota: concurrent creates cannot overshoot',
    args: ['create', 'quota', 'burst', '-n', 'parity-extra', '--hard=secrets=3'],
    out: /^resourcequota\/burst created$/m,
    effect: async (c) => {
      // Eight creates in one turn of the apiserver's loop share a group commit: exactly 3 may fit.
      const codes = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          c.h
            .request('POST', '/api/v1/namespaces/parity-extra/secrets', {
              body: JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: `burst-${i}` } }),
            })
            .then((r) => r.status),
        ),
      );
      assert.deepEqual(codes.filter((s) => s === 201).length, 3, String(codes));
      assert.ok(
        codes.every((s) => s === 201 || s === 403),
        String(codes),
      );
    },
  },
  {
    name: 'quota: a pod without a cpu request is refused',
    args: ['run', 'nocpu', '-n', 'parity-extra', '--image=busybox'],
    exit: 1,
    out: /pods "nocpu" is forbidden: failed quota: q: must specify requests\.cpu for: nocpu/,
  },
  {
    name: 'describe quota',
    args: ['describe', 'quota', 'q', '-n', 'parity-extra'],
    out: [/^Resource\s+Used\s+Hard$/m, /^configmaps\s+2\s+2$/m, /^pods\s+0\s+2$/m, /^requests\.cpu\s+0\s+1$/m],
  },
  {
    name: 'get quota',
    args: ['get', 'quota', '-n', 'parity-extra'],
    out: [
      /^NAME\s+AGE\s+REQUEST\s+LIMIT$/m,
      /^q\s+\S+\s+configmaps: 2\/2, pods: 0\/2, requests\.cpu: 0\/1, services: 0\/3\s*$/m,
    ],
  },
  {
    name: 'create priorityclass',
    args: ['create', 'priorityclass', 'high', '--value=1000', '--description=important'],
    out: /^priorityclass\.scheduling\.k8s\.io\/high created$/m,
    effect: async (c) => {
      const pc = await c.get('/apis/scheduling.k8s.io/v1/priorityclasses/high');
      assert.equal(pc.value, 1000);
      assert.equal(pc.preemptionPolicy, 'PreemptLowerPriority');
    },
  },
  {
    name: 'create poddisruptionbudget',
    args: ['create', 'poddisruptionbudget', 'pdb', '--selector=app=web', '--min-available=1'],
    out: /^poddisruptionbudget\.policy\/pdb created$/m,
  },
  {
    name: 'create ingress',
    args: ['create', 'ingress', 'ing', '--rule=foo.example/=svc-c:80'],
    out: /^ingress\.networking\.k8s\.io\/ing created$/m,
    effect: async (c) =>
      assert.equal((await c.get(apis('networking.k8s.io/v1', 'ingresses/ing'))).spec.rules[0].host, 'foo.example'),
  },
  {
    name: 'create token',
    args: ['create', 'token', 'robot', '--duration=10m'],
    out: /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/m,
  },
];
