// The lab's image registry as part of `up`: Debian's docker-registry on the loopback of the lab's
// own namespace <prefix>registry (never the host's: nothing listens in the root namespace), its
// storage shared by every lab of the machine (next to the image store, so the built-ins are pushed
// once), and a socat relay from a Unix socket in the lab's state folder, through which the
// kubelets — in the cluster process, in the host's namespace — pull. Both processes start through
// proc-start.sh, so they carry the lab's cgroup mark and reset ends them even after a kill -9.
// `up` then writes registries.json: docker.io (and registry.k8s.io) mirrored by this registry
// first, the real registry after it — so on a machine with Internet access a user's own images
// (Docker Hub …) still pull, and here the lab's registry answers for the images it holds.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { HostDriver } from '../host/host-driver.js';
import { LabRegistry, type RegistryProcesses } from '../images/lab-registry.js';
import type { ImageService } from '../images/image-service.js';
import { imageStoreDir } from '../images/oci-store.js';
import type { RegistryConfig } from '../images/registry-puller.js';
import type { LabNames } from './lab-names.js';
import type { LabPaths } from './lab-paths.js';
import type { LabState, ProcessRecord } from './lab-state.js';

export const REGISTRY_ADDRESS = '127.0.0.1';
export const REGISTRY_PORT = 5000;
/** Registries whose pulls go to the lab's registry first. */
export const MIRRORED = ['docker.io', 'registry.k8s.io'];
const KEYS = ['registry', 'registry-relay'] as const;

/** The registry's storage: shared by the machine's labs, beside the image store. */
export function registryDataDir(): string {
  return join(dirname(imageStoreDir()), 'registry');
}

export function registriesFile(paths: LabPaths): string {
  return join(paths.dir, 'registries.json');
}

/** The lab's registry object (started or not): the same options `up` used. */
export function labRegistry(paths: LabPaths, names: LabNames, processes?: RegistryProcesses): LabRegistry {
  return new LabRegistry({
    netns: names.registry,
    address: REGISTRY_ADDRESS,
    port: REGISTRY_PORT,
    dir: join(paths.dir, 'registry'),
    dataDir: registryDataDir(),
    ...(processes ? { processes } : {}),
  });
}

/** Processes through proc-start.sh (lab cgroup mark), each recorded in `into` under its key. */
function markedProcesses(driver: HostDriver, into: Record<string, ProcessRecord>): RegistryProcesses {
  let i = 0;
  return {
    async start(netns, log, argv) {
      const r = await driver.script('proc-start.sh', [netns, log, '--', ...argv]);
      const rec: ProcessRecord = {
        pid: r.json.pid as number,
        startTime: r.json.startTime as number,
        netns,
        argv,
        log,
      };
      into[KEYS[i++] ?? `registry-${i}`] = rec;
      return { stop: () => driver.script('proc-stop.sh', [`${rec.pid}:${rec.startTime}`]).then(() => undefined) };
    },
  };
}

/**
 * Starts the registry unless it runs; writes registries.json. The namespace must exist (marked);
 * `fresh`: the caller has just created it, so no crashed run can have left a process inside.
 */
export async function ensureLabRegistry(
  driver: HostDriver,
  paths: LabPaths,
  names: LabNames,
  state: LabState,
  opts: { fresh?: boolean } = {},
): Promise<void> {
  const running = KEYS.map((k) => state.processes[k]);
  const alive = running.every((p) => !!p) && (await driver.alive(running as ProcessRecord[])).every(Boolean);
  if (!alive || !existsSync(labRegistry(paths, names).socketPath)) {
    if (!opts.fresh) await driver.script('proc-stop.sh', ['--all-in', names.registry]); // strays of a crashed run
    for (const k of KEYS) delete state.processes[k];
    const started: Record<string, ProcessRecord> = {};
    try {
      await labRegistry(paths, names, markedProcesses(driver, started)).start();
    } finally {
      Object.assign(state.processes, started);
    }
  }
  const endpoint = labRegistry(paths, names).endpoint();
  const config: RegistryConfig = {
    mirrors: Object.fromEntries(MIRRORED.map((r) => [r, [endpoint]])),
    upstream: true,
  };
  await writeFile(registriesFile(paths), JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
}

/** registries.json of a lab, if its `up` wrote one. */
export async function readRegistries(paths: LabPaths): Promise<RegistryConfig | undefined> {
  try {
    return JSON.parse(await readFile(registriesFile(paths), 'utf8')) as RegistryConfig;
  } catch {
    return undefined;
  }
}

/**
 * Pushes the store's images of the mirrored registries that the lab's registry lacks (skopeo,
 * inside the registry's namespace); returns how many it pushed.
 */
export async function publishToLabRegistry(
  registry: LabRegistry,
  images: ImageService,
  storeDir: string,
): Promise<number> {
  let pushed = 0;
  for (const img of await images.list()) {
    for (const ref of img.refs) {
      if (!MIRRORED.some((r) => ref.startsWith(`${r}/`)) || ref.includes('@')) continue;
      if (await registry.has(ref)) continue;
      await registry.push(storeDir, [ref]);
      pushed++;
    }
  }
  return pushed;
}
