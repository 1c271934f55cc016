// issue 9's done-when checks on what `kubewire up` builds (own prefix and state folder), with the
// real kubectl: a Deployment of nginx behind a Service answers a curl from the tools pod;
// `kubectl run bb --image=busybox -- sleep 1d` has PID 1 sleep and no host process, and the
// image's /etc/os-release; a 64Mi pod allocating 200 MB ends OOMKilled; on node5 docker/crictl
// list the kubia (a topology static pod) and pause containers, docker inspect's Pid sits in the
// pod's network namespace, and their exec reads its command line as docker's and crictl's do;
// `kubewire status` lists every pod; reset leaves no mount, cgroup or process of the lab.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import { CLOUD, eventually, TestLab } from '../runtime/harness.js';

const TOPO = `name: cri-lab
${CLOUD}
nodes:
  - name: node1
    address: 10.231.209.113
    subnet: 192.168.128.0/24
  - name: node5
    address: 10.231.209.117
    subnet: 192.168.132.0/24
    pods:
      - metadata: { name: kubia-b, labels: { app: kubia }, annotations: { kubewire.io/ip: 192.168.132.73 } }
        spec: { containers: [{ name: kubia, image: kubia, ports: [{ containerPort: 8080 }] }] }
`;

const lab = new TestLab(TOPO);
let kubeconfig = '';
const kubectl = (args: string[], timeout = 60_000) =>
  execa('kubectl', ['--kubeconfig', kubeconfig, ...args], { reject: false, timeout });
const kw = (args: string[], timeoutMs = 120_000) =>
  lab.cli([...args.slice(0, 1), '--lab', 'cri-lab', ...args.slice(1)], { timeoutMs });

async function ready(name: string, ms: number): Promise<void> {
  const r = await kubectl(
    ['wait', '--for=condition=Ready', `pod/${name}`, `--timeout=${Math.round(ms / 1000)}s`],
    ms + 5000,
  );
  assert.equal(r.exitCode, 0, `${name} not Ready: ${r.stderr}\n${(await kubectl(['describe', 'pod', name])).stdout}`);
}

before(async () => {
  const file = join(lab.stateBase, 'topo.yaml');
  await lab.driver.writeFile(file, TOPO);
  const r = await lab.cli(['up', file], { timeoutMs: 180_000 });
  assert.equal(r.exitCode, 0, r.stderr);
  kubeconfig = (await kw(['kubeconfig'])).stdout.trim();
});
after(() => lab.cleanup());

test(
  "kubectl run busybox: PID 1 is sleep, no host process, the image's /etc/os-release",
  { timeout: 300_000 },
  async () => {
    assert.equal((await kubectl(['run', 'bb', '--image=busybox', '--', 'sleep', '1d'])).exitCode, 0);
    await ready('bb', 240_000);
    const ps = await kw(['exec', 'default/bb', '--', 'ps', '-o', 'pid,comm']);
    assert.equal(ps.exitCode, 0, ps.stderr);
    const rows = ps.stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/));
    assert.deepEqual(rows[0], ['1', 'sleep']);
    assert.ok(
      rows.every(([, comm]) => comm === 'sleep' || comm === 'ps'),
      ps.stdout,
    );
    const os = await kw(['exec', 'default/bb', '--', 'cat', '/etc/os-release']);
    assert.match(os.stdout, /BusyBox/i);
    assert.notEqual(os.stdout, readFileSync('/etc/os-release', 'utf8'));
    const status = await kw(['status']);
    assert.match(status.stdout, /default\/bb\s/);
    assert.match(status.stdout, /default\/kubia-b\s/);
  },
);

test('a pod limited to 64Mi that allocates 200 MB ends OOMKilled', { timeout: 300_000 }, async () => {
  const manifest = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'hog' },
    spec: {
      restartPolicy: 'Never',
      containers: [
        {
          name: 'hog',
          image: 'busybox',
          command: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=200M', 'count=1'],
          resources: { limits: { memory: '64Mi' } },
        },
      ],
    },
  });
  const r = await execa('kubectl', ['--kubeconfig', kubeconfig, 'apply', '-f', '-'], {
    input: manifest,
    reject: false,
  });
  assert.equal(r.exitCode, 0, r.stderr);
  const reason = await eventually(async () => {
    const out = (
      await kubectl(['get', 'pod', 'hog', '-o', 'jsonpath={.status.containerStatuses[0].state.terminated.reason}'])
    ).stdout;
    return out ? out : undefined;
  }, 240_000);
  assert.equal(reason, 'OOMKilled');
});

