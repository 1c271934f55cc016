// Parsers for what the probes print: `traceroute -n`, `ping`, curl's --write-out line and
// `conntrack -L`. Pure, so they are tested on recorded output.

export interface TracerouteHop {
  ttl: number;
  address: string | null;
  /** `!H`, `!N`, `!X`…: the hop answered with an ICMP unreachable. */
  note?: string;
}

export function parseTraceroute(text: string): TracerouteHop[] {
  const hops: TracerouteHop[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const rest = m[2]!.trim();
    const addr = /^(\d{1,3}(?:\.\d{1,3}){3})\b/.exec(rest);
    const note = /(![A-Za-z0-9]*)/.exec(rest);
    const hop: TracerouteHop = { ttl: Number(m[1]), address: addr ? addr[1]! : null };
    if (note) hop.note = note[1]!;
    hops.push(hop);
  }
  return hops;
}

export function parsePing(text: string): { sent: number; received: number; rttMs?: number } {
  const m = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(text);
  const rtt = /= [\d.]+\/([\d.]+)\//.exec(text);
  const out: { sent: number; received: number; rttMs?: number } = {
    sent: m ? Number(m[1]) : 0,
    received: m ? Number(m[2]) : 0,
  };
  if (rtt) out.rttMs = Number(rtt[1]);
  return out;
}

/** curl -w '%{http_code} %{remote_ip} %{remote_port} %{local_ip} %{local_port} %{time_connect}' */
export const CURL_WRITE_OUT = '%{http_code} %{remote_ip} %{remote_port} %{local_ip} %{local_port} %{time_connect}';

export function parseCurlWriteOut(
  text: string,
): { httpCode: number; remote: string; localPort: number; connected: boolean } | undefined {
  const m = /(\d{3}) (\S*) (\d*) (\S*) (\d*) ([\d.]+)\s*$/.exec(text.trim());
  if (!m) return undefined;
  return {
    httpCode: Number(m[1]),
    remote: `${m[2]}:${m[3]}`,
    localPort: Number(m[5] || 0),
    connected: Number(m[6]) > 0,
  };
}

export interface ConntrackFlow {
  protocol: string;
  original: { src: string; dst: string; sport?: number; dport?: number };
  reply: { src: string; dst: string; sport?: number; dport?: number };
}

/** `conntrack -L` lines: the original tuple, then the reply tuple (whose source is the real endpoint). */
export function parseConntrack(text: string): ConntrackFlow[] {
  const flows: ConntrackFlow[] = [];
  for (const line of text.split('\n')) {
    const proto = /^\s*(\w+)\s+\d+/.exec(line);
    if (!proto) continue;
    const tuples: Record<string, string>[] = [{}, {}];
    let idx = -1;
    for (const tok of line.trim().split(/\s+/)) {
      const kv = /^(src|dst|sport|dport)=(.*)$/.exec(tok);
      if (!kv) continue;
      if (kv[1] === 'src') idx++;
      if (idx >= 0 && idx < 2) tuples[idx]![kv[1]!] = kv[2]!;
    }
    if (!tuples[0]!.src || !tuples[1]!.src) continue;
    const t = (x: Record<string, string>): ConntrackFlow['original'] => ({
      src: x.src!,
      dst: x.dst ?? '',
      ...(x.sport ? { sport: Number(x.sport) } : {}),
      ...(x.dport ? { dport: Number(x.dport) } : {}),
    });
    flows.push({ protocol: proto[1]!, original: t(tuples[0]!), reply: t(tuples[1]!) });
  }
  return flows;
}
