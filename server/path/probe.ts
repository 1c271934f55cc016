// The real probes from the source namespace: ping for an address, curl for address:port (HTTP),
// traceroute -n (UDP, or TCP SYN to the port) whose hops confirm the derived ones, and the
// conntrack entry that tells which service endpoint the kernel actually picked.
import type { PathProtocol, PathTrace, ProbeResult } from '../../common/path-model.js';
import type { RunCommand } from '../run-command.js';
import { CURL_WRITE_OUT, parseConntrack, parseCurlWriteOut, parsePing, parseTraceroute } from './probe-output.js';

export interface ReachProbe {
  commands: string[][];
  reached: boolean;
  summary: string;
  /** For TCP: the local port of curl's connection, to find its conntrack entry. */
  localPort?: number;
}

const exec = (ns: string, argv: string[]): string[] => ['ip', 'netns', 'exec', ns, ...argv];

export async function probeReach(
  run: RunCommand,
  ns: string,
  ip: string,
  port: number | undefined,
  protocol: PathProtocol = port === undefined ? 'icmp' : 'tcp',
): Promise<ReachProbe> {
  if (port === undefined) {
    const argv = ['ping', '-n', '-c', '1', '-W', '2', ip];
    const r = await run(exec(ns, argv), { timeoutMs: 5000 });
    const p = parsePing(r.stdout);
    const why = (r.stderr.trim().split('\n').pop() ?? '').replace(/^ping: /, '');
    if (p.sent === 0) return { commands: [argv], reached: false, summary: `ping: ${why || `exit ${r.exitCode}`}` };
    return {
      commands: [argv],
      reached: p.received > 0,
      summary: `ping: ${p.received}/${p.sent} received${p.rttMs !== undefined ? `, ${p.rttMs} ms` : ''}`,
    };
  }
  if (protocol === 'udp') {
    // UDP has no handshake to test; a DNS question is the lab's UDP service (cluster DNS on :53).
    const argv = [
      'dig',
      '+time=2',
      '+tries=1',
      `@${ip}`,
      '-p',
      String(port),
      'kubernetes.default.svc.cluster.local',
      'A',
    ];
    const r = await run(exec(ns, argv), { timeoutMs: 6000 });
    const status = /status: (\w+)/.exec(r.stdout)?.[1];
    return {
      commands: [argv],
      reached: status !== undefined,
      summary: status
        ? `dig: answered (${status})`
        : `dig: no answer (${(r.stdout + r.stderr).trim().split('\n').pop() ?? ''})`,
    };
  }
  const argv = ['curl', '-sS', '-o', '/dev/null', '--max-time', '3', '-w', CURL_WRITE_OUT, `http://${ip}:${port}/`];
  const r = await run(exec(ns, argv), { timeoutMs: 6000 });
  const c = parseCurlWriteOut(r.stdout);
  const err = r.stderr.trim().split('\n').pop() ?? '';
  if (!c || !c.connected) return { commands: [argv], reached: false, summary: `curl: ${err || `exit ${r.exitCode}`}` };
  return {
    commands: [argv],
    reached: true,
    summary:
      c.httpCode > 0
        ? `curl: HTTP ${c.httpCode} from ${c.remote}`
        : `curl: connected to ${c.remote} (not HTTP: ${err || `exit ${r.exitCode}`})`,
    localPort: c.localPort,
  };
}

export async function probeTraceroute(
  run: RunCommand,
  ns: string,
  ip: string,
  port: number | undefined,
  protocol: PathProtocol,
  maxHops: number,
): Promise<{ argv: string[]; hops: ProbeResult['traceroute'] }> {
  const argv = ['traceroute', '-n', '-q', '1', '-w', '1', '-m', String(Math.min(Math.max(maxHops, 1), 30))];
  // A fixed destination port (-T for TCP SYN, -U for UDP) so the probes meet the same DNAT rules.
  if (port !== undefined) argv.push(protocol === 'udp' ? '-U' : '-T', '-p', String(port));
  argv.push(ip);
  const r = await run(exec(ns, argv), { timeoutMs: 40_000 });
  return { argv, hops: parseTraceroute(r.stdout) };
}

/** Which endpoint conntrack recorded for the probe's connection (the reply tuple's source). */
export async function conntrackEndpoint(
  run: RunCommand,
  ns: string,
  origDst: string,
  localPort: number | undefined,
): Promise<string | undefined> {
  const r = await run(['ip', 'netns', 'exec', ns, 'conntrack', '-L', '-d', origDst], { timeoutMs: 5000 });
  if (r.exitCode !== 0) return undefined;
  const flows = parseConntrack(r.stdout).filter(
    (f) => f.original.dst === origDst && (localPort === undefined || f.original.sport === localPort),
  );
  const f = flows.at(-1);
  if (!f) return undefined;
  return f.reply.sport !== undefined ? `${f.reply.src}:${f.reply.sport}` : f.reply.src;
}

/** Marks each derived hop confirmed when traceroute saw the same address at the same TTL. */
export function confirmHops(trace: PathTrace, hops: ProbeResult['traceroute']): void {
  for (const h of trace.hops) {
    const seen = hops.find((x) => x.ttl === h.ttl);
    h.confirmed = seen !== undefined && seen.address === h.address;
  }
}
