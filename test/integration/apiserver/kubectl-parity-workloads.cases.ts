// kubectl parity, part 3: LimitRange, get/describe, rollout, set, scale, autoscale, wait, expose,
// auth, nodes (cordon, taint, drain), discovery and explain, events.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { apis, NS, type ParityCase } from './kubectl-parity.js';

const web = (c: { get(p: string): Promise<any> }) => c.get(apis('apps/v1', 'deployments/web'));

const LIMITS = `apiVersion: v1
kind: LimitRange
metadata: {name: cpu-limits, namespace: parity-extra}
spec:
  limits:
  - type: Container
    default: {cpu: 200m}
    defaultRequest: {cpu: 100m}
    max: {cpu: 500m}
`;
const BIG_POD = `apiVersion: v1
kind: Pod
metadata: {name: big, namespace: parity-extra}
spec:
  containers:
  - name: c
    image: busybox
    resources: {limits: {cpu: "1"}, requests: {cpu: 100m}}
`;

export const workloadCases: ParityCase[] = [
  {
    name: 'apply a LimitRange',
    args: (c) => ['apply', '-f', c.file('limits.yaml', LIMITS)],
    out: /^limitrange\/cpu-limits created$/m,
  },
  {
    name: 'get limitranges',
    args: ['get', 'limits', '-n', 'parity-extra'],
    out: /^NAME\s+CREATED AT\ncpu-limits\s+\d{4}-\d\d-\d\dT/m,
  },
  {
    name: 'LimitRange defaults satisfy the quota',
    args: ['run', 'lr-pod', '-n', 'parity-extra', '--image=busybox'],
    out: /^pod\/lr-pod created$/m,
    effect: async (c) => {
      const p = await c.get('/api/v1/namespaces/parity-extra/pods/lr-pod');
      assert.deepEqual(p.spec.containers[0].resources, { limits: { cpu: '200m' }, requests: { cpu: '100m' } });
      assert.match(p.metadata.annotations['kubernetes.io/limit-ranger'], /cpu request for container lr-pod/);
      await c.until(
        'quota used requests.cpu=100m',
        async () =>
          (await c.get('/api/v1/namespaces/parity-extra/resourcequotas/q')).status?.used?.['requests.cpu'] === '100m',
      );
    },
  },
  {
    name: 'LimitRange max refuses a pod',
    args: (c) => ['apply', '-f', c.file('big.yaml', BIG_POD)],
    exit: 1,
    out: /pods "big" is forbidden: maximum cpu usage per Container is 500m, but limit is 1/,
  },
  {
    name: 'describe limitrange',
    args: ['describe', 'limitrange', 'cpu-limits', '-n', 'parity-extra'],
    out: /^\s*Container\s+cpu\s+-\s+500m\s+100m\s+200m\s+-$/m,
  },
  {
    name: 'get pods -o wide',
    args: ['get', 'pods', '-l', 'app=web', '-o', 'wide'],
    out: [
      /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/m,
      /^web-\S+\s+1\/1\s+Running\s+0\s+\S+\s+192\.168\.128\.\d+\s+node-[ab]\s+<none>\s+<none>$/m,
    ],
  },
  { name: 'get -o jsonpath', args: ['get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}'], out: /^2$/ },
  {
    name: 'get -o name with a selector',
    args: ['get', 'pods', '-l', 'app=web', '-o', 'name'],
    out: /^pod\/web-\S+\npod\/web-\S+$/,
  },
  {
    name: 'get all',
    args: ['get', 'all'],
    out: [
      /^deployment\.apps\/web\s+2\/2/m,
      /^cronjob\.batch\/tick\s+\*\/5/m,
      /^job\.batch\/once\s/m,
      /^service\/svc-c\s+ClusterIP/m,
    ],
  },
  {
    name: 'describe deployment',
    args: ['describe', 'deployment', 'web'],
    out: [
      /^Replicas:\s+2 desired \| 2 updated \| 2 total \| 2 available \| 0 unavailable$/m,
      /^StrategyType:\s+RollingUpdate$/m,
      /ScalingReplicaSet/,
    ],
  },
  {
    name: 'describe cronjob',
    args: ['describe', 'cronjob', 'tick'],
    out: [/^Schedule:\s+\*\/5 \* \* \* \*$/m, /^Concurrency Policy:\s+Allow$/m, /^Suspend:\s+False$/m],
  },
  {
    name: 'describe node',
    args: ['describe', 'node', 'node-a'],
    out: [/^Name:\s+node-a$/m, /^Allocatable:$/m, /^Non-terminated Pods:/m],
  },
  {
    name: 'set image',
    args: ['set', 'image', 'deployment/web', 'nginx=nginx:1.26'],
    out: /^deployment\.apps\/web image updated$/m,
    effect: async (c) => assert.equal((await web(c)).spec.template.spec.containers[0].image, 'nginx:1.26'),
  },
  {
    name: 'rollout status',
    args: ['rollout', 'status', 'deployment/web', '--timeout=30s'],
    out: /deployment "web" successfully rolled out/,
  },
  {
    name: 'rollout history',
    args: ['rollout', 'history', 'deployment/web'],
    out: [/^REVISION\s+CHANGE-CAUSE$/m, /^1\s+<none>$/m, /^3\s+<none>$/m],
  },
  {
    name: 'rollout undo',
    args: ['rollout', 'undo', 'deployment/web'],
    out: /^deployment\.apps\/web rolled back$/m,
    effect: async (c) => assert.equal((await web(c)).spec.template.spec.containers[0].image, 'nginx:1.25'),
  },
  {
    name: 'rollout restart',
    args: ['rollout', 'restart', 'deployment/web'],
    out: /^deployment\.apps\/web restarted$/m,
    effect: async (c) =>
      assert.ok((await web(c)).spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']),
  },
  {
    name: 'rollout pause',
    args: ['rollout', 'pause', 'deployment/web'],
    out: /^deployment\.apps\/web paused$/m,
    effect: async (c) => assert.equal((await web(c)).spec.paused, true),
  },
  {
    name: 'set env (while paused)',
    args: ['set', 'env', 'deployment/web', 'FOO=bar'],
    out: /^deployment\.apps\/web env updated$/m,
    effect: async (c) =>
      assert.ok(
        (await web(c)).spec.template.spec.containers[0].env.some((e: any) => e.name === 'FOO' && e.value === 'bar'),
      ),
  },
  {
    name: 'set resources',
    args: ['set', 'resources', 'deployment/web', '--limits=cpu=200m,memory=128Mi', '--requests=cpu=100m'],
    out: /^deployment\.apps\/web resource requirements updated$/m,
    effect: async (c) =>
      assert.deepEqual((await web(c)).spec.template.spec.containers[0].resources, {
        limits: { cpu: '200m', memory: '128Mi' },
        requests: { cpu: '100m' },
      }),
  },
  {
    name: 'rollout resume',
    args: ['rollout', 'resume', 'deployment/web'],
    out: /^deployment\.apps\/web resumed$/m,
    effect: async (c) => assert.equal((await web(c)).spec.paused, undefined),
  },
  {
    name: 'rollout status after resume',
    args: ['rollout', 'status', 'deployment/web', '--timeout=30s'],
    out: /successfully rolled out/,
  },
  {
    name: 'scale',
    args: ['scale', 'deployment/web', '--replicas=1'],
    out: /^deployment\.apps\/web scaled$/m,
    effect: async (c) => c.until('1 replica', async () => (await web(c)).status?.replicas === 1),
  },
  {
    name: 'autoscale',
    args: ['autoscale', 'deployment', 'web', '--min=2', '--max=4', '--cpu-percent=50'],
    out: /^horizontalpodautoscaler\.autoscaling\/web autoscaled$/m,
    effect: async (c) => {
      const hpa = await c.get(apis('autoscaling/v2', 'horizontalpodautoscalers/web'));
      assert.equal(hpa.spec.metrics[0].resource.target.averageUtilization, 50);
      // Below minReplicas: the HPA controller scales the Deployment up without needing metrics.
      await c.until('the HPA scaled web to 2', async () => (await web(c)).spec.replicas === 2);
      await c.until(
        'HPA status',
        async () => (await c.get(apis('autoscaling/v2', 'horizontalpodautoscalers/web'))).status?.desiredReplicas === 2,
      );
    },
  },
  {
    name: 'get hpa',
    args: ['get', 'hpa'],
    out: [
      /^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE$/m,
      /^web\s+Deployment\/web\s+cpu: <unknown>\/50%\s+2\s+4\s+\d\s+\S+$/m,
    ],
  },
  {
    name: 'describe hpa',
    args: ['describe', 'hpa', 'web'],
    out: [
      /^Reference:\s+Deployment\/web$/m,
      /^Min replicas:\s+2$/m,
      /SuccessfulRescale\s.*New size: 2; reason: Current number of replicas below Spec\.MinReplicas/,
    ],
  },
  {
    name: 'wait --for=condition',
    args: ['wait', '--for=condition=Available', 'deployment/web', '--timeout=30s'],
    out: /^deployment\.apps\/web condition met$/m,
  },
  {
    name: 'wait --for=jsonpath',
    args: ['wait', '--for=jsonpath={.status.phase}=Running', 'pod', '-l', 'app=web', '--timeout=30s'],
    out: /condition met/,
  },
  {
    name: 'delete --wait=false',
    args: ['delete', 'configmap', 'cfg', '--wait=false'],
    out: /^configmap "cfg" deleted$/m,
  },
  {
    name: 'wait --for=delete',
    args: ['wait', '--for=delete', 'configmap/cfg', '--timeout=10s'],
    effect: async (c) => assert.equal(await c.status(`/api/v1/namespaces/${NS}/configmaps/cfg`), 404),
  },
  {
    name: 'expose',
    args: ['expose', 'deployment', 'web', '--port=8080', '--target-port=80', '--name=web-svc'],
    out: /^service\/web-svc exposed$/m,
    effect: async (c) => {
      const s = await c.get(`/api/v1/namespaces/${NS}/services/web-svc`);
      assert.deepEqual(s.spec.selector, { app: 'web' });
      const ready = (await web(c)).status?.readyReplicas;
      await c.until(
        'web-svc endpoints',
        async () =>
          ((await c.get(`/api/v1/namespaces/${NS}/endpoints/web-svc`)).subsets?.[0]?.addresses ?? []).length === ready,
      );
    },
  },
  { name: 'auth can-i (admin)', args: ['auth', 'can-i', 'create', 'pods'], out: /^yes$/ },
  {
    name: 'auth can-i --as a bound service account',
    args: ['auth', 'can-i', 'list', 'pods', `--as=system:serviceaccount:${NS}:robot`],
    out: /^yes$/,
  },
  {
    name: 'auth can-i --as: no',
    args: ['auth', 'can-i', 'delete', 'pods', `--as=system:serviceaccount:${NS}:robot`],
    exit: 1,
    out: /^no$/m,
  },
  {
    name: 'auth can-i --list',
    args: ['auth', 'can-i', '--list', `--as=system:serviceaccount:${NS}:robot`],
    out: /^pods\s+\[\]\s+\[\]\s+\[get list\]$/m,
  },
  {
    name: 'auth whoami',
    args: ['auth', 'whoami'],
    out: [/^ATTRIBUTE\s+VALUE$/m, /^Groups\s+\[.*system:masters.*\]$/m],
  },
  {
    name: 'apply a CertificateSigningRequest',
    args: (c) => {
      const key = c.file('csr.key', '', 0o600);
      const csr = c.file('csr.pem', '');
      execFileSync(
        'openssl',
        [
          'req',
          '-new',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          key,
          '-out',
          csr,
          '-subj',
          '/CN=parity-user/O=parity',
        ],
        { stdio: 'ignore' },
      );
      const request = readFileSync(csr).toString('base64');
      return [
        'apply',
        '-f',
        c.file(
          'csr.yaml',
          `apiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\nmetadata: {name: parity-csr}\nspec:\n  request: ${request}\n  signerName: kubernetes.io/kube-apiserver-client\n  usages: [client auth]\n`,
        ),
      ];
    },
    out: /^certificatesigningrequest\.certificates\.k8s\.io\/parity-csr created$/m,
  },
  {
    name: 'certificate approve',
    args: ['certificate', 'approve', 'parity-csr'],
    out: /^certificatesigningrequest\.certificates\.k8s\.io\/parity-csr approved$/m,
    effect: async (c) =>
      c.until(
        'the CSR is signed',
        async () =>
          !!(await c.get('/apis/certificates.k8s.io/v1/certificatesigningrequests/parity-csr')).status?.certificate,
      ),
  },
  {
    name: 'get csr',
    args: ['get', 'csr', 'parity-csr'],
    out: /^parity-csr\s+\S+\s+kubernetes\.io\/kube-apiserver-client\s+\S+\s+<none>\s+Approved,Issued$/m,
  },
  {
    name: 'cordon',
    args: ['cordon', 'node-b'],
    out: /^node\/node-b cordoned$/m,
    effect: async (c) => assert.equal((await c.get('/api/v1/nodes/node-b')).spec.unschedulable, true),
  },
  { name: 'get nodes shows SchedulingDisabled', args: ['get', 'nodes'], out: /^node-b\s+Ready,SchedulingDisabled\s/m },
  {
    name: 'drain',
    args: ['drain', 'node-b', '--ignore-daemonsets', '--delete-emptydir-data', '--force', '--timeout=30s'],
    out: /^node\/node-b drained$/m,
    effect: async (c) =>
      c.until(
        'no web pod left on node-b',
        async () =>
          !(await c.get(`/api/v1/namespaces/${NS}/pods?fieldSelector=spec.nodeName%3Dnode-b`)).items.some(
            (p: any) => !p.metadata.deletionTimestamp && p.metadata.labels?.app === 'web',
          ),
      ),
  },
  {
    name: 'uncordon',
    args: ['uncordon', 'node-b'],
    out: /^node\/node-b uncordoned$/m,
    effect: async (c) => assert.equal((await c.get('/api/v1/nodes/node-b')).spec.unschedulable, undefined),
  },
  {
    name: 'taint',
    args: ['taint', 'nodes', 'node-b', 'dedicated=parity:NoSchedule'],
    out: /^node\/node-b tainted$/m,
    effect: async (c) =>
      assert.deepEqual((await c.get('/api/v1/nodes/node-b')).spec.taints, [
        { key: 'dedicated', value: 'parity', effect: 'NoSchedule' },
      ]),
  },
  {
    name: 'taint removal',
    args: ['taint', 'nodes', 'node-b', 'dedicated:NoSchedule-'],
    out: /^node\/node-b untainted$/m,
  },
  {
    name: 'api-resources',
    args: ['api-resources'],
    out: [
      /^cronjobs\s+cj\s+batch\/v1\s+true\s+CronJob$/m,
      /^horizontalpodautoscalers\s+hpa\s+autoscaling\/v2\s+true\s+HorizontalPodAutoscaler$/m,
      /^resourcequotas\s+quota\s+v1\s+true\s+ResourceQuota$/m,
      /^limitranges\s+limits\s+v1\s+true\s+LimitRange$/m,
      /^priorityclasses\s+pc\s+scheduling\.k8s\.io\/v1\s+false\s+PriorityClass$/m,
    ],
  },
  {
    name: 'api-versions',
    args: ['api-versions'],
    out: [/^autoscaling\/v2$/m, /^batch\/v1$/m, /^scheduling\.k8s\.io\/v1$/m, /^policy\/v1$/m],
  },
  {
    name: 'explain cronjob.spec.schedule',
    args: ['explain', 'cronjob.spec.schedule'],
    out: [/^KIND:\s+CronJob$/m, /^FIELD:\s+schedule <string>$/m, /The schedule in Cron format/],
  },
  {
    name: 'explain hpa.spec.metrics',
    args: ['explain', 'hpa.spec.metrics'],
    out: [/^GROUP:\s+autoscaling$/m, /metrics contains the specifications for which to use to calculate/],
  },
  {
    name: 'events --for',
    args: ['events', '--for=deployment/web'],
    out: /ScalingReplicaSet\s+Deployment\/web\s+Scaled (up|down) replica set web-/,
  },
  {
    name: 'get events',
    args: ['get', 'events', '--field-selector=involvedObject.kind=CronJob'],
    out: /SuccessfulCreate\s+cronjob\/every\s+Created job every-\d+/,
  },
  {
    name: 'get --raw',
    args: ['get', '--raw', '/apis/autoscaling/v2'],
    effect: (_c, r) =>
      assert.ok(JSON.parse(r.stdout).resources.some((x: any) => x.name === 'horizontalpodautoscalers/status')),
  },
  {
    name: 'cluster-info',
    args: ['cluster-info'],
    out: /Kubernetes control plane.* is running at https:\/\/127\.0\.0\.1:\d+/,
  },
  { name: 'version', args: ['version'], out: /^Server Version: v1\.\d+/m },
  {
    name: 'delete cronjob --cascade=foreground',
    args: ['delete', 'cronjob', 'every', '--cascade=foreground', '--timeout=30s'],
    out: /^cronjob\.batch "every" deleted$/m,
    effect: async (c) => {
      const jobs = (await c.get(apis('batch/v1', 'jobs'))).items.filter(
        (j: any) => j.metadata.ownerReferences?.[0]?.name === 'every',
      );
      assert.equal(jobs.length, 0);
    },
  },
  { name: 'delete -l', args: ['delete', 'configmap', '-l', 'nothing=here'], out: /^No resources found$/m },
];
