// `npm run bench -- kubelet`: the kubelet server's streaming paths on a two-node lab, each against
// a baseline measured in the same run (issue 10):
// - `kubectl exec POD -- true` vs entering the same container directly on its node with nsenter
//   (what `crictl exec` does through the runtime; there is no crictl here) — goal ≤ 2×;
// - keystroke → echo through exec -t (WebSocket v5 via the apiserver and the kubelet), p99 ≤ 20 ms;
// - port-forward throughput (kubectl port-forward + curl) vs curl from the node to the pod, the
//   same 64 MiB file — goal ≥ 50 %;
// - logs -f: a line the container writes (kubia logs each request) until `kubectl logs -f` prints
//   it, p99 ≤ 200 ms.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import WebSocket from 'ws';
import { projectRoot } from '../runtime/project-root.js';
import type { BenchReport } from './main.js';

export const name = 'kubelet';
const KUBECTL = '/usr/bin/kubectl';

const TOPO = `name: kbench
nodeNetwork: 10.231.209.0/24
podNetwork: 192.168.128.0/18
serviceNetwork: 192.168.192.0/18
gateway: { address: 10.231.209.1, uplink: 198.51.100.1/24 }
internet:
  router: 198.51.100.2/24
  dns: 198.51.100.53
  hosts:
    - { name: google.com, address: 203.0.113.10 }
nodes:
  - name: node5
    address: 10.231.209.117
    subnet: 192.168.132.0/24
    pods:
      - metadata: { name: kubia-b, annotations: { kubewire.io/ip: 192.168.132.73 } }
        spec: { containers: [{ name: kubia, image: kubia }] }
      - metadata: { name: tools, annotations: { kubewire.io/ip: 192.168.132.150 } }
        spec: { containers: [{ name: netshoot, image: netshoot }] }
`;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

