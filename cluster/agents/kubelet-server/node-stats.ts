// The kubelet's resource figures (/stats/summary in stats/v1alpha1 form and /metrics/resource in
// Prometheus text, what metrics-server scrapes): CPU time and resident memory of each container's
// process tree, read from /proc (utime+stime, RSS). The lab's containers have no cgroup of their
// own, so a container's usage is its process and all its descendants; a pod's is the sum of its
// containers plus its pause; the node's is the sum of its pods.
import { readdir, readFile } from 'node:fs/promises';

export interface StatsTarget {
  namespace: string;
  pod: string;
  uid: string;
  startTime: number;
  sandboxPid?: number;
  containers: { name: string; pid: number; startTime: number }[];
}

interface Usage {
  cpuSeconds: number;
  memoryBytes: number;
}

const TICKS = 100;
const PAGE = 4096;

async function processTable(): Promise<Map<number, { ppid: number; cpu: number; rss: number }>> {
  const out = new Map<number, { ppid: number; cpu: number; rss: number }>();
  const names = await readdir('/proc');
  await Promise.all(
    names
      .filter((n) => /^\d+$/.test(n))
      .map(async (n) => {
        const text = await readFile(`/proc/${n}/stat`, 'utf8').catch(() => '');
        const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
        if (rest.length < 22) return;
        out.set(Number(n), {
          ppid: Number(rest[1]),
          cpu: (Number(rest[11]) + Number(rest[12])) / TICKS,
          rss: Number(rest[21]) * PAGE,
        });
      }),
  );
  return out;
}

function treeUsage(
  root: number,
  table: Map<number, { ppid: number; cpu: number; rss: number }>,
  children: Map<number, number[]>,
): Usage {
  const u = { cpuSeconds: 0, memoryBytes: 0 };
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    const p = table.get(pid);
    if (!p) continue;
    u.cpuSeconds += p.cpu;
    u.memoryBytes += p.rss;
    stack.push(...(children.get(pid) ?? []));
  }
  return u;
}

export interface PodUsage {
  target: StatsTarget;
  pod: Usage;
  containers: { name: string; startTime: number; usage: Usage }[];
}

export class NodeStats {
  constructor(
    private readonly nodeName: string,
    private readonly targets: () => StatsTarget[],
    private readonly started = Date.now(),
  ) {}

  async sample(): Promise<{ at: number; node: Usage; pods: PodUsage[] }> {
    const table = await processTable();
    const children = new Map<number, number[]>();
    for (const [pid, p] of table) children.set(p.ppid, [...(children.get(p.ppid) ?? []), pid]);
    const pods = this.targets().map((t) => {
      const containers = t.containers
        .filter((c) => c.pid > 1)
        .map((c) => ({ name: c.name, startTime: c.startTime, usage: treeUsage(c.pid, table, children) }));
      const pause = t.sandboxPid ? table.get(t.sandboxPid) : undefined;
      const pod = containers.reduce(
        (a, c) => ({ cpuSeconds: a.cpuSeconds + c.usage.cpuSeconds, memoryBytes: a.memoryBytes + c.usage.memoryBytes }),
        { cpuSeconds: pause?.cpu ?? 0, memoryBytes: pause?.rss ?? 0 },
      );
      return { target: t, pod, containers };
    });
    const node = pods.reduce(
      (a, p) => ({ cpuSeconds: a.cpuSeconds + p.pod.cpuSeconds, memoryBytes: a.memoryBytes + p.pod.memoryBytes }),
      { cpuSeconds: 0, memoryBytes: 0 },
    );
    return { at: Date.now(), node, pods };
  }

  async summary(): Promise<unknown> {
    const s = await this.sample();
    const time = new Date(s.at).toISOString();
    const cpu = (u: Usage) => ({ time, usageCoreNanoSeconds: Math.round(u.cpuSeconds * 1e9) });
    const mem = (u: Usage) => ({
      time,
      workingSetBytes: u.memoryBytes,
      rssBytes: u.memoryBytes,
      usageBytes: u.memoryBytes,
    });
    return {
      node: {
        nodeName: this.nodeName,
        startTime: new Date(this.started).toISOString(),
        cpu: cpu(s.node),
        memory: mem(s.node),
      },
      pods: s.pods.map((p) => ({
        podRef: { name: p.target.pod, namespace: p.target.namespace, uid: p.target.uid },
        startTime: new Date(p.target.startTime).toISOString(),
        containers: p.containers.map((c) => ({
          name: c.name,
          startTime: new Date(c.startTime).toISOString(),
          cpu: cpu(c.usage),
          memory: mem(c.usage),
        })),
        cpu: cpu(p.pod),
        memory: mem(p.pod),
      })),
    };
  }

  async resourceMetrics(): Promise<string> {
    const s = await this.sample();
    const ts = s.at;
    const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
    const lines = [
      '# HELP node_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the node in core-seconds',
      '# TYPE node_cpu_usage_seconds_total counter',
      `node_cpu_usage_seconds_total ${s.node.cpuSeconds} ${ts}`,
      '# HELP node_memory_working_set_bytes [STABLE] Current working set of the node in bytes',
      '# TYPE node_memory_working_set_bytes gauge',
      `node_memory_working_set_bytes ${s.node.memoryBytes} ${ts}`,
      '# HELP container_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the container in core-seconds',
      '# TYPE container_cpu_usage_seconds_total counter',
      ...s.pods.flatMap((p) =>
        p.containers.map(
          (c) =>
            `container_cpu_usage_seconds_total{container="${esc(c.name)}",namespace="${esc(p.target.namespace)}",pod="${esc(p.target.pod)}"} ${c.usage.cpuSeconds} ${ts}`,
        ),
      ),
      '# HELP container_memory_working_set_bytes [STABLE] Current working set of the container in bytes',
      '# TYPE container_memory_working_set_bytes gauge',
      ...s.pods.flatMap((p) =>
        p.containers.map(
          (c) =>
            `container_memory_working_set_bytes{container="${esc(c.name)}",namespace="${esc(p.target.namespace)}",pod="${esc(p.target.pod)}"} ${c.usage.memoryBytes} ${ts}`,
        ),
      ),
      '# HELP pod_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the pod in core-seconds',
      '# TYPE pod_cpu_usage_seconds_total counter',
      ...s.pods.map(
        (p) =>
          `pod_cpu_usage_seconds_total{namespace="${esc(p.target.namespace)}",pod="${esc(p.target.pod)}"} ${p.pod.cpuSeconds} ${ts}`,
      ),
      '# HELP pod_memory_working_set_bytes [STABLE] Current working set of the pod in bytes',
      '# TYPE pod_memory_working_set_bytes gauge',
      ...s.pods.map(
        (p) =>
          `pod_memory_working_set_bytes{namespace="${esc(p.target.namespace)}",pod="${esc(p.target.pod)}"} ${p.pod.memoryBytes} ${ts}`,
      ),
    ];
    return lines.join('\n') + '\n';
  }
}
