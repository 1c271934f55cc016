// The lab's etcd cluster (topology controlPlane.store kind etcd): each member is a real `etcd`
// (Debian's etcd-server) in a lab namespace of its own, `<prefix>etcd<i>`, attached to the
// underlay switch like a node, so its peer (:2380) and client (:2379) URLs are node-network
// addresses and nothing listens in the host's namespace. Members are processes of the lab's cgroup
// (proc-start.sh), recorded in state.processes (`etcd0`, ...) so down and reset stop them and a
// reset after kill -9 finds them by the cgroup mark; their data dirs are under the lab's state
// folder (0700), which reset removes. Only the members themselves and the apiserver (dialling from
// inside a member's namespace) reach their ports (memberFilter). A second `up` keeps running members and restarts dead ones
// on their data dir (they rejoin the cluster with their raft log).
import { existsSync } from 'node:fs';
import { mkdir, chmod } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { EtcdMemberSpec, StoreSpec, Topology } from '../../common/topology/types.js';
import type { HostDriver } from '../host/host-driver.js';
import type { LabNames } from './lab-names.js';
import type { LabPaths } from './lab-paths.js';
import type { LabState } from './lab-state.js';

export const ETCD_BINARY = '/usr/bin/etcd';
export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;
/**
 * Raft timing for a loaded 2-core machine: etcd's defaults (100 ms heartbeat, 1 s election) make
 * followers call elections whenever the lab's CPU is busy; 10x the heartbeat stays etcd's advice.
 */
export const ETCD_HEARTBEAT_MS = 250;
export const ETCD_ELECTION_MS = 2500;

export class EtcdMembersError extends Error {}

export function etcdStore(topo: Topology): StoreSpec | undefined {
  return topo.controlPlane?.store?.kind === 'etcd' ? topo.controlPlane.store : undefined;
}

export const clientUrl = (m: EtcdMemberSpec) => `http://${m.address}:${ETCD_CLIENT_PORT}`;
export const peerUrl = (m: EtcdMemberSpec) => `http://${m.address}:${ETCD_PEER_PORT}`;
/** What state.processes calls a member. */
export const processKey = (m: EtcdMemberSpec) => m.name;

/** etcd's command line for member `m` of `store` (flags only; no config file, no env). */
export function etcdArgv(store: StoreSpec, m: EtcdMemberSpec, dataDir: string, token: string): string[] {
  return [
    ETCD_BINARY,
    '--name',
    m.name,
    '--data-dir',
    dataDir,
    '--listen-client-urls',
    clientUrl(m),
    '--advertise-client-urls',
    clientUrl(m),
    '--listen-peer-urls',
    peerUrl(m),
    '--initial-advertise-peer-urls',
    peerUrl(m),
    '--initial-cluster',
    store.members.map((o) => `${o.name}=${peerUrl(o)}`).join(','),
    '--initial-cluster-token',
    token,
    '--initial-cluster-state',
    'new',
    '--heartbeat-interval',
    String(ETCD_HEARTBEAT_MS),
    '--election-timeout',
    String(ETCD_ELECTION_MS),
    // Watches get a progress notification (a revision with no events) this often: what a BOOKMARK carries.
    '--experimental-watch-progress-notify-interval',
    '5s',
    '--logger',
    'zap',
  ];
}

/**
 * Each member's filter table: its ports take connections from the members' own addresses only —
 * the other members (peers, etcdctl run in a member's namespace) and the apiserver, whose sockets
 * are made inside the member's namespace (loopback). Nodes and pods share the node network but
 * not the store, as in a cluster whose etcd only the apiserver may reach (here without TLS).
 */
export function memberFilter(store: StoreSpec): string {
  const ports = `${ETCD_CLIENT_PORT},${ETCD_PEER_PORT}`;
  return [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD DROP [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    '-A INPUT -i lo -j ACCEPT',
    ...store.members.map((o) => `-A INPUT -s ${o.address}/32 -p tcp -m multiport --dports ${ports} -j ACCEPT`),
    `-A INPUT -p tcp -m multiport --dports ${ports} -j REJECT --reject-with tcp-reset`,
    'COMMIT',
    '',
  ].join('\n');
}

/**
 * Starts the members that do not run (all of them on a first `up`), then waits until every member
 * answers /health and the cluster has a leader. Namespaces and their underlay ports exist already.
 */
export async function ensureEtcdMembers(
  driver: HostDriver,
  paths: LabPaths,
  names: LabNames,
  topo: Topology,
  state: LabState,
  save: () => Promise<void>,
  opts: { timeoutMs?: number } = {},
): Promise<void> {
  const store = etcdStore(topo);
  if (!store) return;
  for (const [bin, pkg] of [
    [ETCD_BINARY, 'etcd-server'],
    ['/usr/bin/etcdctl', 'etcd-client'],
  ])
    if (!existsSync(bin))
      throw new EtcdMembersError(
        `topology ${topo.file}: controlPlane.store kind etcd needs ${bin} (Debian package ${pkg}; scripts/bootstrap.mjs installs it)`,
      );
  const token = `${topo.prefix}etcd`;
  await mkdir(dirname(paths.etcdData(store.members[0]!.name)), { recursive: true, mode: 0o700 });
  await chmod(dirname(paths.etcdData(store.members[0]!.name)), 0o700);
  for (const m of store.members) {
    const fw = await driver.exec(names.etcd(m.name), ['iptables-restore'], { input: memberFilter(store) });
    if (fw.exitCode !== 0)
      throw new EtcdMembersError(`iptables-restore in ${names.etcd(m.name)} failed: ${fw.stderr.trim()}`);
    const existing = state.processes[processKey(m)];
    if (existing && (await driver.alive([existing]))[0]) continue;
    const netns = names.etcd(m.name);
    await driver.script('proc-stop.sh', ['--all-in', netns]); // strays of a crashed run
    const dataDir = paths.etcdData(m.name);
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await chmod(dataDir, 0o700);
    const log = `${paths.logs}/${netns}.log`;
    const argv = etcdArgv(store, m, dataDir, token);
    const r = await driver.script('proc-start.sh', [netns, log, '--', ...argv]);
    state.processes[processKey(m)] = {
      pid: r.json.pid as number,
      startTime: r.json.startTime as number,
      netns,
      argv,
      log,
    };
    await save();
  }
  await waitHealthy(driver, names, store, opts.timeoutMs ?? 180_000);
}

/** Every member answers `etcdctl endpoint health` (which needs a leader: it does a quorum read). */
async function waitHealthy(driver: HostDriver, names: LabNames, store: StoreSpec, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const first = names.etcd(store.members[0]!.name);
  const endpoints = store.members.map(clientUrl).join(',');
  let last = '';
  for (;;) {
    const r = await driver
      .exec(first, ['etcdctl', '--endpoints', endpoints, '--command-timeout', '5s', 'endpoint', 'health'], {
        timeoutMs: 30_000,
      })
      .catch((err: Error) => ({ exitCode: -1, stdout: '', stderr: err.message }));
    if (r.exitCode === 0) return;
    last = (r.stderr || r.stdout).trim().split('\n').slice(-3).join('; ');
    if (Date.now() > deadline)
      throw new EtcdMembersError(
        `the etcd members (${endpoints}) are not healthy after ${timeoutMs / 1000} s: ${last}`,
      );
    await new Promise((r) => setTimeout(r, 500));
  }
}
