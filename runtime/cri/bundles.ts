// The OCI bundles the runtime hands crun: a sandbox's (the pause process in the pod's network
// namespace with fresh IPC, UTS and PID namespaces, its /etc files) and a container's (its
// process, user, mounts and limits from the image and the CRI config, joining the sandbox's
// namespaces), each a folder with config.json and the overlay folders container-create.sh mounts.
import { chmodSync, copyFileSync, existsSync, mkdirSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeFifo } from './container-log.js';
import type { ContainerRecord, SandboxRecord } from './cri-store.js';
import { RuntimeError, type ContainerConfig, type PodSandboxConfig } from './cri-types.js';
import { resolveUser } from './image-user.js';
import { containerArgv, containerEnv, ociSpec, type OciNamespace } from './oci-spec.js';

/** Writes sandbox `id`'s bundle in `dir`; returns the pod's cgroup parent under the node's cgroup. */
export function writeSandboxBundle(dir: string, id: string, cfg: PodSandboxConfig, nodeCgroup: string): string {
  mkdirSync(join(dir, 'etc'), { recursive: true, mode: 0o755 });
  for (const d of BUNDLE_DIRS) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, 'etc', 'hosts'), cfg.etc.hosts);
  writeFileSync(join(dir, 'etc', 'resolv.conf'), cfg.etc.resolvConf);
  writeFileSync(join(dir, 'etc', 'hostname'), cfg.etc.hostname);
  const cgroupParent = `${nodeCgroup}/pod${cfg.uid.replace(/[^a-zA-Z0-9-]/g, '')}`;
  const namespaces: OciNamespace[] = [
    { type: 'network', path: cfg.netnsPath },
    { type: 'ipc' },
    { type: 'uts' },
    { type: 'pid' },
    { type: 'mount' },
  ];
  const spec = ociSpec({
    args: ['/pause'],
    env: [`PATH=/`],
    cwd: '/',
    uid: 0,
    gid: 0,
    hostname: cfg.hostname,
    namespaces,
    cgroupsPath: `${cgroupParent}/${id}`,
    mounts: [],
    readonlyRoot: false,
    security: { capabilities: { drop: ['ALL'] } },
  });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(spec));
  return cgroupParent;
}

/**
 * Writes a new container's bundle in `dir` and returns its record (not yet stored): with
 * `targetPid` (an ephemeral container's --target) it joins that process's PID namespace, with
 * `console` its process gets a terminal of that size.
 */
export async function writeContainerBundle(
  dir: string,
  id: string,
  sb: SandboxRecord,
  cfg: ContainerConfig,
  o: { etcDir: string; targetPid?: number; console?: { cols: number; rows: number } },
): Promise<ContainerRecord> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const d of BUNDLE_DIRS) mkdirSync(join(dir, d), { recursive: true });
  const img = cfg.image;
  const sec = cfg.securityContext ?? {};
  const user = await resolveUser(img, sec);
  const argv = containerArgv(cfg, img.config);
  if (!argv.length) throw new RuntimeError(`container ${cfg.name}: no command (the image has no Entrypoint or Cmd)`);
  const ns = (t: 'network' | 'ipc' | 'uts' | 'pid') => ({
    type: t,
    path: `/proc/${sb.pid}/ns/${t === 'network' ? 'net' : t}`,
  });
  const pidNamespace: OciNamespace = o.targetPid
    ? { type: 'pid', path: `/proc/${o.targetPid}/ns/pid` }
    : sb.shareProcessNamespace
      ? ns('pid')
      : { type: 'pid' };
  const namespaces: OciNamespace[] = [
    ns('network'),
    ns('ipc'),
    ns('uts'),
    pidNamespace,
    { type: 'mount' },
    { type: 'cgroup' },
  ];
  const etc = o.etcDir;
  const cgroupsPath = `${sb.cgroupParent}/${id}`;
  const spec = ociSpec({
    args: argv,
    env: containerEnv(img.config.env, cfg.env, sb.hostname),
    cwd: cfg.workingDir || img.config.workingDir || '/',
    uid: user.uid,
    gid: user.gid,
    namespaces,
    cgroupsPath,
    mounts: [
      { containerPath: '/etc/hosts', hostPath: join(etc, 'hosts') },
      { containerPath: '/etc/resolv.conf', hostPath: join(etc, 'resolv.conf') },
      { containerPath: '/etc/hostname', hostPath: join(etc, 'hostname') },
      ...cfg.mounts,
    ],
    security: sec,
    resources: cfg.resources ?? {},
    readonlyRoot: !!sec.readOnlyRootFilesystem,
    ...(o.console ? { terminal: true } : {}),
  });
  if (o.console && o.console.cols > 0 && o.console.rows > 0)
    (spec.process as Record<string, unknown>).consoleSize = { width: o.console.cols, height: o.console.rows };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(spec));
  const rec: ContainerRecord = {
    id,
    podSandboxId: sb.id,
    name: cfg.name,
    image: img.ref,
    imageId: img.id,
    argv,
    user,
    createdAt: Date.now(),
    cgroupsPath,
    logPath: join(sb.logDirectory, cfg.logPath),
    labels: cfg.labels ?? {},
    annotations: cfg.annotations ?? {},
    ...(img.config.stopSignal ? { stopSignal: img.config.stopSignal } : {}),
  };
  return rec;
}

/** A root filesystem holding only the static pause binary (what the pause image is). */
export function pauseRootfs(stateDir: string, pauseBinary: string): string {
  const dir = join(stateDir, 'pause-rootfs');
  if (!existsSync(join(dir, 'pause'))) {
    mkdirSync(dir, { recursive: true });
    for (const d of ['proc', 'dev', 'sys', 'etc']) mkdirSync(join(dir, d), { recursive: true });
    copyFileSync(pauseBinary, join(dir, 'pause.tmp'));
    chmodSync(join(dir, 'pause.tmp'), 0o755);
    renameSync(join(dir, 'pause.tmp'), join(dir, 'pause'));
  }
  return dir;
}

/** The bundle's overlay folders, made here so container-create.sh needs no mkdir(1). */
const BUNDLE_DIRS = ['rootfs', 'upper', 'work'];

/**
 * The stdin FIFO: `fd` is what the container gets. Opened read-write (a writer that never goes
 * away); with `once`, read-only, and `hold` is the writer this runtime keeps until the first
 * attach with input ends (opened first, so the read-only open does not wait for a writer).
 */
export async function openStdinFifo(bundle: string, once: boolean): Promise<{ fd: number; hold?: number }> {
  const path = join(bundle, 'stdin.fifo');
  await makeFifo(path);
  if (!once) return { fd: openSync(path, 'r+') };
  const hold = openSync(path, 'r+');
  return { fd: openSync(path, 'r'), hold };
}
