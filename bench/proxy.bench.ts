// kube-proxy sync time: 1,000 Services × 10 endpoints written into one node namespace with one
// iptables-restore (full sync), then one Service losing an endpoint (partial sync). Generation and
// restore are timed apart. Goals (issue 5, 2 cores): full ≤ 1 s, one-service change ≤ 100 ms.
import type { BenchReport } from './main.js';
import { execa } from 'execa';
import { loadavg } from 'node:os';
import type { IptablesRestorer } from '../cluster/proxy/iptables-restorer.js';
import {
  NetnsIptablesRestorer,
  restoreArgs,
  restoreInput,
  type IptablesVariant,
} from '../cluster/proxy/netns-iptables-restorer.js';
import { Proxier, type SyncReport } from '../cluster/proxy/proxier.js';
import { endpointSlice, service } from '../test/support/proxy-objects.js';
import { NetnsLab } from '../test/support/netns-lab.js';

export const name = 'proxy';

const SERVICES = 1000;
const ENDPOINTS = 10;

function podIP(i: number): string {
  // 10,000 pod addresses inside 192.168.128.0/18.
  return `192.168.${128 + Math.floor(i / 250)}.${(i % 250) + 2}`;
}

function serviceIP(i: number): string {
  return `192.168.${193 + Math.floor(i / 250)}.${(i % 250) + 2}`;
}

function slice(i: number, count = ENDPOINTS) {
  return endpointSlice({
    service: `svc-${i}`,
    port: 8080,
    endpoints: Array.from({ length: count }, (_, j) => ({
      ip: podIP(i * ENDPOINTS + j),
      nodeName: `node${(j % 6) + 1}`,
    })),
  });
}

/**
 * The same restore as NetnsIptablesRestorer, run under /usr/bin/time so the bench also reports the
 * CPU it took: on this shared 2-core machine wall time swings with other sessions' load.
 */
class CpuTimedRestorer implements IptablesRestorer {
  lastCpuMs = 0;
  private readonly plain: NetnsIptablesRestorer;
  constructor(private readonly variant: IptablesVariant) {
    this.plain = new NetnsIptablesRestorer(variant);
  }
  async restore(netns: string, text: string): Promise<void> {
    const r = await execa(
      'ip',
      ['netns', 'exec', netns, '/usr/bin/time', '-f', 'KWCPU %U %S', ...restoreArgs(this.variant)],
      {
        input: restoreInput(this.variant, text),
        stdout: 'ignore',
        reject: false,
      },
    );
    const m = /KWCPU ([\d.]+) ([\d.]+)/.exec(r.stderr);
    if (r.exitCode !== 0 || !m) throw new Error(`iptables-restore in ${netns} failed: ${r.stderr}`);
    this.lastCpuMs = (Number(m[1]) + Number(m[2])) * 1000;
  }
  save(netns: string): Promise<string> {
    return this.plain.save(netns);
  }
}

async function timedSync(
  proxier: Proxier,
  restorer: CpuTimedRestorer,
): Promise<{ r: SyncReport; renderCpuMs: number; restoreCpuMs: number }> {
  const before = process.cpuUsage();
  const r = await proxier.sync();
  const used = process.cpuUsage(before);
  // This process's CPU during the sync: rendering, plus spawning the children (small).
  return { r, renderCpuMs: (used.user + used.system) / 1000, restoreCpuMs: restorer.lastCpuMs };
}

function figures(
  report: BenchReport,
  label: string,
  t: { r: SyncReport; renderCpuMs: number; restoreCpuMs: number },
  goalMs: number,
): void {
  const { r } = t;
  const total = r.saveMs + r.renderMs + r.restoreMs;
  report.figure(`${label}: generate rules`, r.renderMs, 'ms', {
    note: `(CPU ${t.renderCpuMs.toFixed(0)} ms incl. spawning)`,
  });
  if (r.full) report.figure(`${label}: iptables-save (stale chains, jump rules)`, r.saveMs, 'ms');
  report.figure(`${label}: iptables-restore`, r.restoreMs, 'ms', { note: `(CPU ${t.restoreCpuMs.toFixed(0)} ms)` });
  report.figure(`${label}: total`, total, 'ms', { goal: `≤ ${goalMs} ms`, note: total <= goalMs ? 'met' : 'MISSED' });
  report.log(
    `${label}: ${r.servicesWritten} services written, ${r.natChainsWritten} nat chains, ${r.staleChainsDeleted} deleted, ${(r.bytes / 1024).toFixed(0)} KiB of restore input`,
  );
}

async function scenario(
  report: BenchReport,
  lab: NetnsLab,
  variant: IptablesVariant,
  fullAgain: boolean,
): Promise<void> {
  const netns = await lab.addNamespace(`bench-${variant === 'iptables' ? 'nft' : 'legacy'}`);
  const restorer = new CpuTimedRestorer(variant);
  const proxier = new Proxier({
    netns,
    restorer,
    clock: { now: () => performance.now() },
    config: { nodeName: 'node1', clusterCIDR: '192.168.128.0/18' },
  });
  for (let i = 0; i < SERVICES; i++) {
    // Every tenth Service is a NodePort, as in a cluster with some exposed apps.
    const nodePort = i % 10 === 0 ? { type: 'NodePort' as const, nodePort: 30000 + i } : {};
    proxier.onServiceUpsert(service({ name: `svc-${i}`, clusterIP: serviceIP(i), port: 8080, ...nodePort }));
    proxier.onEndpointSliceUpsert(slice(i));
  }
  const tag = variant === 'iptables' ? 'nft' : 'legacy';
  const full = await timedSync(proxier, restorer);
  report.log(
    `[${tag}] ${full.r.services} services, ${full.r.endpoints} endpoints (large-cluster mode: ${full.r.largeClusterMode}); load average ${loadavg()[0]!.toFixed(1)} on this machine`,
  );
  figures(report, `[${tag}] full sync (fresh node)`, full, 1000);
  proxier.onEndpointSliceUpsert(slice(500, ENDPOINTS - 1));
  figures(report, `[${tag}] one-service change (partial sync)`, await timedSync(proxier, restorer), 100);
  // A new Service: KUBE-SERVICES (about 1,100 rules) is rewritten whole, as kube-proxy does.
  proxier.onServiceUpsert(service({ name: 'svc-new', clusterIP: '192.168.197.250', port: 8080 }));
  proxier.onEndpointSliceUpsert(endpointSlice({ service: 'svc-new', port: 8080, endpoints: [podIP(10_001)] }));
  figures(report, `[${tag}] new service (KUBE-SERVICES rewritten)`, await timedSync(proxier, restorer), 100);
  if (fullAgain) {
    proxier.forceFullSync();
    figures(report, `[${tag}] full sync (rules already there)`, await timedSync(proxier, restorer), 1000);
  }
}

export async function run(report: BenchReport): Promise<void> {
  const lab = new NetnsLab();
  try {
    // The system iptables (nf_tables on Debian 12): what the lab uses and a learner sees.
    await scenario(report, lab, 'iptables', true);
    // The same rules through legacy x_tables, for comparison (same input text, same namespace setup).
    await scenario(report, lab, 'iptables-legacy', true);
  } finally {
    await lab.dispose();
  }
}
