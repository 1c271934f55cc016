// UDP has no connection to close, so conntrack keeps NATing a client's packets to an endpoint
// that is gone for as long as the client keeps sending (DNS retries do). kube-proxy therefore
// deletes, after a sync, the UDP conntrack entries that point at removed endpoints, and those of a
// service that just got its first endpoint (its packets were rejected, not NATed, until now).

import type { ServicePortFlows } from './render-service.js';

/** One `conntrack -D` filter, as argv after `conntrack -D`. */
export type ConntrackFilter = string[];

export interface ConntrackCleaner {
  /** Runs `conntrack -D -p udp …` for each filter in `netns`; "0 entries deleted" is not an error. */
  deleteFlows(netns: string, filters: readonly ConntrackFilter[]): Promise<void>;
}

/** The conntrack filters for UDP flows made stale between two syncs. */
export function staleUdpFlows(
  before: ReadonlyMap<string, ServicePortFlows>,
  after: ReadonlyMap<string, ServicePortFlows>,
): ConntrackFilter[] {
  const out: ConntrackFilter[] = [];
  for (const [key, prev] of before) {
    if (prev.protocol !== 'UDP') continue;
    const now = after.get(key);
    const kept = new Set(now?.endpointIPs ?? []);
    for (const ep of new Set(prev.endpointIPs)) {
      if (kept.has(ep)) continue;
      for (const ip of prev.serviceIPs) out.push(['-p', 'udp', '--orig-dst', ip, '--dst-nat', ep]);
      if (prev.nodePort) out.push(['-p', 'udp', '--orig-port-dst', String(prev.nodePort), '--dst-nat', ep]);
    }
  }
  for (const [key, now] of after) {
    if (now.protocol !== 'UDP' || now.endpointIPs.length === 0) continue;
    if ((before.get(key)?.endpointIPs.length ?? 0) > 0) continue;
    for (const ip of now.serviceIPs) out.push(['-p', 'udp', '--orig-dst', ip]);
    if (now.nodePort) out.push(['-p', 'udp', '--orig-port-dst', String(now.nodePort)]);
  }
  return out;
}

/** Runs conntrack through the runtime's HostDriver (`ip netns exec <ns> conntrack -D …`). */
export class HostDriverConntrackCleaner implements ConntrackCleaner {
  constructor(
    private readonly host: {
      exec(
        netns: string,
        argv: readonly string[],
        opts?: { timeoutMs?: number },
      ): Promise<{ exitCode: number; stderr: string }>;
    },
  ) {}

  async deleteFlows(netns: string, filters: readonly ConntrackFilter[]): Promise<void> {
    for (const f of filters) {
      const r = await this.host.exec(netns, ['conntrack', '-D', ...f], { timeoutMs: 10_000 });
      // conntrack exits 1 when nothing matched ("0 flow entries have been deleted").
      if (r.exitCode !== 0 && !/0 flow entries have been deleted/.test(r.stderr)) {
        throw new Error(`conntrack -D ${f.join(' ')} in ${netns} failed: ${r.stderr.trim()}`);
      }
    }
  }
}
