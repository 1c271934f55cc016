// The lab's etcd members for `kubewire status` (topology controlPlane.store kind etcd): each member
// as the state records it (name, namespace, peer and client URL, process) and as etcd itself
// answers in its namespace — `etcdctl endpoint status` (its member id and the leader it knows) and
// `endpoint health` (etcd's /health: a quorum read, so a member without a leader is not healthy).
// Reads only; a member that does not answer is listed as such, with etcdctl's complaint.
import type { HostDriver } from '../host/host-driver.js';
import { clientUrl, etcdStore, peerUrl, processKey } from './etcd-members.js';
import { LabNames } from './lab-names.js';
import type { LabState } from './lab-state.js';

export interface EtcdMemberStatus {
  name: string;
  netns: string;
  peerURL: string;
  clientURL: string;
  pid?: number;
  /** The recorded process is still that process. */
  alive: boolean;
  /** etcd's member id (hex), when it answered. */
  id?: string;
  /** It answered and names itself as the leader. */
  leader: boolean;
  /** etcd's own health check passed. */
  healthy: boolean;
  raftTerm?: number;
  revision?: number;
  /** Why it is not healthy, in etcdctl's words. */
  error?: string;
}

const TIMEOUT = ['--command-timeout', '3s', '--dial-timeout', '2s'];

export async function etcdMembersStatus(driver: HostDriver, state: LabState): Promise<EtcdMemberStatus[]> {
  const store = etcdStore(state.topology);
  if (!store) return [];
  const names = new LabNames(state.prefix);
  return Promise.all(
    store.members.map(async (m): Promise<EtcdMemberStatus> => {
      const netns = names.etcd(m.name);
      const proc = state.processes[processKey(m)];
      const alive = proc ? (await driver.alive([proc]))[0]! : false;
      const row: EtcdMemberStatus = {
        name: m.name,
        netns,
        peerURL: peerUrl(m),
        clientURL: clientUrl(m),
        ...(proc ? { pid: proc.pid } : {}),
        alive,
        leader: false,
        healthy: false,
      };
      if (!alive) return { ...row, error: proc ? 'not running' : 'no process recorded' };
      const etcdctl = (args: string[]) =>
        driver
          .exec(netns, ['etcdctl', '--endpoints', clientUrl(m), ...TIMEOUT, ...args, '-w', 'json'], {
            timeoutMs: 15_000,
          })
          .catch((err: Error) => ({ exitCode: -1, stdout: '', stderr: err.message }));
      const [status, health] = await Promise.all([etcdctl(['endpoint', 'status']), etcdctl(['endpoint', 'health'])]);
      if (status.exitCode === 0) {
        // Member ids are uint64: read as digits, not as JSON numbers (which hold 53 bits).
        const id = /"member_id":(\d+)/.exec(status.stdout)?.[1];
        const leader = /"leader":(\d+)/.exec(status.stdout)?.[1];
        const term = /"raft_term":(\d+)/.exec(status.stdout)?.[1];
        const rev = /"revision":(\d+)/.exec(status.stdout)?.[1];
        if (id) row.id = BigInt(id).toString(16);
        row.leader = !!id && id === leader;
        if (term) row.raftTerm = Number(term);
        if (rev) row.revision = Number(rev);
      }
      row.healthy = health.exitCode === 0 && /"health":true/.test(health.stdout);
      if (!row.healthy) {
        const why = /"error":"([^"]*)"/.exec(health.stdout)?.[1] ?? (health.stderr || status.stderr).trim();
        row.error = why.split('\n').slice(-1)[0] || 'unhealthy';
      }
      return row;
    }),
  );
}

export function formatEtcdMembers(members: EtcdMemberStatus[]): string {
  const lines = [
    'ETCD MEMBER  NETNS                        PEER URL                    CLIENT URL                  LEADER  HEALTHY',
  ];
  for (const m of members)
    lines.push(
      `${m.name.padEnd(12)} ${m.netns.padEnd(28)} ${m.peerURL.padEnd(27)} ${m.clientURL.padEnd(27)} ${(m.leader ? 'yes' : 'no').padEnd(7)} ${m.healthy ? 'yes' : `no (${m.error ?? 'unhealthy'})`}`,
    );
  return lines.join('\n');
}
