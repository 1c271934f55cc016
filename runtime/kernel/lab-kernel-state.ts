// The kernel state of a lab's namespaces, read in this process: rtnetlink dumps (links, addresses,
// routes, neighbours, FDB, veth peers), each router's ip_forward, and iptables-save run inside a
// namespace without `ip netns exec`/nsenter in front of it (the child is forked from a thread that
// stands in the namespace). What `up` consults before deciding a helper has work to do.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChainView } from '../../common/iptables-model.js';
import { parseIptablesSave, ruleLine } from '../../common/iptables-save.js';
import type { NamespaceSnapshot } from '../../common/topology-model.js';
import { lightRun, lightSpawnAvailable } from './light-spawn.js';
import { NetnsGoneError, withNetns } from './netns-enter.js';
import { runQuick } from '../host/spawn.js';
import { RtnlNamespace } from './rtnl-namespace.js';

export type KernelNamespaceState = NamespaceSnapshot & { forwarding?: boolean };

/** Every namespace of `names` that exists, read; a missing one is simply absent from the map. */
export async function readLabKernelState(
  names: readonly string[],
  netnsDir = '/run/netns',
): Promise<Map<string, KernelNamespaceState>> {
  const out = new Map<string, KernelNamespaceState>();
  const present = names.filter((ns) => existsSync(join(netnsDir, ns)));
  await Promise.all(
    present.map(async (ns) => {
      let sock: RtnlNamespace;
      try {
        sock = RtnlNamespace.open(ns, netnsDir);
      } catch (err) {
        if (err instanceof NetnsGoneError) return;
        throw err;
      }
      try {
        const snap: KernelNamespaceState = await sock.snapshot('full', present);
        // /proc/sys/net is the opening thread's namespace's.
        snap.forwarding = withNetns(
          join(netnsDir, ns),
          () => readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim() === '1',
        );
        out.set(ns, snap);
      } finally {
        sock.close();
      }
    }),
  );
  return out;
}

/**
 * `iptables-save` of every table inside `ns`, by table name (each text from its `*table` line to its
 * COMMIT): one process per namespace, not one per table; an empty map on failure. Started with
 * posix_spawn (light-spawn.ts) from a pool thread standing in the namespace where the addon has it
 * (no nsenter in front, no PATH walk per start): a fork of this process from
 * its main thread (child_process) costs it 20-30 ms each under load, which a second `up` paid 13
 * times in a row while its other phases waited.
 */
export async function iptablesSaveTablesIn(ns: string, netnsDir = '/run/netns'): Promise<Map<string, string>> {
  const path = join(netnsDir, ns);
  let text: string;
  if (lightSpawnAvailable()) {
    const r = await lightRun('iptables-save', [], { timeoutMs: 30_000, netns: path }).catch(() => undefined);
    text = r?.exitCode === 0 ? r.stdout : '';
  } else text = await iptablesSaveIn(ns, undefined, netnsDir);
  return splitIptablesSave(text);
}

/** iptables-save output split by table: `*nat` … `COMMIT` under "nat". */
export function splitIptablesSave(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let table: string | undefined;
  let lines: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) {
      table = line.slice(1).trim();
      lines = [line];
    } else if (table !== undefined) {
      lines.push(line);
      if (line.trim() === 'COMMIT') {
        out.set(table, lines.join('\n') + '\n');
        table = undefined;
      }
    }
  }
  return out;
}

/** `iptables-save [-t TABLE]` inside `ns`: one process (forked inside the namespace), '' on failure. */
export async function iptablesSaveIn(ns: string, table: string | undefined, netnsDir = '/run/netns'): Promise<string> {
  const r = await runQuick('iptables-save', table ? ['-t', table] : [], { netns: join(netnsDir, ns) }).catch(
    () => undefined,
  );
  return r?.exitCode === 0 ? r.stdout : '';
}

/** Whether `iptables-save` text holds exactly `rules` in `chain` (in order) and HOOK jumps to it. */
export function chainMatches(save: string, chain: string, hook: string, rules: readonly string[]): boolean {
  let chains: ChainView[];
  try {
    chains = parseIptablesSave(save).flatMap((t) => t.chains);
  } catch {
    return false; // unreadable: not converged, so the helper runs
  }
  const lines = (name: string) => chains.find((c) => c.name === name)?.rules.map((r) => ruleLine(name, r));
  const have = lines(chain);
  if (!have) return false;
  const want = rules.map((r) => r.trim().replace(/\s+/g, ' ')).filter((r) => r.length > 0);
  return (
    have.length === want.length &&
    have.every((l, i) => l === want[i]) &&
    !!lines(hook)?.includes(`-A ${hook} -j ${chain}`)
  );
}
