// kube-proxy sync time: 1,000 Services × 10 endpoints written into one node namespace (full
// sync), then one Service losing an endpoint (partial sync), for each backend: nftables mode
// (`nft -f`), iptables mode through iptables-nft and through iptables-legacy. Generation and the
// write are timed apart, with the write's own CPU, and next to the floor: the same transaction
// given to `nft -f` by hand. Goals (issue 13, 2 cores): full ≤ 700 ms, one-service change ≤ 50 ms.
import type { BenchReport } from './main.js';
import { execa } from 'execa';
import { loadavg } from 'node:os';
import type { IptablesRestorer } from '../cluster/proxy/iptables-restorer.js';
import {
  HostDriverIptablesRestorer,
  restoreArgs,
  restoreInput,
  type IptablesVariant,
} from '../cluster/proxy/netns-iptables-restorer.js';
import { Proxier, type SyncReport } from '../cluster/proxy/proxier.js';
import { LIST_NAMES_INPUT, parseNftListing, type NftApplier } from '../cluster/proxy/nftables/nft-applier.js';
import { NftProxier } from '../cluster/proxy/nftables/nft-proxier.js';
import type { ProxyBackend } from '../cluster/proxy/proxy-backend.js';
import { endpointSlice, service } from '../test/support/proxy-objects.js';
import { NetnsLab } from '../test/support/netns-lab.js';
import { NetnsDriver } from '../runtime/host/netns-driver.js';

export const name = 'proxy';

const SERVICES = 1000;
const ENDPOINTS = 10;
const FULL_GOAL_MS = 700;
const PARTIAL_GOAL_MS = 50;

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
 * The same restore as HostDriverIptablesRestorer, run under /usr/bin/time so the bench also reports the
 * CPU it took: on this shared 2-core machine wall time swings with other sessions' load.
 */
