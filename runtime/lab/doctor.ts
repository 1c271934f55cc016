// `doctor`: are the prerequisites present (commands, CNI plugins, kernel features, the built
// pause), does any process carry the mark of a lab that is not running, and does the host's root
// namespace still match the snapshot taken before the first `up`? Changes nothing on the host
// (kernel features are probed inside throwaway network namespaces).
import { access, constants, readFile } from 'node:fs/promises';
import { execa } from 'execa';
import type { HostDriver } from '../host/host-driver.js';
import { diffSnapshots, takeHostSnapshot, type HostSnapshot } from './host-snapshot.js';
import { trackingHierarchy } from './lab-cgroup.js';
import { orphanProcesses, type MarkedProcess } from './lab-orphans.js';
import { LabOwners } from './lab-owners.js';

export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface DoctorReport {
  checks: DoctorCheck[];
  /** Processes with a lab's mark whose lab is not running (`reset --all` ends them). */
  orphans: MarkedProcess[];
  /** Differences of the host namespace from the snapshot; undefined when no snapshot exists. */
  hostDiff?: string[];
  snapshotTakenAt?: string;
}

const COMMANDS = [
  'ip',
  'bridge',
  'brctl',
  'socat',
  'iptables',
  'iptables-restore',
  'iptables-save',
  'nsenter',
  'unshare',
  'setsid',
  'sysctl',
  'ping',
  'traceroute',
  'curl',
  'tcpdump',
  'conntrack',
  'shellcheck',
];
const CNI_PLUGINS = ['bridge', 'host-local', 'loopback'];
/** Link kinds the lab makes, with the `ip link add` arguments that make a throwaway one. */
const KERNEL_LINKS: [string, string[]][] = [
  ['veth', ['name', 'kwprobe0', 'type', 'veth', 'peer', 'name', 'kwprobe1']],
  ['bridge', ['name', 'kwprobe2', 'type', 'bridge']],
  ['vxlan', ['name', 'kwprobe3', 'type', 'vxlan', 'id', '1', 'dstport', '8472']],
];

/**
 * Can the kernel make this kind of link? A module built into the kernel may have no
 * /sys/module entry and no modules.builtin (veth here), so the answer is to make one, in a
 * network namespace of its own that vanishes with the probe: the host's is never touched.
 */
export async function probeLink(args: string[]): Promise<{ ok: boolean; detail: string }> {
  const r = await execa('unshare', ['--net', '--', 'ip', 'link', 'add', ...args], { reject: false });
  return r.exitCode === 0
    ? { ok: true, detail: 'works (made one in a throwaway namespace)' }
    : { ok: false, detail: `not available: ${(r.stderr || r.stdout).trim().slice(0, 120)}` };
}

export async function runDoctor(
  driver: HostDriver,
  opts: { snapshotPath: string; pauseBinary: string; cniPath?: string; orphans?: () => MarkedProcess[] },
): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [];
  const executable = async (p: string) =>
    access(p, constants.X_OK).then(
      () => true,
      () => false,
    );
  checks.push({
    name: 'running as root',
    ok: process.getuid?.() === 0,
    detail: 'namespaces and links need root (sudo)',
  });
  const major = Number(process.versions.node.split('.')[0]);
  checks.push({ name: 'node >= 20', ok: major >= 20, detail: `node ${process.versions.node}` });
  for (const c of COMMANDS) {
    const r = await execa('sh', ['-c', 'command -v "$1"', 'sh', c], { reject: false });
    checks.push({ name: `command ${c}`, ok: r.exitCode === 0, detail: r.stdout.trim() || 'missing' });
  }
  const cniPath = opts.cniPath ?? '/usr/lib/cni';
  for (const p of CNI_PLUGINS) {
    const ok = await executable(`${cniPath}/${p}`);
    checks.push({
      name: `CNI plugin ${p}`,
      ok,
      detail: ok ? `${cniPath}/${p}` : `missing (Debian package containernetworking-plugins)`,
    });
  }
  for (const [kind, args] of KERNEL_LINKS) {
    const r = await probeLink(args);
    checks.push({ name: `kernel ${kind}`, ...r });
  }
  const pauseOk = await executable(opts.pauseBinary);
  checks.push({
    name: 'pause built',
    ok: pauseOk,
    detail: pauseOk ? opts.pauseBinary : `${opts.pauseBinary} missing: run npm run build`,
  });

  const orphans = (opts.orphans ?? (() => orphanProcesses(trackingHierarchy(), new LabOwners())))();
  checks.push({
    name: 'no orphaned lab processes',
    ok: orphans.length === 0,
    detail: orphans.length
      ? `${orphans.length} marked processes of no running lab (listed below; kubewire reset --all ends them)`
      : 'none',
  });

  let before: HostSnapshot | undefined;
  try {
    before = JSON.parse(await readFile(opts.snapshotPath, 'utf8')) as HostSnapshot;
  } catch {
    before = undefined;
  }
  if (!before) return { checks, orphans };
  const now = await takeHostSnapshot(driver);
  return { checks, orphans, hostDiff: diffSnapshots(before, now), snapshotTakenAt: before.takenAt };
}
