// `npm run bench -- kubelet`: the kubelet server's streaming paths on a two-node lab, each against
// a baseline measured in the same run (issue 10):
// - `kubectl exec POD -- true` vs `crictl exec` on the node for the same container (the lab's
//   crictl, node-tools-main.js) — goal ≤ 2× — and vs `crun exec` itself (the floor: what every
//   exec path runs) and `kubectl get pod` (kubectl's own start, TLS and one request);
// - keystroke → echo through exec -t (WebSocket v5 via the apiserver and the kubelet), p99 ≤ 20 ms;
// - port-forward throughput (kubectl port-forward + curl) vs curl from the node to the pod, the
//   same 64 MiB file — goal ≥ 50 %;
// - logs -f: a line the container writes (kubia logs each request) until `kubectl logs -f` prints
//   it, p99 ≤ 200 ms, beside `tail -F` of the same CRI log file on the host (the floor).
// Each figure carries the machine's 1-minute load average (2 shared cores).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import WebSocket from 'ws';
import { projectRoot } from '../runtime/project-root.js';
import { CriStore } from '../runtime/cri/cri-store.js';
import type { BenchReport } from './main.js';
import { labTopology, NODE5, pinnedPod, toolsPod } from '../test/helpers/lab-topology.js';

export const name = 'kubelet';
const KUBECTL = '/usr/bin/kubectl';

const TOPO = labTopology('kbench', [
  {
    ...NODE5,
    pods: [pinnedPod('kubia-b', '192.168.132.73', { name: 'kubia', image: 'kubia' }), toolsPod('192.168.132.150')],
  },
]);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

