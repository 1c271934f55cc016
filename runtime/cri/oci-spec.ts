// OCI runtime-spec config.json for a pod's pause container and its app containers: what
// containerd's CRI plugin derives from a CRI config, written out for crun/runc. Pure: no I/O.
import type { ImageConfig } from '../images/image-service.js';
import type { ContainerConfig, LinuxResources, Mount, SecurityContext } from './cri-types.js';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** containerd's default capability set for an unprivileged container. */
export const DEFAULT_CAPS = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

const ALL_CAPS = [
  ...DEFAULT_CAPS,
  'CAP_DAC_READ_SEARCH',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_LEASE',
  'CAP_AUDIT_CONTROL',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
];

export interface OciNamespace {
  type: 'pid' | 'network' | 'ipc' | 'uts' | 'mount' | 'cgroup';
  path?: string;
}

export interface OciSpecInput {
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  hostname?: string;
  namespaces: OciNamespace[];
  cgroupsPath: string;
  mounts: Mount[];
  security?: SecurityContext;
  resources?: LinuxResources;
  readonlyRoot?: boolean;
  terminal?: boolean;
}

/** The argv a container runs: command/args of the pod over Entrypoint/Cmd of the image. */
export function containerArgv(c: Pick<ContainerConfig, 'command' | 'args'>, img: ImageConfig): string[] {
  if (c.command?.length) return [...c.command, ...(c.args ?? [])];
  const entry = img.entrypoint ?? [];
  const rest = c.args?.length ? c.args : (img.cmd ?? []);
  return [...entry, ...rest];
}

/** Image Env, then the pod's env (same name: the pod wins); PATH and HOSTNAME always present. */
export function containerEnv(
  imageEnv: string[] | undefined,
  podEnv: { name: string; value: string }[],
  hostname: string,
): string[] {
  const out = new Map<string, string>([['PATH', DEFAULT_PATH]]);
  for (const e of imageEnv ?? []) {
    const i = e.indexOf('=');
    if (i > 0) out.set(e.slice(0, i), e.slice(i + 1));
  }
  out.set('HOSTNAME', hostname);
  for (const e of podEnv) out.set(e.name, e.value);
  return [...out].map(([k, v]) => `${k}=${v}`);
}

function capabilities(sec: SecurityContext | undefined): string[] {
  if (sec?.privileged) return ALL_CAPS;
  const norm = (c: string) => (c.toUpperCase().startsWith('CAP_') ? c.toUpperCase() : `CAP_${c.toUpperCase()}`);
  const drop = new Set((sec?.capabilities?.drop ?? []).map(norm));
  const caps = drop.has('CAP_ALL') ? [] : DEFAULT_CAPS.filter((c) => !drop.has(c));
  for (const a of (sec?.capabilities?.add ?? []).map(norm)) {
    if (a === 'CAP_ALL') return ALL_CAPS;
    if (!caps.includes(a) && ALL_CAPS.includes(a)) caps.push(a);
  }
  return caps;
}

function linuxResources(r: LinuxResources | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (r?.memoryLimitBytes) out.memory = { limit: r.memoryLimitBytes, swap: r.memoryLimitBytes };
  const cpu: Record<string, number> = {};
  if (r?.cpuLimitMilli)
    Object.assign(cpu, { quota: Math.max(1000, Math.round(r.cpuLimitMilli * 100)), period: 100_000 });
  if (r?.cpuRequestMilli) cpu.shares = Math.max(2, Math.round((r.cpuRequestMilli * 1024) / 1000));
  if (Object.keys(cpu).length) out.cpu = cpu;
  return out;
}

/** The mounts every container gets (runc's and crun's defaults), then the pod's. */
function mounts(input: OciSpecInput): unknown[] {
  const privileged = !!input.security?.privileged;
  const base = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
    },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    {
      destination: '/dev/shm',
      type: 'tmpfs',
      source: 'shm',
      options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
    },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/sys',
      type: 'sysfs',
      source: 'sysfs',
      options: ['nosuid', 'noexec', 'nodev', privileged ? 'rw' : 'ro'],
    },
    {
      destination: '/sys/fs/cgroup',
      type: 'cgroup',
      source: 'cgroup',
      options: ['nosuid', 'noexec', 'nodev', 'relatime', privileged ? 'rw' : 'ro'],
    },
  ];
  const extra = input.mounts.map((m) => ({
    destination: m.containerPath,
    type: 'bind',
    source: m.hostPath,
    options: ['rbind', 'rprivate', m.readonly ? 'ro' : 'rw'],
  }));
  return [...base, ...extra];
}

export function ociSpec(input: OciSpecInput): Record<string, unknown> {
  const caps = capabilities(input.security);
  const privileged = !!input.security?.privileged;
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: !!input.terminal,
      user: { uid: input.uid, gid: input.gid },
      args: input.args,
      env: input.env,
      cwd: input.cwd || '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      noNewPrivileges: input.security?.allowPrivilegeEscalation === false,
      oomScoreAdj: 0,
    },
    root: { path: 'rootfs', readonly: !!input.readonlyRoot },
    ...(input.hostname ? { hostname: input.hostname } : {}),
    mounts: mounts(input),
    linux: {
      cgroupsPath: input.cgroupsPath,
      resources: { devices: [{ allow: privileged, access: 'rwm' }], ...linuxResources(input.resources) },
      namespaces: input.namespaces,
      ...(privileged
        ? {}
        : {
            maskedPaths: [
              '/proc/acpi',
              '/proc/asound',
              '/proc/kcore',
              '/proc/keys',
              '/proc/latency_stats',
              '/proc/timer_list',
              '/proc/timer_stats',
              '/proc/sched_debug',
              '/sys/firmware',
              '/proc/scsi',
            ],
            readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
          }),
    },
  };
}