export async function run(report: BenchReport): Promise<void> {
  const prefix = `kw-t${randomBytes(3).toString('hex')}-`;
  const stateBase = mkdtempSync(join(tmpdir(), 'kubewire-bench-kubelet-'));
  const env = { KUBEWIRE_STATE_DIR: stateBase, KUBEWIRE_PREFIX: prefix, KUBEWIRE_APISERVER_PORT: '0' };
  const cli = (args: string[]) =>
    execa(process.execPath, [join(projectRoot(), 'dist', 'cli', 'main.js'), ...args], {
      env,
      reject: false,
      timeout: 240_000,
    });
  const topoFile = join(stateBase, 'kbench.yaml');
  writeFileSync(topoFile, TOPO);
  try {
    const up = await cli(['up', topoFile]);
    if (up.exitCode !== 0) throw new Error(`up failed: ${up.stderr}`);
    const kubeconfig = (await cli(['kubeconfig', '--lab', 'kbench'])).stdout.trim();
    const kenv = { KUBECONFIG: kubeconfig };
    const kubectl = (args: string[]) => execa(KUBECTL, args, { env: kenv, reject: false, timeout: 60_000 });
    for (
      let i = 0;
      i < 300 && (await kubectl(['get', 'pod', 'tools', '-o', 'jsonpath={.status.phase}'])).stdout !== 'Running';
      i++
    )
      await new Promise((r) => setTimeout(r, 200));
    const nodeNs = `${prefix}node5`;
    const podPid = async (pod: string, match: string) => {
      const pids = (await execa('ip', ['netns', 'pids', `${prefix}default_${pod}`])).stdout.trim().split('\n');
      return pids.find((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(match))!;
    };
    const sleeper = await podPid('tools', 'sleep');

    // 1. exec -- true vs nsenter on the node.
    const viaKubectl: number[] = [];
    const direct: number[] = [];
    await kubectl(['exec', 'tools', '--', 'true']);
    for (let i = 0; i < 15; i++) {
      viaKubectl.push(await timeIt(() => kubectl(['exec', 'tools', '--', 'true'])));
      direct.push(
        await timeIt(() =>
          execa('ip', ['netns', 'exec', nodeNs, 'nsenter', '-t', sleeper, '-m', '-u', '-i', '-n', '--', 'true']),
        ),
      );
    }
    report.figure('kubectl exec POD -- true, p50', pct(viaKubectl, 50), 'ms');
    report.figure('nsenter into the container on its node (baseline), p50', pct(direct, 50), 'ms');
    report.figure('kubectl exec / direct exec', pct(viaKubectl, 50) / pct(direct, 50), '×', { goal: '≤ 2×' });

    // 2. keystroke → echo over exec -t (WebSocket v5, through the apiserver and the kubelet).
    const kc = readFileSync(kubeconfig, 'utf8');
    const server = /server: (\S+)/.exec(kc)![1]!;
    const token = /token: (\S+)/.exec(kc)![1]!;
    const ca = Buffer.from(/certificate-authority-data: (\S+)/.exec(kc)![1]!, 'base64');
    const url = `${server.replace('https', 'wss')}/api/v1/namespaces/default/pods/tools/exec?command=cat&stdin=true&stdout=true&tty=true`;
    const ws = new WebSocket(url, ['v5.channel.k8s.io'], { ca, headers: { Authorization: `Bearer ${token}` } });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    ws.send(Buffer.concat([Buffer.from([4]), Buffer.from(JSON.stringify({ Width: 80, Height: 24 }))]));
    let waiting: ((d: string) => void) | undefined;
    ws.on('message', (d: Buffer) => {
      if (d[0] === 1 && d.length > 1) waiting?.(d.subarray(1).toString());
    });
    await new Promise((r) => setTimeout(r, 500));
    const echo: number[] = [];
    for (let i = 0; i < 60; i++) {
      const ch = String.fromCharCode(97 + (i % 26));
      const t = performance.now();
      await new Promise<void>((resolve) => {
        waiting = (s) => s.includes(ch) && resolve();
        ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(ch)]));
      });
      echo.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 20));
    }
    ws.close();
    report.figure('exec -t keystroke → echo, p50', pct(echo, 50), 'ms');
    report.figure('exec -t keystroke → echo, p99', pct(echo, 99), 'ms', { goal: '≤ 20 ms' });

    // 3. port-forward throughput vs curl from the node.
    const dir = `/tmp/kw-bench-${prefix}`;
    await kubectl([
      'exec',
      'tools',
      '--',
      'sh',
      '-c',
      `mkdir -p ${dir} && head -c 67108864 /dev/urandom > ${dir}/blob && (setsid python3 -m http.server 8090 --bind 0.0.0.0 --directory ${dir} >/dev/null 2>&1 &)`,
    ]);
    await new Promise((r) => setTimeout(r, 1500));
    const speed = async (argv: string[]) =>
      Number(
        (
          await execa(argv[0]!, [...argv.slice(1), '-s', '-o', '/dev/null', '-w', '%{speed_download}'], {
            reject: false,
            timeout: 120_000,
          })
        ).stdout,
      );
    const nodeCurl = await speed(['ip', 'netns', 'exec', nodeNs, 'curl', 'http://192.168.132.150:8090/blob']);
    const port = 20000 + Math.floor(Math.random() * 20000);
    const pf = execa(KUBECTL, ['port-forward', 'pod/tools', `${port}:8090`], { env: kenv, reject: false });
    await new Promise((r) => setTimeout(r, 1500));
    const pfCurl = await speed(['curl', `http://127.0.0.1:${port}/blob`]);
    pf.kill('SIGINT');
    await pf;
    await execa('rm', ['-rf', dir]);
    report.figure('curl from the node to the pod (baseline)', nodeCurl / 1048576, 'MiB/s');
    report.figure('kubectl port-forward + curl', pfCurl / 1048576, 'MiB/s');
    report.figure('port-forward / direct', (100 * pfCurl) / nodeCurl, '%', { goal: '≥ 50 %' });

    // 4. logs -f: kubia logs a line per request; the time until kubectl prints it.
    const follow = execa(KUBECTL, ['logs', '-f', '--tail=0', 'kubia-b'], { env: kenv, reject: false, buffer: false });
    let gotLine: (() => void) | undefined;
    follow.stdout!.on('data', (b: Buffer) => b.toString().includes('Received request') && gotLine?.());
    await new Promise((r) => setTimeout(r, 1500));
    const lat: number[] = [];
    for (let i = 0; i < 25; i++) {
      const seen = new Promise<void>((r) => (gotLine = r));
      const t = performance.now();
      await execa('ip', ['netns', 'exec', nodeNs, 'curl', '-s', 'http://192.168.132.73:8080/']);
      await seen;
      lat.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 100));
    }
    follow.kill('SIGINT');
    await follow;
    report.figure('logs -f: line written → printed by kubectl, p50', pct(lat, 50), 'ms');
    report.figure('logs -f: line written → printed by kubectl, p99', pct(lat, 99), 'ms', { goal: '≤ 200 ms' });
  } finally {
    await cli(['reset', '--lab', 'kbench']);
    rmSync(stateBase, { recursive: true, force: true });
  }
}