const load = () => `load ${loadavg()[0]!.toFixed(1)}`;
const verdict = (ok: boolean) => `${ok ? 'met' : 'MISSED'}, ${load()}`;

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
    // The container as its node's CRI runtime records it, and the node's init (its namespaces).
    const runtimeDir = join(stateBase, 'kbench', 'nodes', 'node5', 'runtime');
    const store = new CriStore(join(runtimeDir, 'cri'));
    const sandboxOf = (pod: string) =>
      [...store.sandboxes.values()].find((x) => x.name === pod && x.state === 'SANDBOX_READY')!.id;
    const containerOf = (pod: string) => {
      const sb = sandboxOf(pod);
      return [...store.containers.values()].find((c) => c.podSandboxId === sb && c.finishedAt === undefined)!;
    };
    const tools = containerOf('tools');
    const init = (
      await execa('pgrep', [
        '-f',
        `^${join(projectRoot(), 'dist', 'native', 'node-init')} ${join(runtimeDir, 'exits')}$`,
      ])
    ).stdout.split('\n')[0]!;
    const onNode = (argv: string[]) => execa('nsenter', ['-t', init, '-m', '-p', '-n', '-u', '--', ...argv]);

    // 1. exec -- true vs crictl exec and crun exec on the node.
    const viaKubectl: number[] = [];
    const crictl: number[] = [];
    const crun: number[] = [];
    const get: number[] = [];
    await kubectl(['exec', 'tools', '--', 'true']);
    for (let i = 0; i < 15; i++) {
      viaKubectl.push(await timeIt(() => kubectl(['exec', 'tools', '--', 'true'])));
      crictl.push(await timeIt(() => onNode(['/usr/local/sbin/crictl', 'exec', tools.id, 'true'])));
      crun.push(await timeIt(() => onNode(['crun', '--root', join(runtimeDir, 'oci'), 'exec', tools.id, 'true'])));
      get.push(await timeIt(() => kubectl(['get', 'pod', 'tools', '-o', 'name'])));
    }
    const ex = pct(viaKubectl, 50);
    report.figure('kubectl exec POD -- true, p50', ex, 'ms', { note: load() });
    report.figure('crictl exec on the node (baseline), p50', pct(crictl, 50), 'ms');
    report.figure('crun exec on the node (the floor), p50', pct(crun, 50), 'ms');
    report.figure('kubectl get pod (kubectl alone), p50', pct(get, 50), 'ms');
    report.figure('kubectl exec / crictl exec', ex / pct(crictl, 50), '×', {
      goal: '≤ 2×',
      note: verdict(ex / pct(crictl, 50) <= 2),
    });
    report.figure('kubectl exec / crun exec', ex / pct(crun, 50), '×', {
      note: `kubectl's own request costs ${(pct(get, 50) / pct(crun, 50)).toFixed(1)}× crun exec`,
    });

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
    report.figure('exec -t keystroke → echo, p99', pct(echo, 99), 'ms', {
      goal: '≤ 20 ms',
      note: verdict(pct(echo, 99) <= 20),
    });

    // 3. port-forward throughput vs curl from the node.
    const dir = `/tmp/kw-bench-${prefix}`;
    // The pod serves the file with socat (the netshoot image has no web server): a 200 and the bytes.
    await execa(KUBECTL, ['exec', '-i', 'tools', '--', 'sh', '-s'], {
      env: kenv,
      reject: false,
      input: [
        `mkdir -p ${dir} && head -c 67108864 /dev/urandom > ${dir}/blob`,
        `printf 'HTTP/1.0 200 OK\\r\\nContent-Length: 67108864\\r\\n\\r\\n' > ${dir}/head`,
        `setsid socat TCP-LISTEN:8090,fork,reuseaddr SYSTEM:"cat ${dir}/head ${dir}/blob" </dev/null >/dev/null 2>&1 &`,
        '',
      ].join('\n'),
    });
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
    report.figure('port-forward / direct', (100 * pfCurl) / nodeCurl, '%', {
      goal: '≥ 50 %',
      note: verdict(pfCurl / nodeCurl >= 0.5),
    });

    // 4. logs -f: kubia logs a line per request; the time until kubectl prints it, and until
    //    `tail -F` of the CRI log file on the host does (the line is in the file: the floor).
    const follow = execa(KUBECTL, ['logs', '-f', '--tail=0', 'kubia-b'], { env: kenv, reject: false, buffer: false });
    const tail = execa('tail', ['-n0', '-F', containerOf('kubia-b').logPath], {
      stdio: ['ignore', 'pipe', 'ignore'],
      reject: false,
      buffer: false,
    });
    let gotLine: (() => void) | undefined;
    let gotFile: (() => void) | undefined;
    follow.stdout!.on('data', (b: Buffer) => b.toString().includes('Received request') && gotLine?.());
    tail.stdout.on('data', (b: Buffer) => b.toString().includes('Received request') && gotFile?.());
    await new Promise((r) => setTimeout(r, 1500));
    const lat: number[] = [];
    const file: number[] = [];
    for (let i = 0; i < 25; i++) {
      const t = performance.now();
      const seen = new Promise<void>((r) => (gotLine = r)).then(() => lat.push(performance.now() - t));
      const inFile = new Promise<void>((r) => (gotFile = r)).then(() => file.push(performance.now() - t));
      await execa('ip', ['netns', 'exec', nodeNs, 'curl', '-s', 'http://192.168.132.73:8080/']);
      await Promise.all([seen, inFile]);
      await new Promise((r) => setTimeout(r, 100));
    }
    follow.kill('SIGINT');
    tail.kill();
    await follow;
    report.figure('logs -f: request → line in the log file (tail -F), p99', pct(file, 99), 'ms');
    report.figure('logs -f: line written → printed by kubectl, p50', pct(lat, 50), 'ms');
    report.figure('logs -f: line written → printed by kubectl, p99', pct(lat, 99), 'ms', {
      goal: '≤ 200 ms',
      note: verdict(pct(lat, 99) <= 200),
    });
  } finally {
    await cli(['reset', '--lab', 'kbench']);
    rmSync(stateBase, { recursive: true, force: true });
  }
}
