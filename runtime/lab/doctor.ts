// `doctor`: are the prerequisites present (commands, CNI plugins, kernel features, the built
// pause), and does the host's root namespace still match the snapshot taken before the first
// `up`? Reads only.
import { access, constants, readFile } from 'node:fs/promises';
import { execa } from 'execa';
import type { HostDriver } from '../host/host-driver.js';
import { diffSnapshots, takeHostSnapshot, type HostSnapshot } from './host-snapshot.js';

export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface DoctorReport {
  checks: DoctorCheck[];
  /** Differences of the host namespace from the snapshot; undefined when no snapshot exists. */
  hostDiff?: string[];
  snapshotTakenAt?: string;
}

const COMMANDS = ['ip', 'bridge', 'iptables', 'iptables-restore', 'iptables-save', 'nsenter', 'unshare', 'setsid', 'sysctl', 'ping', 'traceroute', 'curl', 'tcpdump', 'conntrack', 'shellcheck'];
const CNI_PLUGINS = ['bridge', 'host-local', 'loopback'];
const KERNEL_MODULES = ['vxlan', 'veth', 'bridge'];

export async function runDoctor(driver: HostDriver, opts: { snapshotPath: string; pauseBinary: string; cniPath?: string }): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [];
  const executable = async (p: string) => access(p, constants.X_OK).then(() => true, () => false);
  checks.push({ name: 'running as root', ok: process.getuid?.() === 0, detail: 'namespaces and links need root (sudo)' });
  const major = Number(process.versions.node.split('.')[0]);
  checks.push({ name: 'node >= 20', ok: major >= 20, detail: `node ${process.versions.node}` });
  for (const c of COMMANDS) {
    const r = await execa('sh', ['-c', 'command -v "$1"', 'sh', c], { reject: false });
    checks.push({ name: `command ${c}`, ok: r.exitCode === 0, detail: r.stdout.trim() || 'missing' });
  }
  const cniPath = opts.cniPath ?? '/usr/lib/cni';
  for (const p of CNI_PLUGINS) {
    const ok = await executable(`${cniPath}/${p}`);
    checks.push({ name: `CNI plugin ${p}`, ok, detail: ok ? `${cniPath}/${p}` : `missing (Debian package containernetworking-plugins)` });
  }
  const builtin = await readFile(`/lib/modules/${(await execa('uname', ['-r'])).stdout}/modules.builtin`, 'utf8').catch(() => '');
  for (const m of KERNEL_MODULES) {
    const loaded = await access(`/sys/module/${m}`).then(() => true, () => false);
    const dry = loaded ? undefined : await execa('modprobe', ['-n', m], { reject: false });
    const ok = loaded || builtin.includes(`/${m}.ko`) || dry?.exitCode === 0;
    checks.push({ name: `kernel ${m}`, ok, detail: loaded ? 'loaded' : ok ? 'available' : 'not available' });
  }
  const pauseOk = await executable(opts.pauseBinary);
  checks.push({ name: 'pause built', ok: pauseOk, detail: pauseOk ? opts.pauseBinary : `${opts.pauseBinary} missing: run npm run build` });

  let before: HostSnapshot | undefined;
  try {
    before = JSON.parse(await readFile(opts.snapshotPath, 'utf8')) as HostSnapshot;
  } catch {
    before = undefined;
  }
  if (!before) return { checks };
  const now = await takeHostSnapshot(driver);
  return { checks, hostDiff: diffSnapshots(before, now), snapshotTakenAt: before.takenAt };
}
