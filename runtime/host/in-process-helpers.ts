// The network helpers of native-scripts/ done in this process when the lab lives on this machine:
// bridge.sh, attach.sh, vxlan.sh, vxlan-peers.sh, addrs.sh, proto-route.sh and the setup half of netns-up.sh over
// rtnetlink sockets opened inside each namespace (runtime/kernel/rtnl-writer.ts), and
// iptables-apply.sh as one iptables-restore per namespace for every chain asked for in the same
// turn of the event loop, forked inside the namespace (no bash, ip, nsenter or iptables -C chain per
// call). Same arguments, same validation, same check-then-act and the same JSON answer as the
// scripts, which stay the reference (and what an SSH driver runs). The profile of `up` this
// replaces: ~190 processes (bash, ip, nsenter, sysctl, iptables) for the article lab.
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseIptablesSave, savedRuleSets } from '../../common/iptables-save.js';
import { isIpv4 } from '../../common/net/ipv4.js';
import { isInterfaceName, isLabNamespace } from '../../common/names.js';
import { lightRun, lightSpawnAvailable } from '../kernel/light-spawn.js';
import { withNetns } from '../kernel/netns-enter.js';
import { inNamespace, RtnlWriter } from '../kernel/rtnl-writer.js';
import { HelperError } from './helper-error.js';
import { runQuick } from './spawn.js';

const RE_MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const RE_UINT = /^[0-9]{1,10}$/;
const NETNS_DIR = '/run/netns';

export type Json = Record<string, unknown>;

class Bad extends Error {}

function ifname(v: string | undefined): string {
  if (v === undefined || !isInterfaceName(v)) throw new Bad(`invalid interface name: '${v ?? ''}'`);
  return v;
}
function netns(v: string | undefined): string {
  if (v === undefined || !isLabNamespace(v)) throw new Bad(`invalid namespace name: '${v ?? ''}'`);
  return v;
}
function ipv4(v: string | undefined): string {
  if (v === undefined || !isIpv4(v)) throw new Bad(`invalid IPv4 address: '${v ?? ''}'`);
  return v;
}
function mac(v: string | undefined): string {
  if (v === undefined || !RE_MAC.test(v)) throw new Bad(`invalid MAC address: '${v ?? ''}'`);
  return v;
}
function uint(v: string | undefined, min: number, max: number, what: string): number {
  if (v === undefined || !RE_UINT.test(v)) throw new Bad(`invalid ${what}: '${v ?? ''}'`);
  const n = Number(v);
  if (n < min || n > max) throw new Bad(`${what} out of range ${min}..${max}: '${v}'`);
  return n;
}
function cidr(v: string | undefined): string {
  if (v === undefined || !v.includes('/')) throw new Bad(`invalid CIDR (no /len): '${v ?? ''}'`);
  const [ip, len] = [v.slice(0, v.lastIndexOf('/')), v.slice(v.lastIndexOf('/') + 1)];
  ipv4(ip);
  uint(len, 0, 32, 'prefix length');
  return v;
}
function needNetns(ns: string): void {
  if (!existsSync(join(NETNS_DIR, ns))) throw new Bad(`namespace ${ns} does not exist`);
}

/** bridge.sh NS BR MTU [CIDR] [--mac MAC] */
async function bridge(args: readonly string[]): Promise<Json> {
  if (args.length < 3 || args.length > 6) throw new Bad('usage: bridge.sh NS BR MTU [CIDR] [--mac MAC]');
  const [nsArg, brArg, mtuArg, ...rest] = args;
  let c: string | undefined;
  let m: string | undefined;
  if (rest.length && !rest[0]!.startsWith('--')) c = rest.shift();
  if (rest.length) {
    if (rest[0] !== '--mac' || rest.length !== 2) throw new Bad(`unknown option '${rest[0]}'`);
    m = mac(rest[1]);
  }
  const ns = netns(nsArg);
  const br = ifname(brArg);
  const mtu = uint(mtuArg, 576, 9000, 'MTU');
  if (c) cidr(c);
  needNetns(ns);
  return inNamespace(ns, async (w) => {
    let created = false;
    if ((await w.ifindex(br)) === undefined) {
      await w.addBridge(br, mtu);
      created = true;
    }
    // Set explicitly, a bridge keeps its MAC instead of taking its lowest port's.
    if (m) await w.setLink(br, { mac: m });
    if (c) await w.replaceAddress(c, br);
    await w.setLink(br, { up: true });
    return { created };
  });
}

