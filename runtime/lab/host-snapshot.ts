// The host's root network namespace as doctor compares it: links, addresses, routes (all tables),
// rules, iptables and forwarding sysctls, normalized so that only real changes show (address
// lifetimes and counters are left out). Reading it changes nothing.
import type { HostDriver } from '../host/host-driver.js';

export interface HostSnapshot {
  takenAt: string;
  /** Category -> sorted list of one-line entries. */
  entries: Record<string, string[]>;
  sysctl: Record<string, string>;
}

type Json = Record<string, unknown>;

const pick = (o: Json, keys: string[]) =>
  Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));

export async function takeHostSnapshot(driver: HostDriver): Promise<HostSnapshot> {
  const { json } = await driver.script('host-snapshot.sh', []);
  return normalizeSnapshot(json);
}

export function normalizeSnapshot(raw: Json): HostSnapshot {
  const list = (k: string) => (raw[k] as Json[] | undefined) ?? [];
  const text = (k: string) =>
    Buffer.from((raw[k] as string) ?? '', 'base64')
      .toString('utf8')
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#'));
  const entries: Record<string, string[]> = {
    link: list('link').map((l) =>
      JSON.stringify(pick(l, ['ifname', 'flags', 'mtu', 'link_type', 'address', 'master', 'link_netnsid'])),
    ),
    addr: list('addr').flatMap((l) =>
      ((l.addr_info as Json[]) ?? []).map(
        (a) =>
          `${l.ifname as string} ${a.family as string} ${a.local as string}/${a.prefixlen as number} ${a.scope as string}`,
      ),
    ),
    route: list('route').map((r) => JSON.stringify(r)),
    route6: list('route6').map((r) =>
      JSON.stringify(pick(r, ['dst', 'gateway', 'dev', 'table', 'protocol', 'type', 'metric', 'prefsrc'])),
    ),
    rule: list('rule').map((r) => JSON.stringify(r)),
    iptables: text('iptables'),
    ip6tables: text('ip6tables'),
  };
  for (const k of Object.keys(entries)) entries[k]!.sort();
  return { takenAt: new Date().toISOString(), entries, sysctl: (raw.sysctl as Record<string, string>) ?? {} };
}

/** Human-readable differences from `before` to `after`; empty when the host is unchanged. */
export function diffSnapshots(before: HostSnapshot, after: HostSnapshot): string[] {
  const out: string[] = [];
  for (const cat of new Set([...Object.keys(before.entries), ...Object.keys(after.entries)])) {
    const a = countMap(before.entries[cat] ?? []);
    const b = countMap(after.entries[cat] ?? []);
    for (const [e, n] of a) if ((b.get(e) ?? 0) < n) out.push(`${cat} removed: ${e}`);
    for (const [e, n] of b) if ((a.get(e) ?? 0) < n) out.push(`${cat} added: ${e}`);
  }
  for (const k of new Set([...Object.keys(before.sysctl), ...Object.keys(after.sysctl)])) {
    if (before.sysctl[k] !== after.sysctl[k]) out.push(`sysctl ${k}: ${before.sysctl[k]} -> ${after.sysctl[k]}`);
  }
  return out;
}

function countMap(xs: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}
