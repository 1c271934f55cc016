// `kubewire cluster [--lab ID] [--state-dir DIR]`: the lab's control plane and node agents in one
// process (started detached by `up`; hidden from the usage text). 127.0.0.1:$KUBEWIRE_APISERVER_PORT
// (default 6443). Runs until SIGTERM/SIGINT, or until the lab's state folder is gone (reset).
import { existsSync, writeFileSync, renameSync } from 'node:fs';
import { ClusterDaemon } from '../../cluster/agents/cluster-daemon.js';
import { clusterInfoPath } from '../../cluster/agents/cluster-process.js';
import { imageStoreDir } from '../../runtime/images/oci-store.js';
import { openImageService } from '../../runtime/images/local-image-service.js';
import { RegistryPuller } from '../../runtime/images/registry-puller.js';
import { LabNames } from '../../runtime/lab/lab-names.js';
import { loadState } from '../../runtime/lab/lab-state.js';
import { labRegistry, publishToLabRegistry, readRegistries } from '../../runtime/lab/lab-registry-process.js';
import { nodeInitBinary, pauseBinary, scriptsDir } from '../../runtime/project-root.js';
import { labCommandSpec, makeRuntime, parseLabOptions, resolveLabName } from './lab-context.js';
import { apiserverPort } from './up.js';

const CLUSTER = labCommandSpec({
  command: 'cluster',
  usage: `usage: kubewire cluster [--lab ID] [--state-dir DIR]
  the lab's control plane and node agents in one process (started by up)`,
});

export async function cluster(args: string[]): Promise<number> {
  const o = parseLabOptions(CLUSTER, args);
  const lab = resolveLabName(o);
  const { driver, paths } = makeRuntime(o, lab);
  const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);
  // Signals are heard from the first instant: `up` returns once cluster.json exists, and a SIGTERM
  // sent right then (before a later handler) was lost while the start's helpers ran, leaving the
  // daemon running. One that comes during the start stops the daemon once it has started.
  const stopSignal = new StopSignal();
  // The machine's image store, shared by every lab: built-in images are built there at first use.
  // Pulls go to the lab's registry first (registries.json, written by `up`), then upstream.
  const registries = await readRegistries(paths);
  const images = await openImageService({
    dir: imageStoreDir(),
    puller: (store) => new RegistryPuller(store, registries ?? {}),
  });
  const daemon = new ClusterDaemon({
    paths,
    driver,
    images,
    pauseBinary: pauseBinary(),
    nodeInitBinary: nodeInitBinary(),
    scriptsDir: scriptsDir(),
    apiserverPort: apiserverPort(),
    anyPortIfBusy: process.env.KUBEWIRE_APISERVER_PORT === undefined,
    log,
  });
  await daemon.start();
  const info = clusterInfoPath(paths);
  writeFileSync(
    `${info}.tmp`,
    JSON.stringify({ pid: process.pid, url: daemon.apiserver.url, kubeconfig: daemon.apiserver.kubeconfigPath }) + '\n',
  );
  renameSync(`${info}.tmp`, info);
  log(`cluster of lab ${lab} is up: apiserver ${daemon.apiserver.url}, ${daemon.agents.size} nodes`);
  // The store's images into the lab's registry (once per machine: its storage is shared), after
  // the start, so they never delay it.
  const prefix = (await loadState(paths.state))?.prefix;
  if (registries && prefix)
    void publishToLabRegistry(labRegistry(paths, new LabNames(prefix)), images, imageStoreDir()).then(
      (n) => n && log(`lab registry: pushed ${n} image(s) from the store`),
      (e: unknown) => log(`lab registry: push failed: ${e instanceof Error ? e.message : String(e)}`),
    );
  const why = await stopSignal.wait(() => !existsSync(paths.state));
  log(`stopping (${why})`);
  await daemon.stop();
  log('stopped');
  return 0;
}

/**
 * SIGINT/SIGTERM, or a condition polled every 2 s: the first ends the wait. Whichever it is, the
 * timer and the handlers are undone (a timer left running kept the process alive after the daemon
 * stopped), and a second signal during the stop ends the process at once (the default action).
 */
class StopSignal {
  private reason: string | undefined;
  private wake: (() => void) | undefined;
  private readonly onInt = () => this.fire('SIGINT');
  private readonly onTerm = () => this.fire('SIGTERM');

  constructor() {
    process.on('SIGINT', this.onInt);
    process.on('SIGTERM', this.onTerm);
  }

  async wait(gone: () => boolean): Promise<string> {
    const t = setInterval(() => gone() && this.fire('the lab state is gone'), 2000);
    if (!this.reason) await new Promise<void>((resolve) => (this.wake = resolve));
    clearInterval(t);
    return this.reason!;
  }

  private fire(reason: string): void {
    this.reason ??= reason;
    process.off('SIGINT', this.onInt);
    process.off('SIGTERM', this.onTerm);
    this.wake?.();
  }
}
