// What is running now, from state.json checked against the kernel: namespaces present, processes
// alive, links of every node. Reads only.
import { existsSync } from 'node:fs';
import type { HostDriver } from '../host/host-driver.js';
import { mapLimit } from '../concurrency.js';
import { LabNames } from './lab-names.js';
import type { LabState, ProcessRecord } from './lab-state.js';

export interface LabStatus {
  lab: string;
  prefix: string;
  phase: LabState['phase'];
  nodes: {
    name: string;
    netns: string;
    present: boolean;
    address: string;
    subnet: string;
    vtepMAC: string;
    links: { name: string; state: string; addresses: string[] }[];
  }[];
  pods: {
    key: string;
    node: string;
    netns: string;
    present: boolean;
    ip?: string;
    mac?: string;
    processes: { name: string; pid: number; alive: boolean }[];
  }[];
  processes: { name: string; netns: string; pid: number; alive: boolean }[];
}

const nsPresent = (ns: string) => existsSync(`/var/run/netns/${ns}`);

/** `pods`: every pod of the lab (allPodRecords), else the topology's only. */
export async function labStatus(
  driver: HostDriver,
  state: LabState,
  pods: LabState['pods'] = state.pods,
): Promise<LabStatus> {
  const names = new LabNames(state.prefix);
  const alive = async (p: ProcessRecord | undefined) => (p ? (await driver.alive([p]))[0]! : false);
  const nodes = await mapLimit(state.topology.nodes, 4, async (n) => {
    const netns = names.node(n.name);
    const present = nsPresent(netns);
    let links: LabStatus['nodes'][number]['links'] = [];
    if (present) {
      const r = await driver.exec(netns, ['ip', '-j', 'addr', 'show']);
      if (r.exitCode === 0) {
        links = (
          JSON.parse(r.stdout) as {
            ifname: string;
            operstate: string;
            addr_info?: { family: string; local: string; prefixlen: number }[];
          }[]
        )
          .filter((l) => l.ifname !== 'lo')
          .map((l) => ({
            name: l.ifname,
            state: l.operstate,
            addresses: (l.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
          }));
      }
    }
    return {
      name: n.name,
      netns,
      present,
      address: n.address,
      subnet: n.subnet,
      vtepMAC: state.vtepMACs[n.name] ?? '',
      links,
    };
  });
  const podRows = await Promise.all(
    Object.entries(pods).map(async ([key, p]) => ({
      key,
      node: p.node,
      netns: p.netns,
      present: nsPresent(p.netns),
      ...(p.ip ? { ip: p.ip } : {}),
      ...(p.mac ? { mac: p.mac } : {}),
      processes: [
        ...(p.sandbox ? [{ name: 'pause', pid: p.sandbox.pid, alive: await alive(p.sandbox) }] : []),
        ...(await Promise.all(
          Object.entries(p.containers).map(async ([name, c]) => ({ name, pid: c.pid, alive: await alive(c) })),
        )),
      ],
    })),
  );
  const processes = await Promise.all(
    Object.entries(state.processes).map(async ([name, p]) => ({
      name,
      netns: p.netns,
      pid: p.pid,
      alive: await alive(p),
    })),
  );
  return { lab: state.lab, prefix: state.prefix, phase: state.phase, nodes, pods: podRows, processes };
}

export function formatStatus(s: LabStatus): string {
  const lines = [
    `lab ${s.lab} (prefix ${s.prefix}): ${s.phase}`,
    '',
    'NODE      NETNS                        ADDRESS          SUBNET              VTEP MAC           LINKS',
  ];
  for (const n of s.nodes) {
    const links = n.present
      ? n.links.map((l) => `${l.name}${l.addresses.length ? `=${l.addresses.join(',')}` : ''}`).join(' ')
      : '(namespace missing)';
    lines.push(
      `${n.name.padEnd(9)} ${n.netns.padEnd(28)} ${n.address.padEnd(16)} ${n.subnet.padEnd(19)} ${n.vtepMAC.padEnd(18)} ${links}`,
    );
  }
  lines.push('', 'POD                          NODE      IP               MAC                PROCESSES');
  for (const p of s.pods) {
    const procs = p.present
      ? p.processes.map((x) => `${x.name}:${x.pid}${x.alive ? '' : '(dead)'}`).join(' ') || '-'
      : '(namespace missing)';
    lines.push(
      `${p.key.padEnd(28)} ${p.node.padEnd(9)} ${(p.ip ?? '-').padEnd(16)} ${(p.mac ?? '-').padEnd(18)} ${procs}`,
    );
  }
  if (s.processes.length) {
    lines.push('', 'PROCESS    NETNS                        PID');
    for (const p of s.processes)
      lines.push(`${p.name.padEnd(10)} ${p.netns.padEnd(28)} ${p.pid}${p.alive ? '' : ' (dead)'}`);
  }
  return lines.join('\n');
}
