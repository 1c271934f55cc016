// The local driver's in-process helpers (rtnetlink writes, one iptables-restore per namespace) leave
// the kernel exactly as the native scripts do: the article's lab is built once each way, under two
// prefixes, and every namespace's links (kind, MTU, flags, master, VXLAN and bridge settings),
// IPv4 addresses, routes of every table, policy rules, permanent neighbours, FDB entries, iptables
// and ip_forward are compared. Only what the kernel picks at random (veth and bridge MACs, port
// numbers, ifindexes) is left out.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { execa } from 'execa';
import { parseTopology } from '../../../common/topology/parse-topology.js';
import { NetnsDriver } from '../../../runtime/host/netns-driver.js';
import { LabPaths } from '../../../runtime/lab/lab-paths.js';
import { LabRuntime } from '../../../runtime/lab/lab-runtime.js';
import { defaultTopology, imagesDir, scriptsDir } from '../../../runtime/project-root.js';
import { namespacesWithPrefix } from './harness.js';

const labs: { runtime: LabRuntime; prefix: string; base: string }[] = [];
after(async () => {
  for (const l of labs) {
    await l.runtime.reset(l.prefix).catch(() => undefined);
    rmSync(l.base, { recursive: true, force: true });
    assert.deepEqual(namespacesWithPrefix(l.prefix), []);
  }
});

/** Keys whose values the kernel chooses (random MACs, ids, timers), dropped before comparing. */
const RANDOM = new Set([
  'ifindex',
  'link_index',
  'link_netnsid',
  'broadcast',
  'inet6_addr_gen_mode',
  'operstate',
  'bridge_id',
  'root_id',
  'id',
  'no',
  'port_id',
  'port_no',
  'designated_port',
  'designated_bridge',
  'designated_root',
  'designated_cost',
  'hold_timer',
  'message_age_timer',
  'forward_delay_timer',
  'hello_timer',
  'tcn_timer',
  'topology_change_timer',
  'gc_timer',
  'root_port',
  'root_path_cost',
  'topology_change',
  'topology_change_detected',
  'topology_change_ack',
  'config_pending',
  'valid_life_time',
  'preferred_life_time',
  'stats64',
]);

function scrub(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(scrub);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v)
        .filter(([k]) => !RANDOM.has(k))
        .map(([k, x]) => [k, scrub(x)]),
    );
  return v;
}

async function build(inProcess: boolean): Promise<Record<string, unknown>> {
  const prefix = `kw-t${randomBytes(3).toString('hex')}-`;
  const base = mkdtempSync(join(tmpdir(), 'kubewire-parity-'));
  const file = defaultTopology();
  const topo = parseTopology(readFileSync(file, 'utf8'), file, { prefix });
  const driver = new NetnsDriver(scriptsDir(), undefined, { inProcess });
  assert.equal(driver.inProcess, inProcess);
  const runtime = new LabRuntime(driver, new LabPaths(base, topo.name), {
    internetServer: join(imagesDir(), 'internet-server.js'),
  });
  labs.push({ runtime, prefix, base });
  await runtime.up(topo);
  const out: Record<string, unknown> = {};
  for (const ns of namespacesWithPrefix(prefix).sort()) {
    const j = async (...a: string[]) => JSON.parse((await execa('ip', ['-n', ns, '-d', '-j', ...a])).stdout || '[]');
    const sorted = (xs: unknown[]) => xs.map((x) => JSON.stringify(scrub(x))).sort();
    const links = (await j('link', 'show')) as Record<string, unknown>[];
    for (const l of links) {
      // Random MACs: veth ends and the bridges that take their first port's.
      const kind = (l.linkinfo as { info_kind?: string } | undefined)?.info_kind;
      if (kind === 'veth' || (kind === 'bridge' && l.ifname !== 'cni0')) delete l.address;
    }
    const addrs = ((await j('-4', 'addr', 'show')) as { ifname: string; addr_info: unknown[] }[]).map((a) => ({
      ifname: a.ifname,
      addr: a.addr_info,
    }));
    const iptables = (await execa('ip', ['netns', 'exec', ns, 'iptables-save'])).stdout
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .map((l) => l.replace(/\[\d+:\d+\]/, ''));
    out[ns.slice(prefix.length)] = {
      links: sorted(links),
      addrs: sorted(addrs),
      routes: sorted(await j('-4', 'route', 'show', 'table', 'all')),
      rules: sorted(await j('-4', 'rule', 'show')),
      neigh: sorted(
        ((await j('-4', 'neigh', 'show')) as { state?: string[] }[]).filter((n) => n.state?.includes('PERMANENT')),
      ),
      fdb: sorted(
        // Programmed entries (VTEP MAC → underlay address); a bridge's own ports' are random MACs.
        (
          JSON.parse((await execa('bridge', ['-n', ns, '-j', 'fdb', 'show'])).stdout || '[]') as { dst?: string }[]
        ).filter((f) => !!f.dst),
      ),
      iptables,
      forward: (await execa('ip', ['netns', 'exec', ns, 'cat', '/proc/sys/net/ipv4/ip_forward'])).stdout,
    };
  }
  return JSON.parse(JSON.stringify(out).replaceAll(prefix, 'PREFIX-')) as Record<string, unknown>;
}

test('the article lab built by the in-process helpers equals the one the scripts build', async () => {
  const scripts = await build(false);
  const local = await build(true);
  assert.ok(Object.keys(scripts).length >= 10, `namespaces: ${Object.keys(scripts).join(' ')}`);
  assert.deepEqual(Object.keys(local), Object.keys(scripts));
  for (const ns of Object.keys(scripts)) assert.deepEqual(local[ns], scripts[ns], `namespace ${ns}`);
});
