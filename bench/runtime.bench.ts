// `npm run bench -- runtime`: how long `up` takes for the article topology and for 20 nodes x 10
// pods, phase by phase, against a floor measured in the same run: the same namespaces and links
// made by one `ip -batch` per namespace (no helpers, no CNI plugins, no processes). Always tears down.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { cidrNth, formatIpv4, parseCidr } from '../common/net/ipv4.js';
import { parseTopology } from '../common/topology/parse-topology.js';
import type { Topology } from '../common/topology/types.js';
import { mapLimit } from '../runtime/concurrency.js';
import { NetnsDriver } from '../runtime/host/netns-driver.js';
import { LabNames } from '../runtime/lab/lab-names.js';
import { LabPaths } from '../runtime/lab/lab-paths.js';
import { LabRuntime, type UpReport } from '../runtime/lab/lab-runtime.js';
import { defaultTopology, imagesDir, scriptsDir } from '../runtime/project-root.js';
import type { BenchReport } from './main.js';

import { gridTopology } from '../test/helpers/grid-topology.js';

export const name = 'runtime';
const CONCURRENCY = 4;

const testPrefix = () => `kw-t${randomBytes(3).toString('hex')}-`;

/** CPU seconds (user+sys) of this process's finished children: every helper and what it ran. */
function childCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) * 10; // cutime, cstime in ticks of 10 ms
}

async function timedUp(
  yaml: string,
  file: string,
): Promise<{ first: UpReport; second: UpReport; cpuMs: number; secondCpuMs: number }> {
  const prefix = testPrefix();
  const base = mkdtempSync(join(tmpdir(), 'kubewire-bench-'));
  const topo = parseTopology(yaml, file, { prefix });
  const driver = new NetnsDriver(scriptsDir());
  const runtime = new LabRuntime(driver, new LabPaths(base, topo.name), {
    internetServer: join(imagesDir(), 'internet-server.js'),
    concurrency: CONCURRENCY,
  });
  try {
    const cpu0 = childCpuMs() + process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000;
    const first = await runtime.up(topo);
    const cpu1 = childCpuMs() + process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000;
    const second = await runtime.up(topo);
    const cpu2 = childCpuMs() + process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000;
    return { first, second, cpuMs: cpu1 - cpu0, secondCpuMs: cpu2 - cpu1 };
  } finally {
    await runtime.reset(prefix);
    rmSync(base, { recursive: true, force: true });
  }
}

async function ipBatch(args: string[], lines: string[]): Promise<void> {
  await execa('ip', [...args, '-batch', '-'], { input: lines.join('\n') + '\n' });
}

/**
 * The floor: the lab's namespaces and links (underlay port + eth0 per node, flannel.1, cni0, one
 * veth per pod with its address and routes) made by one `ip -batch` per namespace.
 */
async function floor(
  topo: Topology,
): Promise<{ totalMs: number; podsMs: number; cpuMs: number; netMs: number; netCpuMs: number }> {
  const names = new LabNames(testPrefix());
  const nodeNs = topo.nodes.map((n) => names.node(n.name));
  const pods = topo.nodes.flatMap((n, i) =>
    n.pods.map((p) => ({ node: n, nodeIndex: i, ns: names.pod(p.namespace, p.name), ip: p.ip! })),
  );
  const all = [names.underlay, names.gateway, names.internet, ...nodeNs, ...pods.map((p) => p.ns)];
  const t0 = performance.now();
  const cpu0 = childCpuMs();
  let podsMs = 0;
  try {
    await ipBatch(
      [],
      all.map((ns) => `netns add ${ns}`),
    );
    await ipBatch(
      ['-n', names.underlay],
      [
        'link add br0 type bridge',
        'link set br0 up',
        ...topo.nodes.flatMap((n) => [
          `link add ${n.name} type veth peer name eth0 netns ${names.node(n.name)}`,
          `link set ${n.name} master br0 up`,
        ]),
      ],
    );
    await mapLimit(topo.nodes, CONCURRENCY, (n) => {
      const sub = parseCidr(n.subnet);
      return ipBatch(
        ['-n', names.node(n.name)],
        [
          'link set lo up',
          `addr add ${n.address}/24 dev eth0`,
          'link set eth0 up',
          `route add default via ${topo.gateway.address}`,
          `link add flannel.1 type vxlan id 1 local ${n.address} dev eth0 dstport 8472 nolearning`,
          `addr add ${formatIpv4(sub.network)}/32 dev flannel.1`,
          'link set flannel.1 up',
          'link add cni0 type bridge',
          `addr add ${formatIpv4(cidrNth(sub, 1))}/${sub.length} dev cni0`,
          'link set cni0 up',
        ],
      );
    });
    const tp = performance.now();
    const cpuNet = childCpuMs();
    await mapLimit(pods, CONCURRENCY, async (p, i) => {
      const gw = formatIpv4(cidrNth(parseCidr(p.node.subnet), 1));
      const veth = `veth${i.toString(16).padStart(8, '0')}`;
      await ipBatch(
        ['-n', names.node(p.node.name)],
        [`link add ${veth} type veth peer name eth0 netns ${p.ns}`, `link set ${veth} master cni0 up`],
      );
      await ipBatch(
        ['-n', p.ns],
        [
          'link set lo up',
          `addr add ${p.ip}/24 dev eth0`,
          'link set eth0 up',
          `route add default via ${gw}`,
          `route add ${topo.podNetwork} via ${gw}`,
        ],
      );
    });
    podsMs = performance.now() - tp;
    // `up` no longer wires pods (the kubelets do, with the CNI plugins): the part of the floor that
    // does `up`'s work is everything before the pod links.
    return {
      totalMs: performance.now() - t0,
      podsMs,
      cpuMs: childCpuMs() - cpu0,
      netMs: tp - t0,
      netCpuMs: cpuNet - cpu0,
    };
  } finally {
    await execa('ip', ['-batch', '-'], { input: all.map((ns) => `netns del ${ns}`).join('\n') + '\n', reject: false });
  }
}