class CpuTimedRestorer implements IptablesRestorer {
  lastCpuMs = 0;
  private readonly plain: HostDriverIptablesRestorer;
  constructor(private readonly variant: IptablesVariant) {
    this.plain = new HostDriverIptablesRestorer(new NetnsDriver('/nonexistent-no-scripts-needed'), variant);
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

/** `nft -f -` in the namespace under /usr/bin/time, as HostDriverNftApplier runs it. */
export async function timedNft(netns: string, input: string): Promise<{ wallMs: number; cpuMs: number }> {
  const t0 = performance.now();
  const r = await execa('ip', ['netns', 'exec', netns, '/usr/bin/time', '-f', 'KWCPU %U %S', 'nft', '-f', '-'], {
    input,
    reject: false,
  });
  const wallMs = performance.now() - t0;
  const m = /KWCPU ([\d.]+) ([\d.]+)/.exec(r.stderr);
  if (r.exitCode !== 0 || !m) throw new Error(`nft -f in ${netns} failed: ${r.stderr}`);
  return { wallMs, cpuMs: (Number(m[1]) + Number(m[2])) * 1000 };
}

class CpuTimedNft implements NftApplier {
  lastCpuMs = 0;
  async apply(netns: string, text: string): Promise<void> {
    this.lastCpuMs = (await timedNft(netns, text)).cpuMs;
  }
  async list(): Promise<string> {
    throw new Error('not used by the proxier');
  }
  async listNames(netns: string): Promise<{ chains: string[]; sets: string[] }> {
    const r = await execa('ip', ['netns', 'exec', netns, 'nft', '-f', '-'], { input: LIST_NAMES_INPUT });
    return parseNftListing(r.stdout);
  }
}

async function timedSync(
  proxier: ProxyBackend,
  restorer: { lastCpuMs: number },
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
  nft = false,
): number {
  const { r } = t;
  const total = r.saveMs + r.renderMs + r.restoreMs;
  report.figure(`${label}: generate rules`, r.renderMs, 'ms', {
    note: `(CPU ${t.renderCpuMs.toFixed(0)} ms incl. spawning)`,
  });
  if (r.full)
    report.figure(
      nft ? `${label}: list chains and sets` : `${label}: iptables-save (stale chains, jump rules)`,
      r.saveMs,
      'ms',
    );
  report.figure(nft ? `${label}: nft -f` : `${label}: iptables-restore`, r.restoreMs, 'ms', {
    note: `(CPU ${t.restoreCpuMs.toFixed(0)} ms)`,
  });
  report.figure(`${label}: total`, total, 'ms', { goal: `≤ ${goalMs} ms`, note: total <= goalMs ? 'met' : 'MISSED' });
  report.log(
    `${label}: ${r.servicesWritten} services written, ${r.natChainsWritten} ${nft ? '' : 'nat '}chains, ${r.staleChainsDeleted} deleted${r.sharedChainsWritten.length ? `, ${r.sharedChainsWritten.join(', ')}` : ''}, ${(r.bytes / 1024).toFixed(0)} KiB of input`,
  );
  return total;
}

function fillServices(proxier: ProxyBackend): void {
  for (let i = 0; i < SERVICES; i++) {
    // Every tenth Service is a NodePort, as in a cluster with some exposed apps.
    const nodePort = i % 10 === 0 ? { type: 'NodePort' as const, nodePort: 30000 + i } : {};
    proxier.onServiceUpsert(service({ name: `svc-${i}`, clusterIP: serviceIP(i), port: 8080, ...nodePort }));
    proxier.onEndpointSliceUpsert(slice(i));
  }
}

/** nftables mode: our proxier, and the floor (the same transactions through `nft -f` alone). */
async function nftScenario(report: BenchReport, lab: NetnsLab): Promise<void> {
  const netns = await lab.addNamespace('bench-nftables');
  const nft = new CpuTimedNft();
  const proxier = new NftProxier({
    netns,
    nft,
    clock: { now: () => performance.now() },
    config: { nodeName: 'node1', clusterCIDR: '192.168.128.0/18' },
  });
  fillServices(proxier);
  const full = await timedSync(proxier, nft);
  const fullText = proxier.lastRestoreText();
  report.log(
    `[nftables] ${full.r.services} services, ${full.r.endpoints} endpoints; load average ${loadavg()[0]!.toFixed(1)} on this machine`,
  );
  const fullMs = figures(report, '[nftables] full sync (fresh node)', full, FULL_GOAL_MS, true);
  proxier.onEndpointSliceUpsert(slice(500, ENDPOINTS - 1));
  const partial = await timedSync(proxier, nft);
  const partialText = proxier.lastRestoreText();
  const partialMs = figures(report, '[nftables] one-service change (partial sync)', partial, PARTIAL_GOAL_MS, true);
  proxier.onServiceUpsert(service({ name: 'svc-new', clusterIP: '192.168.197.250', port: 8080 }));
  proxier.onEndpointSliceUpsert(endpointSlice({ service: 'svc-new', port: 8080, endpoints: [podIP(10_001)] }));
  figures(
    report,
    '[nftables] new service (one map element added)',
    await timedSync(proxier, nft),
    PARTIAL_GOAL_MS,
    true,
  );
  proxier.forceFullSync();
  figures(report, '[nftables] full sync (rules already there)', await timedSync(proxier, nft), FULL_GOAL_MS, true);

  // The floor, same run: the same full transaction into a fresh namespace by `nft -f` alone, and
  // the same partial one (against the same full table), no kubewire code in between.
  const floorNs = await lab.addNamespace('bench-nft-floor');
  const floorFull = await timedNft(floorNs, fullText);
  const floorPartial = await timedNft(floorNs, partialText);
  const floorEmpty = await timedNft(floorNs, '\n');
  report.figure('[nftables] floor: nft -f of the same full transaction', floorFull.wallMs, 'ms', {
    note: `(CPU ${floorFull.cpuMs.toFixed(0)} ms; ours ${(fullMs / floorFull.wallMs).toFixed(2)}× the floor)`,
  });
  report.figure('[nftables] floor: nft -f of the same partial transaction', floorPartial.wallMs, 'ms', {
    note: `(CPU ${floorPartial.cpuMs.toFixed(0)} ms; ours ${(partialMs / floorPartial.wallMs).toFixed(2)}× the floor)`,
  });
  report.figure('[nftables] floor: ip netns exec nft -f of an empty input', floorEmpty.wallMs, 'ms', {
    note: `(CPU ${floorEmpty.cpuMs.toFixed(0)} ms: the cost of one process)`,
  });
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
  fillServices(proxier);
  const tag = variant === 'iptables' ? 'iptables-nft' : 'iptables-legacy';
  const full = await timedSync(proxier, restorer);
  report.log(
    `[${tag}] ${full.r.services} services, ${full.r.endpoints} endpoints (large-cluster mode: ${full.r.largeClusterMode}); load average ${loadavg()[0]!.toFixed(1)} on this machine`,
  );
  figures(report, `[${tag}] full sync (fresh node)`, full, FULL_GOAL_MS);
  proxier.onEndpointSliceUpsert(slice(500, ENDPOINTS - 1));
  figures(report, `[${tag}] one-service change (partial sync)`, await timedSync(proxier, restorer), PARTIAL_GOAL_MS);
  // A new Service: KUBE-SERVICES (about 1,100 rules) is rewritten whole, as kube-proxy does.
  proxier.onServiceUpsert(service({ name: 'svc-new', clusterIP: '192.168.197.250', port: 8080 }));
  proxier.onEndpointSliceUpsert(endpointSlice({ service: 'svc-new', port: 8080, endpoints: [podIP(10_001)] }));
  figures(
    report,
    `[${tag}] new service (KUBE-SERVICES rewritten)`,
    await timedSync(proxier, restorer),
    PARTIAL_GOAL_MS,
  );
  if (fullAgain) {
    proxier.forceFullSync();
    figures(report, `[${tag}] full sync (rules already there)`, await timedSync(proxier, restorer), FULL_GOAL_MS);
  }
}

export async function run(report: BenchReport): Promise<void> {
  const lab = new NetnsLab();
  try {
    // nftables mode: kube-proxy's own table, verdict maps, partial transactions.
    if (!process.env.KUBEWIRE_BENCH_PROXY || process.env.KUBEWIRE_BENCH_PROXY.includes('nftables'))
      await nftScenario(report, lab);
    if (process.env.KUBEWIRE_BENCH_PROXY && !process.env.KUBEWIRE_BENCH_PROXY.includes('iptables')) return;
    // The system iptables (nf_tables on Debian 12): what the lab uses and a learner sees.
    await scenario(report, lab, 'iptables', true);
    // The same rules through legacy x_tables, for comparison (same input text, same namespace setup).
    await scenario(report, lab, 'iptables-legacy', true);
  } finally {
    await lab.dispose();
  }
}