test(
  "on node5, docker ps and crictl ps list kubia and pause; docker inspect gives a Pid in the pod's netns",
  { timeout: 300_000 },
  async () => {
    await ready('kubia-b', 240_000);
    const docker = await kw(['exec', 'node5', '--', 'docker', 'ps']);
    assert.equal(docker.exitCode, 0, docker.stderr);
    assert.match(docker.stdout, /k8s_kubia_kubia-b_default_/);
    assert.match(docker.stdout, /k8s_POD_kubia-b_default_/);
    const crictl = await kw(['exec', 'node5', '--', 'crictl', 'ps']);
    assert.match(crictl.stdout, /\bkubia\b.*kubia-b/);
    const id = /^([0-9a-f]{12})\s.*k8s_kubia_kubia-b/m.exec(docker.stdout)![1]!;
    const pid = (await kw(['exec', 'node5', '--', 'docker', 'inspect', '-f', '{{.State.Pid}}', id])).stdout.trim();
    assert.match(pid, /^\d+$/);
    // That pid, in the node's PID namespace, has the pod's address on its eth0.
    const addr = await kw([
      'exec',
      'node5',
      '--',
      'nsenter',
      '-t',
      pid,
      '-n',
      'ip',
      '-4',
      '-o',
      'addr',
      'show',
      'eth0',
    ]);
    assert.match(addr.stdout, /192\.168\.132\.73\/24/);
    // The node sees its own processes only: its init is PID 1, no host daemon is visible.
    const ps = await kw(['exec', 'node5', '--', 'ps', '-eo', 'pid,comm']);
    assert.match(ps.stdout, /^\s*1 node-init$/m);
    assert.doesNotMatch(ps.stdout, /\bsystemd\b|\bsshd\b|kubewire\.js/);
  },
);

test(
  "on node5, crictl and docker read exec as the real ones: flags after the ID are the command's; a wrong command line exits 2",
  { timeout: 300_000 },
  async () => {
    await ready('kubia-b', 240_000);
    const node = (...argv: string[]) => kw(['exec', 'node5', '--', ...argv]);
    const docker = await node('docker', 'ps');
    const id = /^([0-9a-f]{12})\s.*k8s_kubia_kubia-b/m.exec(docker.stdout)![1]!;
    // `-d` and `-o` are ip's: the article's `docker exec -it ID ip -d link show`, without a terminal.
    const link = await node('docker', 'exec', id, 'ip', '-d', '-o', 'link', 'show', 'eth0');
    assert.equal(link.exitCode, 0, link.stderr);
    assert.match(link.stdout, /^\d+: eth0@if\d+: .* veth /);
    // The command's own exit status comes through; `--` after the ID is dropped, as crictl does.
    const sh = await node('crictl', 'exec', '-i', id, '--', 'sh', '-c', 'exit 7');
    assert.equal(sh.exitCode, 7, sh.stderr);
    assert.deepEqual((await node('crictl', 'ps', '-q')).stdout.split('\n').filter((l) => l.startsWith(id)).length, 1);
    for (const [argv, line] of [
      [
        ['docker', 'exec', '-u', 'root', id, 'id'],
        /^docker exec: unknown option '-u' \(it takes --interactive, --tty\)$/m,
      ],
      [['crictl', 'ps', '--state', 'running'], /^crictl ps: unknown option '--state'/m],
      [
        ['docker', 'inspect', '-f', '{{.State.Pid}}', `${id};reboot`],
        /^docker inspect: ID: '[0-9a-f]{12};reboot' is not/m,
      ],
      [['crictl', 'stop', id], /^crictl: 'stop' is not one of the commands this node has/m],
    ] as const) {
      const r = await node(...argv);
      assert.equal(r.exitCode, 2, `${argv.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, line);
    }
  },
);

test(
  "kubectl create deployment nginx + expose: curl from the tools pod gets nginx's page",
  { timeout: 600_000 },
  async () => {
    assert.equal((await kubectl(['create', 'deployment', 'web', '--image=nginx', '--replicas=3'])).exitCode, 0);
    assert.equal((await kubectl(['expose', 'deployment', 'web', '--port=80'])).exitCode, 0);
    assert.equal((await kubectl(['run', 'tools', '--image=tools'])).exitCode, 0);
    const r = await kubectl(['rollout', 'status', 'deployment/web', '--timeout=480s'], 500_000);
    assert.equal(r.exitCode, 0, r.stderr);
    await ready('tools', 300_000);
    const page = await eventually(async () => {
      const c = await kw([
        'exec',
        'default/tools',
        '--',
        'curl',
        '-s',
        '--max-time',
        '3',
        'http://web.default.svc.cluster.local/',
      ]);
      return /Welcome to nginx/.test(c.stdout) ? c.stdout : undefined;
    }, 60_000);
    assert.match(page, /<title>Welcome to nginx!<\/title>/);
  },
);

test('reset leaves no mount, cgroup or process of the lab', { timeout: 120_000 }, async () => {
  const r = await kw(['reset']);
  assert.equal(r.exitCode, 0, r.stderr);
  const cgroups = readdirSync('/sys/fs/cgroup').flatMap((h) => {
    try {
      return readdirSync(join('/sys/fs/cgroup', h)).filter((d) => d.startsWith(lab.prefix));
    } catch {
      return [];
    }
  });
  assert.deepEqual(cgroups, []);
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes(lab.stateBase));
  assert.deepEqual(mounts, []);
  const procs = readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(lab.stateBase);
      } catch {
        return false;
      }
    });
  assert.deepEqual(procs, []);
});
