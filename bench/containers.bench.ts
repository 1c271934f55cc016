// `npm run bench -- containers`: the CRI runtime layer (runtime/cri) against bare crun on the same
// bundles, measured in the same run inside one node container (issue 9's figures):
// - container create+start through the runtime layer vs `crun create` + `crun start` of the very
//   bundle the runtime wrote (its config.json; the rootfs mounted beforehand, untimed: the bare
//   runtime's floor) — goal ≤ 1.5×;
// - a whole pod (sandbox: pause, then one app container) vs the same two bundles run bare, the
//   bare app joining the bare pause's namespaces;
// - memory of an idle pod besides its app: the pause container's cgroup (memory.current on v2,
//   memory.usage_in_bytes on v1) and the processes in the pod's cgroups that are neither pause nor
//   the app (a per-container daemon such as containerd's shim would show there) — goal ≤ 1 MB, 0;
//   the app's cgroup next to the same app run bare.
// Always tears down (node-sweep + sweep of the bench's prefix).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { ContainerConfig } from '../runtime/cri/cri-types.js';
import { pickOciRuntime } from '../runtime/cri/oci-runtime.js';
import { CriFixture } from '../test/integration/cri/cri-fixture.js';
import type { BenchReport } from './main.js';

export const name = 'containers';
const PODS = 12;

export const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};

/** The goal's verdict printed next to a figure: MISSED when the measured value does not meet it. */
export function verdict(ok: boolean): string {
  return ok ? 'met' : 'MISSED';
}

/** Runs argv to its end with no pipes a created container could hold open. */
async function runQuiet(argv: string[]): Promise<number> {
  const r = await execa(argv[0]!, argv.slice(1), { stdio: 'ignore', reject: false });
  if (r.exitCode === undefined && !r.signal) throw new Error(String(r.shortMessage));
  return r.exitCode ?? 1;
}

