// Path tracer on the article's lab (six nodes, seven pods, gateway, Internet), built by the runtime
// with a throwaway prefix: time to derive a path from the kernel (fresh reads each time), to trace
// and probe, and to capture on every hop while the probe runs. Baseline in the same run: a bare
// `traceroute -n` between the same pods (what the kernel answers by sending packets).
import { readFileSync } from 'node:fs';
import { CaptureStore } from '../server/path/capture-store.js';
import { PathService } from '../server/path/path-service.js';
import { LabNamespaces } from '../server/lab-namespaces.js';
import { runCommand } from '../server/run-command.js';
import { defaultTopology } from '../runtime/project-root.js';
import { TestLab } from '../test/integration/runtime/harness.js';
import type { BenchReport } from './main.js';

export const name = 'path';

const RUNS = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

export async function run(report: BenchReport): Promise<void> {
  if (process.getuid?.() !== 0) return report.log('skipped: needs root (namespaces)');
  const lab = new TestLab(readFileSync(defaultTopology(), 'utf8'), 'article.yaml');
  const captures = new CaptureStore({ now: () => performance.now(), keep: 2, log: () => {} });
  try {
    const t0 = performance.now();
    await lab.upWithPods();
    report.log(`article lab up in ${Math.round(performance.now() - t0)} ms (prefix ${lab.prefix})`);
    const namespaces = new LabNamespaces(lab.prefix, { netnsDir: '/run/netns', procDir: '/proc', run: runCommand });
    const tracer = new PathService({ namespaces, run: runCommand, captures, now: () => performance.now() });
    // Static pods only (no cluster here): tools on node5, web on node1.
    const source = lab.pod('tools'); // node5, 192.168.132.100
    const dst = '192.168.128.10'; // the web pod on node1

    const traceroute: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const s = performance.now();
      await runCommand(['ip', 'netns', 'exec', source, 'traceroute', '-n', '-q', '1', '-w', '1', '-m', '5', dst]);
      traceroute.push(performance.now() - s);
    }
    const derive: number[] = [];
    let hops = 0;
    for (let i = 0; i < RUNS; i++) {
      const t = await tracer.trace({ source, destination: dst, probe: false });
      derive.push(t.timing.deriveMs);
      hops = t.hops.length;
    }
    const byName: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const s = performance.now();
      await tracer.trace({ source: lab.pod('tools'), destination: 'google.com:80', probe: false });
      byName.push(performance.now() - s);
    }
    const probed: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const s = performance.now();
      await tracer.trace({ source, destination: dst, probe: true });
      probed.push(performance.now() - s);
    }
    const cap = await tracer.capture({ source, destination: dst, packets: 20, seconds: 5 });

    report.figure(`baseline: traceroute -n pod → pod across nodes (median of ${RUNS})`, median(traceroute), 'ms');
    report.figure(`derive pod → pod across nodes, ${hops} hops (median of ${RUNS})`, median(derive), 'ms', {
      note: `ratio to traceroute ${(median(derive) / median(traceroute)).toFixed(2)}`,
    });
    report.figure(`derive pod → google.com:80 incl. dig in the pod (median)`, median(byName), 'ms');
    report.figure(`trace + probe (ping, traceroute, compare) (median)`, median(probed), 'ms');
    report.figure(`capture: ${cap.files.length} tcpdumps listening`, cap.timing.startMs, 'ms');
    report.figure('capture: probe while capturing', cap.timing.probeMs, 'ms');
    report.figure('capture + probe total (derive, start, probe, stop, count)', cap.timing.totalMs, 'ms', {
      note: `${cap.files.reduce((a, f) => a + f.packets, 0)} packets in ${cap.files.length} files`,
    });
  } finally {
    await captures.dispose();
    await lab.cleanup();
  }
}