/** attach.sh NS IF PEER_NS PEER_IF MTU [--addr C] [--mac M] [--peer-master BR] [--peer-addr C] [--route D V]... */
async function attach(args: readonly string[]): Promise<Json> {
  if (args.length < 5) throw new Bad('usage: attach.sh NS IF PEER_NS PEER_IF MTU [options]');
  const ns = netns(args[0]);
  const ifn = ifname(args[1]);
  const peerNs = netns(args[2]);
  const peerIf = ifname(args[3]);
  const mtu = uint(args[4], 576, 9000, 'MTU');
  let addr: string | undefined, m: string | undefined, peerMaster: string | undefined, peerAddr: string | undefined;
  const routes: { dst: string; via: string }[] = [];
  for (let i = 5; i < args.length;) {
    const o = args[i]!;
    if (o === '--addr') addr = cidr(args[i + 1]);
    else if (o === '--mac') m = mac(args[i + 1]);
    else if (o === '--peer-addr') peerAddr = cidr(args[i + 1]);
    else if (o === '--peer-master') peerMaster = ifname(args[i + 1]);
    else if (o === '--route') {
      const dst = args[i + 1];
      if (dst !== 'default') cidr(dst);
      routes.push({ dst: dst!, via: ipv4(args[i + 2]) });
      i += 3;
      continue;
    } else throw new Bad(`unknown option '${o}'`);
    i += 2;
  }
  needNetns(ns);
  needNetns(peerNs);
  const a = RtnlWriter.open(ns);
  const b = RtnlWriter.open(peerNs);
  try {
    let created = false;
    const hasA = (await a.ifindex(ifn)) !== undefined;
    const hasB = (await b.ifindex(peerIf)) !== undefined;
    if (!(hasA && hasB)) {
      // A lone end cannot exist for a veth (deleting one end deletes both), but a same-named device
      // of another kind could: remove it so the pair below can be made.
      if (hasA) await a.deleteLink(ifn);
      if (hasB && (await b.ifindex(peerIf)) !== undefined) await b.deleteLink(peerIf).catch(() => undefined);
      await a.addVeth(ifn, mtu, peerIf, peerNs);
      created = true;
    }
    if (m) await a.setLink(ifn, { mac: m });
    if (addr) await a.replaceAddress(addr, ifn);
    await a.setLink(ifn, { up: true });
    for (const r of routes) await a.replaceRoute({ dst: r.dst, via: r.via, dev: ifn });
    if (peerMaster) await b.setLink(peerIf, { master: peerMaster });
    if (peerAddr) await b.replaceAddress(peerAddr, peerIf);
    await b.setLink(peerIf, { up: true });
    return { created };
  } finally {
    a.close();
    b.close();
  }
}

/** vxlan.sh NS DEV VNI LOCAL_IP UNDERLAY_IF DSTPORT MTU MAC CIDR [--miss] */
async function vxlan(args: readonly string[]): Promise<Json> {
  if (args.length !== 9 && args.length !== 10)
    throw new Bad('usage: vxlan.sh NS DEV VNI LOCAL_IP UNDERLAY_IF DSTPORT MTU MAC CIDR [--miss]');
  const ns = netns(args[0]);
  const dev = ifname(args[1]);
  const vni = uint(args[2], 1, 16777215, 'VNI');
  const local = ipv4(args[3]);
  const lower = ifname(args[4]);
  const port = uint(args[5], 1, 65535, 'UDP port');
  const mtu = uint(args[6], 576, 9000, 'MTU');
  const m = mac(args[7]);
  const c = cidr(args[8]);
  if (args.length === 10 && args[9] !== '--miss') throw new Bad(`unknown option '${args[9]}'`);
  needNetns(ns);
  return inNamespace(ns, async (w) => {
    let created = false;
    if ((await w.ifindex(dev)) === undefined) {
      await w.addVxlan({ name: dev, mac: m, mtu, vni, local, lower, port, miss: args.length === 10 });
      created = true;
    }
    await w.replaceAddress(c, dev);
    await w.setLink(dev, { up: true });
    return { created };
  });
}

