// Resolves a destination name the way the source namespace would: its own /etc/netns/<ns>/hosts,
// then the nameservers of its own /etc/netns/<ns>/resolv.conf, asked from inside the namespace with
// `dig`. Never the host's resolver: a namespace without its own resolv.conf gets an error instead.
import { readFile } from 'node:fs/promises';
import { KubewireError, ValidationError } from '../../common/errors.js';
import { isIpv4 } from '../../common/net/ipv4.js';
import type { RunCommand } from '../run-command.js';

export interface Resolution {
  ip: string;
  /** `hosts file /etc/netns/…/hosts` or `dig @198.51.100.53 google.com A (from kw-…)`. */
  by: string;
}

export function parseResolvConf(text: string): { nameservers: string[]; search: string[] } {
  const nameservers: string[] = [];
  let search: string[] = [];
  for (const line of text.split('\n')) {
    const [key, ...rest] = line.trim().split(/\s+/);
    if (key === 'nameserver' && rest[0] && isIpv4(rest[0])) nameservers.push(rest[0]);
    if (key === 'search' || key === 'domain') search = rest.filter((s) => /^[A-Za-z0-9.-]{1,253}$/.test(s));
  }
  return { nameservers, search };
}

export function lookupHostsFile(text: string, name: string): string | undefined {
  for (const line of text.split('\n')) {
    const [ip, ...names] = line.replace(/#.*/, '').trim().split(/\s+/);
    if (ip && isIpv4(ip) && names.some((n) => n.toLowerCase() === name)) return ip;
  }
  return undefined;
}

export async function resolveInNamespace(
  run: RunCommand,
  ns: string,
  name: string,
  etcNetns = '/etc/netns',
): Promise<Resolution> {
  const dir = `${etcNetns}/${ns}`;
  const hosts = await readFile(`${dir}/hosts`, 'utf8').catch(() => '');
  const fromHosts = lookupHostsFile(hosts, name);
  if (fromHosts) return { ip: fromHosts, by: `hosts file ${dir}/hosts` };
  let conf: string;
  try {
    conf = await readFile(`${dir}/resolv.conf`, 'utf8');
  } catch (err) {
    throw new ValidationError(
      'destination',
      `cannot resolve '${name}': ${ns} has no ${dir}/resolv.conf, and the host's resolver is never used for the lab`,
    );
  }
  const { nameservers, search } = parseResolvConf(conf);
  if (nameservers.length === 0)
    throw new ValidationError('destination', `cannot resolve '${name}': ${dir}/resolv.conf names no IPv4 nameserver`);
  // Like the stub resolver: the name as given when it has dots, then with each search domain.
  const candidates = name.includes('.')
    ? [name, ...search.map((s) => `${name}.${s}`)]
    : [...search.map((s) => `${name}.${s}`), name];
  const tried: string[] = [];
  for (const server of nameservers.slice(0, 3)) {
    for (const fqdn of candidates.slice(0, 6)) {
      const argv = ['ip', 'netns', 'exec', ns, 'dig', '+short', '+time=2', '+tries=1', `@${server}`, fqdn, 'A'];
      const r = await run(argv, { timeoutMs: 6000 });
      const ip = r.stdout
        .split('\n')
        .map((l) => l.trim())
        .find((l) => isIpv4(l));
      if (r.exitCode === 0 && ip) return { ip, by: `dig @${server} ${fqdn} A (inside ${ns})` };
      tried.push(
        `${fqdn} @${server}: ${r.exitCode === 0 ? 'no A record' : (r.stdout + r.stderr).trim().split('\n').pop()}`,
      );
    }
  }
  throw new KubewireError(`cannot resolve '${name}' from ${ns}: ${tried.join('; ')}`);
}