export async function run(report: BenchReport): Promise<void> {
  report.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} at start; ${PODS} pods`,
  );
  const fx = new CriFixture();
  try {
    await fx.start();
    const rt = fx.runtime;
    const ociName = pickOciRuntime();
    const bareRoot = join(fx.base, 'bare-oci');
    const crun = async (args: string[]) => {
      const code = await runQuiet(fx.node.enter([ociName, '--root', bareRoot, ...args]));
      if (code !== 0) throw new Error(`bare ${ociName} ${args[0]} exited ${code}`);
    };
    report.log(`OCI runtime ${ociName}, cgroups ${fx.cgroups.mode}`);

    // A bundle of the runtime's copied for a bare run: its config.json with a fresh cgroup (and
    // the namespaces of another pause), its rootfs mounted as the runtime mounts it (overlay of
    // the same layers, in the node's mount namespace), untimed.
    let n = 0;
    const bareBundle = async (config: string, lowers: string[], pause?: { from: number; to: number }) => {
      const id = `bare${n++}`;
      const bundle = join(fx.base, 'bare', id);
      mkdirSync(bundle, { recursive: true });
      let text = readFileSync(config, 'utf8');
      if (pause) text = text.split(`/proc/${pause.from}/ns/`).join(`/proc/${pause.to}/ns/`);
      const spec = JSON.parse(text) as { linux: { cgroupsPath: string }; root: { path: string } };
      spec.linux.cgroupsPath = `${fx.node.cgroup}/bare/${id}`;
      spec.root.path = join(bundle, 'rootfs');
      writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
      const mount =
        'mkdir -p "$1/rootfs" "$1/upper" "$1/work" && mount -t overlay overlay -o "lowerdir=$2,upperdir=$1/upper,workdir=$1/work" "$1/rootfs"';
      const argv = fx.node.enter(['sh', '-c', mount, 'sh', bundle, lowers.join(':')]);
      await execa(argv[0]!, argv.slice(1));
      return { id, bundle, cgroup: spec.linux.cgroupsPath };
    };
    const barePid = async (id: string) => {
      const argv = fx.node.enter([ociName, '--root', bareRoot, 'state', id]);
      return (JSON.parse((await execa(argv[0]!, argv.slice(1))).stdout) as { pid: number }).pid;
    };

    const pod: number[] = [];
    const ctr: number[] = [];
    const barePod: number[] = [];
    const bareCtr: number[] = [];
    const pods: { sid: string; cid: string; bareApp: string }[] = [];
    const appLowers = [...fx.image.layers].reverse();
    const pauseLowers = [join(fx.base, 'node1', 'cri', 'pause-rootfs')];
    for (let i = 0; i < PODS; i++) {
      const netns = await fx.podNetns(`b${i}`);
      const t0 = performance.now();
      const sid = await rt.runPodSandbox(fx.sandboxConfig(`b${i}`, netns));
      const t1 = performance.now();
      const cfg: ContainerConfig = {
        name: 'app',
        image: fx.image,
        command: ['sleep', '100000'],
        env: [],
        mounts: [],
        logPath: 'app/0.log',
      };
      const cid = await rt.createContainer(sid, cfg);
      await rt.startContainer(cid);
      const t2 = performance.now();
      pod.push(t2 - t0);
      ctr.push(t2 - t1);

      const sb = rt.store.sandboxes.get(sid)!;
      const p = await bareBundle(join(rt.store.sandboxDir(sid), 'config.json'), pauseLowers);
      const t3 = performance.now();
      await crun(['create', '--bundle', p.bundle, p.id]);
      await crun(['start', p.id]);
      const t4 = performance.now();
      const pausePid = await barePid(p.id);
      const a = await bareBundle(join(rt.store.containerDir(cid), 'config.json'), appLowers, {
        from: sb.pid!,
        to: pausePid,
      });
      const t5 = performance.now();
      await crun(['create', '--bundle', a.bundle, a.id]);
      await crun(['start', a.id]);
      const t6 = performance.now();
      bareCtr.push(t6 - t5);
      barePod.push(t4 - t3 + (t6 - t5));
      pods.push({ sid, cid, bareApp: a.cgroup });
    }
    // The first of each is a cold start (page cache, cgroup creation): the median is the figure.
    const ratioCtr = pct(ctr, 50) / pct(bareCtr, 50);
    report.figure('container create+start through the runtime layer, p50', pct(ctr, 50), 'ms');
    report.figure(`bare ${ociName} create+start of the same bundle (baseline), p50`, pct(bareCtr, 50), 'ms');
    report.figure('runtime layer / bare, container', ratioCtr, '×', {
      goal: '≤ 1.5×',
      note: verdict(ratioCtr <= 1.5),
    });
    const ratioPod = pct(pod, 50) / pct(barePod, 50);
    report.figure('pod (sandbox + app) through the runtime layer, p50', pct(pod, 50), 'ms');
    report.figure('  p99', pct(pod, 99), 'ms');
    report.figure(`bare ${ociName}: pause + app bundles (baseline), p50`, pct(barePod, 50), 'ms');
    report.figure('runtime layer / bare, pod', ratioPod, '×', { goal: '≤ 1.5×', note: verdict(ratioPod <= 1.5) });

    // Idle for a moment, then what each pod's cgroups hold.
    await new Promise((r) => setTimeout(r, 2000));
    const pauseMem: number[] = [];
    const appMem: number[] = [];
    const bareMem: number[] = [];
    let extra = 0;
    for (const p of pods) {
      const sb = rt.store.sandboxes.get(p.sid)!;
      pauseMem.push(await fx.cgroups.memoryUsage(`${sb.cgroupParent}/${p.sid}`));
      appMem.push(await fx.cgroups.memoryUsage(`${sb.cgroupParent}/${p.cid}`));
      bareMem.push(await fx.cgroups.memoryUsage(p.bareApp));
      const inPod = [
        ...(await fx.cgroups.procs(sb.cgroupParent)),
        ...(await fx.cgroups.procs(`${sb.cgroupParent}/${p.sid}`)),
        ...(await fx.cgroups.procs(`${sb.cgroupParent}/${p.cid}`)),
      ];
      extra += Math.max(0, inPod.length - 2);
    }
    const kb = (b: number) => b / 1024;
    const pauseP50 = pct(pauseMem, 50);
    report.figure('memory of an idle pod besides its app (pause cgroup), p50', kb(pauseP50), 'KiB', {
      goal: '≤ 1024 KiB',
      note: `${verdict(pauseP50 <= 1024 * 1024)}; max ${kb(Math.max(...pauseMem)).toFixed(0)} KiB`,
    });
    report.figure('processes per pod besides pause and app (shims, monitors)', extra / pods.length, '', {
      goal: '0',
      note: verdict(extra === 0),
    });
    report.figure('memory of the app container (sleep), p50', kb(pct(appMem, 50)), 'KiB');
    report.figure('memory of the same app run bare (baseline), p50', kb(pct(bareMem, 50)), 'KiB');
    report.figure(
      'pod (pause + app) / bare app',
      (pct(pauseMem, 50) + pct(appMem, 50)) / Math.max(1, pct(bareMem, 50)),
      '×',
    );
  } finally {
    await fx.cleanup();
  }
}