/** vxlan-peers.sh NS DEV [SUBNET VTEP_IP MAC UNDERLAY_IP]... */
async function vxlanPeers(args: readonly string[]): Promise<Json> {
  if (args.length < 2 || (args.length - 2) % 4 !== 0)
    throw new Bad('usage: vxlan-peers.sh NS DEV [SUBNET VTEP_IP MAC UNDERLAY_IP]...');
  const ns = netns(args[0]);
  const dev = ifname(args[1]);
  const peers: { subnet: string; vtep: string; mac: string; underlay: string }[] = [];
  for (let i = 2; i < args.length; i += 4)
    peers.push({ subnet: cidr(args[i]), vtep: ipv4(args[i + 1]), mac: mac(args[i + 2]), underlay: ipv4(args[i + 3]) });
  needNetns(ns);
  if (!peers.length) return { peers: 0 };
  await inNamespace(ns, async (w: RtnlWriter) => {
    for (const p of peers) {
      await w.replaceNeighbour(p.vtep, p.mac, dev);
      await w.replaceRoute({ dst: p.subnet, via: p.vtep, dev, onlink: true });
    }
    for (const p of peers) await w.replaceFdb(p.mac, dev, p.underlay);
  });
  return { peers: peers.length };
}

/** addrs.sh NS IF CIDR... */
async function addrs(args: readonly string[]): Promise<Json> {
  if (args.length < 3) throw new Bad('usage: addrs.sh NS IF CIDR...');
  const ns = netns(args[0]);
  const ifn = ifname(args[1]);
  const cidrs = args.slice(2).map(cidr);
  needNetns(ns);
  await inNamespace(ns, async (w) => {
    for (const c of cidrs) await w.replaceAddress(c, ifn);
    await w.setLink(ifn, { up: true });
  });
  return { addresses: cidrs.length };
}

/**
 * The setup half of netns-up.sh for namespaces that exist: loopback up and, with `forward`,
 * net.ipv4.ip_forward=1 written by a thread standing in the namespace (/proc/sys/net is the
 * opening thread's namespace's).
 */
export async function setupNamespaces(nss: readonly string[], forward: boolean): Promise<void> {
  await Promise.all(
    nss.map((ns) =>
      inNamespace(ns, async (w) => {
        await w.setLink('lo', { up: true });
        if (forward)
          withNetns(join(NETNS_DIR, ns), () => {
            if (readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim() !== '1')
              writeFileSync('/proc/sys/net/ipv4/ip_forward', '1\n');
          });
      }),
    ),
  );
}

const IP_PROTOS: Record<string, number> = { tcp: 6, udp: 17 };

/** proto-route.sh NS TABLE DEST_CIDR VIA PROTO... (PROTO: tcp, udp) */
async function protoRoute(args: readonly string[]): Promise<Json> {
  if (args.length < 5) throw new Bad('usage: proto-route.sh NS TABLE DEST_CIDR VIA PROTO...');
  const ns = netns(args[0]);
  const table = uint(args[1], 1, 252, 'routing table');
  const dest = cidr(args[2]);
  const via = ipv4(args[3]);
  const protos = args.slice(4).map((p) => {
    if (!(p in IP_PROTOS)) throw new Bad(`invalid protocol: '${p}'`);
    return p;
  });
  needNetns(ns);
  const [net, len] = dest.split('/') as [string, string];
  return inNamespace(ns, async (w) => {
    await w.replaceTableRoute(dest, via, table);
    const rules = await w.rules();
    const added: string[] = [];
    for (const p of protos) {
      // What `ip rule show to DEST ipproto P lookup TABLE` lists: the script adds the rule when it is empty.
      const has = rules.some(
        (r) => r.dst === net && r.dstLen === Number(len) && r.ipProto === IP_PROTOS[p] && r.table === table,
      );
      if (has || added.includes(p)) continue;
      await w.addRule(dest, IP_PROTOS[p]!, table);
      added.push(p);
    }
    return { rulesAdded: added };
  });
}

