// `npm run bench -- replicas`: issue 9's cluster figures on the article's lab (6 nodes), each
// next to a baseline from the same run:
// - 100 kubia replicas, each pod from its creation to Ready as a watch on the apiserver sees it:
//   p50/p99 (goal p99 ≤ 3 s on 2 cores) against one replica started alone on the same lab;
// - `kubectl run` of a cached image → Ready (goal ≤ 1 s);
// - memory per kubia pod: its pod cgroup (pause + app, memory.usage_in_bytes on v1, memory.current
//   on v2), the pause container's own, and the app's own (the baseline: what the app costs anyway).
// Always resets the lab it built.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Pod } from '../common/api-types.js';
import { KubeClient } from '../cluster/client/kube-client.js';
import { Cgroups } from '../runtime/cri/cgroups.js';
import { defaultTopology, projectRoot } from '../runtime/project-root.js';
import { pct, verdict } from './containers.bench.js';
import type { BenchReport } from './main.js';

export const name = 'replicas';
const KUBECTL = '/usr/bin/kubectl';
const REPLICAS = 100;

const ready = (p: Pod) => !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

/** Watches pods with a label; resolves with created→Ready of each once `count` are Ready. */
function readyTimes(client: KubeClient, selector: string, count: number, timeoutMs: number): Promise<number[]> {
  const seen = new Map<string, number>();
  const done = new Map<string, number>();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`${done.size} of ${count} pods (${selector}) Ready within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const stop = client.pods.watch(
      { namespace: 'default', labelSelector: selector },
      {
        onEvent: (e) => {
          const p = e.object as Pod;
          const uid = p.metadata.uid!;
          const now = performance.now();
          if (!seen.has(uid)) seen.set(uid, now);
          if (ready(p) && !done.has(uid)) done.set(uid, now - seen.get(uid)!);
          if (done.size >= count) {
            clearTimeout(timer);
            stop();
            resolve([...done.values()]);
          }
        },
        onClose: (err) => {
          if (err && done.size < count) {
            clearTimeout(timer);
            reject(err);
          }
        },
      },
    );
  });
}

/** The host cgroup folder of a pod (pod<uid>, under its node's parent) in the memory hierarchy. */
function podCgroup(cg: Cgroups, uid: string): string | undefined {
  const root = cg.mode === 'v2' ? '/sys/fs/cgroup' : '/sys/fs/cgroup/memory';
  const want = `pod${uid.replace(/[^a-zA-Z0-9-]/g, '')}`;
  const walk = (dir: string, depth: number): string | undefined => {
    if (depth > 4) return undefined;
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      if (!d.isDirectory()) continue;
      if (d.name === want) return join(dir, d.name);
      if (d.name.startsWith('kw') || depth > 0) {
        const r = walk(join(dir, d.name), depth + 1);
        if (r) return r;
      }
    }
    return undefined;
  };
  const abs = walk(root, 0);
  return abs?.slice(root.length);
}

export async function run(report: BenchReport): Promise<void> {
  report.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} at start`,
  );
  const prefix = `kw-t${randomBytes(3).toString('hex')}-`;
  const stateBase = mkdtempSync(join(tmpdir(), 'kubewire-bench-replicas-'));
  const env = { KUBEWIRE_STATE_DIR: stateBase, KUBEWIRE_PREFIX: prefix, KUBEWIRE_APISERVER_PORT: '0' };
  const cli = (args: string[]) =>
    execa(process.execPath, [join(projectRoot(), 'dist', 'cli', 'main.js'), ...args], {
      env,
      reject: false,
      timeout: 600_000,
    });
  try {
    const up = await cli(['up', defaultTopology()]);
    if (up.exitCode !== 0) throw new Error(`up failed: ${up.stderr}`);
    const kubeconfig = (await cli(['kubeconfig', '--lab', 'article'])).stdout.trim();
    const kubectl = (args: string[]) =>
      execa(KUBECTL, args, { env: { KUBECONFIG: kubeconfig }, reject: false, timeout: 600_000 });
    const kc = readFileSync(kubeconfig, 'utf8');
    const client = new KubeClient({
      server: /server: (\S+)/.exec(kc)![1]!,
      token: /token: (\S+)/.exec(kc)![1]!,
      ca: Buffer.from(/certificate-authority-data: (\S+)/.exec(kc)![1]!, 'base64'),
    });
    // The article's own six kubia pods first, so they do not compete with what is measured.
    await kubectl(['rollout', 'status', 'deployment/kubia', '--timeout=300s']);

    // Baseline: one pod alone, three times (kubectl run of the cached kubia image).
    const single: number[] = [];
    for (let i = 0; i < 3; i++) {
      const w = readyTimes(client, `run=kb-one-${i}`, 1, 120_000);
      await kubectl(['run', `kb-one-${i}`, '--image=kubia', '--port=8080']);
      single.push((await w)[0]!);
      await kubectl(['delete', 'pod', `kb-one-${i}`, '--wait=false']);
    }
    const one = pct(single, 50);
    report.figure('kubectl run of a cached image (kubia) → Ready, p50 of 3', one, 'ms', {
      goal: '≤ 1000 ms',
      note: verdict(one <= 1000),
    });
    const images = (await cli(['image', 'ls'])).stdout;
    if (/\bnginx\b/.test(images)) {
      const w = readyTimes(client, 'run=kb-nginx', 1, 120_000);
      await kubectl(['run', 'kb-nginx', '--image=nginx']);
      const t = (await w)[0]!;
      report.figure('kubectl run of a cached nginx → Ready', t, 'ms', { goal: '≤ 1000 ms', note: verdict(t <= 1000) });
      await kubectl(['delete', 'pod', 'kb-nginx', '--wait=false']);
    } else report.log('nginx is not in the image store yet (its first build takes minutes): not measured');

    const t0 = performance.now();
    const w = readyTimes(client, 'app=kbench', REPLICAS, 600_000);
    await kubectl(['create', 'deployment', 'kbench', '--image=kubia', `--replicas=${REPLICAS}`, '--port=8080']);
    const times = await w;
    const all = performance.now() - t0;
    const p99 = pct(times, 99);
    report.figure(`${REPLICAS} kubia replicas, created → Ready, p50`, pct(times, 50), 'ms');
    report.figure(`${REPLICAS} kubia replicas, created → Ready, p99`, p99, 'ms', {
      goal: '≤ 3000 ms',
      note: verdict(p99 <= 3000),
    });
    report.figure('  p99 / one pod alone (baseline above)', p99 / one, '×');
    report.figure(`  create deployment → all ${REPLICAS} Ready`, all, 'ms');

    // Memory of the idle kubia pods: pod cgroup (pause + app), pause's, app's.
    await new Promise((r) => setTimeout(r, 3000));
    const cg = new Cgroups();
    const pods = (await client.pods.list({ namespace: 'default', labelSelector: 'app=kbench' })).items;
    const podMem: number[] = [];
    const pauseMem: number[] = [];
    const appMem: number[] = [];
    for (const p of pods.slice(0, 30)) {
      const dir = podCgroup(cg, p.metadata.uid!);
      if (!dir) continue;
      const app = (p.status?.containerStatuses?.[0]?.containerID ?? '').replace(/^\w+:\/\//, '');
      const base = cg.mode === 'v2' ? '/sys/fs/cgroup' : '/sys/fs/cgroup/memory';
      const kids = readdirSync(join(base, dir), { withFileTypes: true }).filter((d) => d.isDirectory());
      const appDir = kids.find((d) => app && d.name === app);
      const pauseDir = kids.find((d) => d !== appDir);
      if (!appDir || !pauseDir || !existsSync(join(base, dir, appDir.name))) continue;
      appMem.push(await cg.memoryUsage(`${dir}/${appDir.name}`));
      pauseMem.push(await cg.memoryUsage(`${dir}/${pauseDir.name}`));
      podMem.push(await cg.memoryUsage(dir));
    }
    const mib = (b: number) => b / 1048576;
    if (!podMem.length) throw new Error('no kubia pod cgroup found to measure');
    report.figure(`memory per kubia pod (pause + app), p50 of ${podMem.length}`, mib(pct(podMem, 50)), 'MiB');
    report.figure('  of it the app container (baseline: the app itself)', mib(pct(appMem, 50)), 'MiB');
    const pause = pct(pauseMem, 50);
    report.figure('  of it the pause container', pause / 1024, 'KiB', {
      goal: '≤ 1024 KiB besides the app',
      note: verdict(pause <= 1048576),
    });
    report.figure('  pod / app', pct(podMem, 50) / pct(appMem, 50), '×');
  } finally {
    await cli(['reset', '--lab', 'article']);
    rmSync(stateBase, { recursive: true, force: true });
  }
}