/** A figure against its goal (`<= n`), with MISSED when it is not met. */
function goalFigure(report: BenchReport, label: string, value: number, unit: string, max: number): void {
  report.figure(label, value, unit, { goal: `<= ${max}`, note: value > max ? 'MISSED' : '' });
}

function reportUp(
  report: BenchReport,
  label: string,
  r: { first: UpReport; second: UpReport; cpuMs: number; secondCpuMs: number },
  maxMs?: number,
): void {
  if (maxMs) goalFigure(report, `${label}: up`, r.first.totalMs, 'ms', maxMs);
  else report.figure(`${label}: up`, r.first.totalMs, 'ms');
  report.figure(`${label}:   CPU used by up (kubewire + helpers)`, r.cpuMs, 'ms', {
    note: 'wall time on an idle machine is bounded below by CPU / cores',
  });
  for (const p of r.first.phases)
    report.figure(`${label}:   phase ${p.name}`, p.ms, 'ms', {
      note: p.name === 'pods' ? 'overlaps underlay and nodes+cloud' : '',
    });
  goalFigure(report, `${label}: second up (converged, no change)`, r.second.totalMs, 'ms', 300);
  report.figure(`${label}:   CPU used by the second up`, r.secondCpuMs, 'ms');
  const skipped = Object.values(r.second.converged).reduce((a, b) => a + b, 0);
  report.log(`${label}: second up answered ${skipped} helper calls from the kernel's state (rtnetlink, iptables-save)`);
}

export async function run(report: BenchReport): Promise<void> {
  const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  report.log(
    `machine: ${(await import('node:os')).cpus().length} cores, load average (uptime) ${load()}, concurrency ${CONCURRENCY}`,
  );

  const articleFile = defaultTopology();
  const articleYaml = readFileSync(articleFile, 'utf8');
  const article = await timedUp(articleYaml, articleFile);
  // The kubia pods are the cluster's (topology objects); up builds the static ones (tools, web).
  const staticPods = parseTopology(articleYaml, articleFile).nodes.reduce((n, x) => n + x.pods.length, 0);
  reportUp(report, `article (6 nodes, ${staticPods} static pods)`, article, 1000);
  const articleFloor = await floor(parseTopology(articleYaml, articleFile));
  report.figure('article: ip -batch floor', articleFloor.totalMs, 'ms');
  report.figure('article: ip -batch floor CPU', articleFloor.cpuMs, 'ms');
  report.figure('article: up / floor', article.first.totalMs / articleFloor.totalMs, 'x');
  report.figure("article: ip -batch floor of up's own work (no pod links)", articleFloor.netMs, 'ms');
  report.figure("article: ip -batch floor of up's own work, CPU", articleFloor.netCpuMs, 'ms');
  goalFigure(
    report,
    'article: up CPU / floor CPU (same work)',
    article.cpuMs / Math.max(articleFloor.netCpuMs, 10),
    'x',
    3,
  );
  report.figure('article: second up / floor (same work)', article.second.totalMs / articleFloor.netMs, 'x');
  report.log(`load average (uptime) after the article runs: ${load()}`);

  const gridYaml = gridTopology(20, 10);
  const grid = await timedUp(gridYaml, 'grid-20x10.yaml');
  reportUp(report, '20 nodes x 10 pods', grid);
  const gridFloor = await floor(parseTopology(gridYaml, 'grid-20x10.yaml'));
  report.figure('20x10: ip -batch floor (total)', gridFloor.totalMs, 'ms');
  report.figure('20x10: ip -batch floor (pod links only)', gridFloor.podsMs, 'ms');
  report.figure('20x10: ip -batch floor CPU', gridFloor.cpuMs, 'ms');
  report.figure('20x10: up CPU / floor CPU', grid.cpuMs / gridFloor.cpuMs, 'x');
  report.figure(
    '20x10: up / floor (floor includes 200 pod links up no longer makes)',
    grid.first.totalMs / gridFloor.totalMs,
    'x',
  );
  report.figure("20x10: ip -batch floor of up's own work (no pod links)", gridFloor.netMs, 'ms');
  goalFigure(report, '20x10: up / floor (same work)', grid.first.totalMs / gridFloor.netMs, 'x', 1.5);
  report.log(`load average (uptime) at the end: ${load()}`);
}