const RTNL_HELPERS: Record<string, (args: readonly string[]) => Promise<Json>> = {
  'proto-route.sh': protoRoute,
  'bridge.sh': bridge,
  'attach.sh': attach,
  'vxlan.sh': vxlan,
  'vxlan-peers.sh': vxlanPeers,
  'addrs.sh': addrs,
};

/** Whether `script` has an in-process equivalent here. */
export function hasInProcess(script: string): boolean {
  return script in RTNL_HELPERS;
}

/** Runs the in-process equivalent of `script args`; failures are HelperErrors naming the script. */
export async function runInProcess(script: string, args: readonly string[]): Promise<Json> {
  try {
    return await RTNL_HELPERS[script]!(args);
  } catch (err) {
    throw new HelperError(script, args, 2, `${script}: ${(err as Error).message}`, { cause: err });
  }
}

// --- iptables-apply.sh, batched per namespace ----------------------------------------------------

interface ChainRequest {
  args: readonly string[];
  table: string;
  chain: string;
  hook: string;
  rules: string[];
  resolve(j: Json): void;
  reject(e: Error): void;
}

/** Finds a program on PATH once (an absolute path spares every later start the PATH walk). */
const resolved = new Map<string, string>();
export function programPath(name: string): string {
  let p = resolved.get(name);
  if (!p) {
    const dirs = [...(process.env.PATH ?? '').split(':').filter((x) => x.startsWith('/')), '/usr/sbin', '/sbin'];
    p = dirs.map((dir) => join(dir, name)).find((f) => existsSync(f)) ?? name;
    resolved.set(name, p);
  }
  return p;
}

/**
 * Runs argv born inside `ns` (once per namespace and batch while `up` runs): its exit code, stdout
 * and stderr; a rejection when it cannot be started. posix_spawn from a pool thread standing in the
 * namespace where the netns addon has it (light-spawn.ts): child_process forked the whole kubewire
 * process from its main thread for each of the seven iptables-restore of the article's `up`, the
 * largest item of its own CPU profile (~50-120 ms). Else runQuick's fork inside withNetns.
 */
export async function runIn(
  ns: string,
  argv: string[],
  input?: string,
): Promise<{ code: number; out: string; err: string }> {
  const path = join(NETNS_DIR, ns);
  const opts = input === undefined ? {} : { input };
  const r = lightSpawnAvailable()
    ? await lightRun(programPath(argv[0]!), argv.slice(1), { ...opts, netns: path })
    : await runQuick(programPath(argv[0]!), argv.slice(1), { ...opts, netns: path });
  return { code: r.exitCode ?? 1, out: r.stdout, err: r.stderr };
}

/**
 * iptables-apply.sh NS TABLE CHAIN HOOK < rules, for many calls at once: the calls for one
 * namespace made in the same turn of the event loop become one `iptables-restore --noflush`
 * (each chain declared, so flushed and refilled, never duplicated) with the hook jumps that are
 * missing, read before from one `iptables-save` — skipped for a namespace this process has just
 * created (its tables are empty).
 */
export class IptablesBatcher {
  private readonly pending = new Map<string, ChainRequest[]>();
  /** Namespaces created by this process whose iptables nobody has written yet. */
  private readonly fresh = new Set<string>();

  markFresh(nss: readonly string[]): void {
    for (const ns of nss) this.fresh.add(ns);
  }

  apply(args: readonly string[], input: string): Promise<Json> {
    try {
      if (args.length !== 4) throw new Bad('usage: iptables-apply.sh NS TABLE CHAIN HOOK < rules');
      const [nsArg, table, chain, hook] = args as [string, string, string, string];
      const ns = netns(nsArg);
      if (!/^(nat|filter|mangle)$/.test(table)) throw new Bad(`invalid table: '${table}'`);
      if (!/^KW-[A-Z0-9-]{1,25}$/.test(chain))
        throw new Bad(`invalid chain (kubewire chains start with KW-): '${chain}'`);
      if (!/^(PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING)$/.test(hook)) throw new Bad(`invalid hook chain: '${hook}'`);
      needNetns(ns);
      const line = new RegExp(`^-A ${chain}( [A-Za-z0-9./:!_=,-]+)+$`);
      const rules: string[] = [];
      for (const l of input.split('\n')) {
        if (!l) continue;
        // Only appends to our own chain, and only words made of safe characters.
        if (!line.test(l)) throw new Bad(`rejected rule line: '${l}'`);
        rules.push(l);
      }
      return new Promise((resolve, reject) => {
        let q = this.pending.get(ns);
        if (!q) {
          this.pending.set(ns, (q = []));
          setImmediate(() => void this.flush(ns));
        }
        q.push({ args, table, chain, hook, rules, resolve, reject });
      });
    } catch (err) {
      return Promise.reject(
        new HelperError('iptables-apply.sh', args, 2, `iptables-apply.sh: ${(err as Error).message}`),
      );
    }
  }

  private async flush(ns: string): Promise<void> {
    const batch = this.pending.get(ns) ?? [];
    this.pending.delete(ns);
    try {
      let save = '';
      if (!this.fresh.delete(ns)) {
        const s = await runIn(ns, ['iptables-save']);
        if (s.code !== 0) throw new Error(`iptables-save: ${s.err.trim()}`);
        save = s.out;
      }
      const tables = new Map<string, { chains: ChainRequest[]; existing: Set<string> }>();
      const saved = savedRuleSets(parseIptablesSave(save));
      for (const r of batch) {
        let t = tables.get(r.table);
        if (!t) tables.set(r.table, (t = { chains: [], existing: saved.get(r.table)?.rules ?? new Set() }));
        // The same chain twice in one batch: the later call's rules win, as two script runs would.
        t.chains = t.chains.filter((c) => c.chain !== r.chain);
        t.chains.push(r);
      }
      const lines: string[] = [];
      const hooked = new Map<ChainRequest, boolean>();
      for (const [table, t] of tables) {
        lines.push(`*${table}`);
        for (const r of t.chains) lines.push(`:${r.chain} - [0:0]`);
        for (const r of t.chains) lines.push(...r.rules);
        for (const r of t.chains) {
          const jump = `-A ${r.hook} -j ${r.chain}`;
          const missing = !t.existing.has(jump);
          hooked.set(r, missing);
          if (missing) {
            lines.push(jump);
            t.existing.add(jump);
          }
        }
        lines.push('COMMIT');
      }
      const res = await runIn(ns, ['iptables-restore', '--noflush'], lines.join('\n') + '\n');
      if (res.code !== 0) throw new Error(`iptables-restore: ${res.err.trim() || `exit ${res.code}`}`);
      for (const r of batch) r.resolve({ rules: r.rules.length, hooked: hooked.get(r) ?? false });
    } catch (err) {
      for (const r of batch)
        r.reject(new HelperError('iptables-apply.sh', r.args, 1, (err as Error).message, { cause: err }));
    }
  }
}

/**
 * Whether any process stands in namespace `ns` (what `ip netns pids` lists): one readlink of
 * /proc/<pid>/ns/net per process, compared with the pin's inode. proc-stop.sh --all-in of an empty
 * namespace (the strays check before starting a lab process) then needs no process of its own.
 */
export function namespaceHasProcesses(ns: string): boolean {
  const pin = statSync(join(NETNS_DIR, netns(ns)));
  const want = `net:[${pin.ino}]`;
  for (const pid of readdirSync('/proc')) {
    if (pid.charCodeAt(0) > 57 || pid.charCodeAt(0) < 48) continue;
    try {
      if (readlinkSync(`/proc/${pid}/ns/net`) === want) return true;
    } catch {
      // gone, or a kernel thread
    }
  }
  return false;
}
