// Composition root of the UI server: wires node-pty, the lab's namespaces, the kernel topology
// reader, the call handlers and the HTTP/WebSocket server. `startUiApp` returns one disposer that
// closes every shell and stops everything it started.
import { existsSync, readFileSync } from 'node:fs';
import { SystemClock } from '../cluster/client/clock.js';
import { KubeClient } from '../cluster/client/kube-client.js';
import { KubeClusterSource, NoCluster, type ClusterSource } from './cluster/cluster-source.js';
import { restConfigFromKubeconfig } from './cluster/kubeconfig-reader.js';
import { ContainerTerminals } from './terminals/container-terminals.js';
import { ApiRuleFormats, NoRuleFormats, type RuleFormatSource } from './iptables/rule-formats.js';
import { GuideService } from './guide/guide-service.js';
import { cliLabEnvironment } from '../runtime/guide/cli-lab-environment.js';
import { LabRunner } from '../runtime/guide/lab-runner.js';
import { labsDir, scriptsDir } from '../runtime/project-root.js';
import { dirname, join } from 'node:path';
import { homedir } from 'node:os';
import { LearnerStore } from './learner/learner-store.js';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { ValidationError } from '../common/errors.js';
import { LAB_PREFIX } from '../common/lab-names.js';
import type { SessionInfo } from '../common/ui-contract.js';
import { createHandlers } from './api-handlers.js';
import { LabNamespaces } from './lab-namespaces.js';
import { runCommand } from './run-command.js';
import { CommandRecorder } from './terminals/command-recorder.js';
import { DEFAULT_MAX_TERMINALS, PtyTerminalHost, type PtySpawn } from './terminals/pty-terminal-host.js';
import { TerminalAttachments } from './terminals/terminal-attachments.js';
import { startShellReaper } from './terminals/shell-reaper.js';
import { KernelTopology } from './topology/kernel-topology.js';
import { CaptureStore, sweepStaleCaptureFolders } from './path/capture-store.js';
import { createPathHandlers, pcapDownload } from './path/path-handlers.js';
import { PathService } from './path/path-service.js';
import { UiServer, type RunningUiServer } from './ui-server.js';

export interface UiAppOptions {
  prefix: string;
  port?: number;
  token?: string;
  /** Where the built renderer is (dist/renderer). */
  staticDir?: string;
  topologyIntervalMs?: number;
  /** The pre-events path (a full read every topologyIntervalMs, default 500 ms): the benchmark's baseline. */
  topologyPolling?: boolean;
  /** How long the topology watch outlives the last page watching it (default 10 s; 0: at once). */
  topologyIdleStopMs?: number;
  netnsDir?: string;
  /** The lab apiserver's admin kubeconfig, for the cluster tables (absent: the view says so). */
  kubeconfig?: string;
  /** Guided labs (default: the project's labs/) and the lab state base they run with. */
  labsRoot?: string;
  stateBase?: string;
  /** The lab screen's per-user state file (default: $XDG_STATE_HOME or ~/.local/state, kubewire/ui-<prefix>state.json). */
  learnerStateFile?: string;
  /** Shells with no page attached are closed after this (default 30 s). */
  detachGraceMs?: number;
  /** Running shells at most (default DEFAULT_MAX_TERMINALS). */
  maxTerminals?: number;
  log?: (line: string) => void;
}

const here = dirname(fileURLToPath(import.meta.url));

export async function startUiApp(o: UiAppOptions): Promise<RunningUiServer> {
  if (!LAB_PREFIX.test(o.prefix))
    throw new ValidationError('lab prefix', `'${o.prefix}' is not a lab prefix (kw- or kw-<name>-)`);
  const log = o.log ?? ((l: string) => console.error(l));
  const session: SessionInfo = { version: packageVersion(), prefix: o.prefix, root: process.getuid?.() === 0 };
  const namespaces = new LabNamespaces(o.prefix, {
    netnsDir: o.netnsDir ?? '/run/netns',
    procDir: '/proc',
    run: runCommand,
  });
  // Keeps only what a learner can type in a session; older lines beyond the cap are not recorded.
  const recorder = new CommandRecorder({ prefix: o.prefix, now: Date.now, maxCommands: 2000 });
  const terminals = new PtyTerminalHost(loadPtySpawn(), {
    scrollbackChars: 256 * 1024,
    now: Date.now,
    killGraceMs: 1500,
    recorder,
    maxTerminals: o.maxTerminals ?? DEFAULT_MAX_TERMINALS,
  });
  // A reload reattaches within a second or two; a closed page's shells end after this.
  const attachments = new TerminalAttachments(terminals, { graceMs: o.detachGraceMs ?? 30_000, log });
  // Kernel events drive the topology; the full read every 15 s only catches what an event missed.
  const events = o.topologyPolling ? undefined : { netnsDir: o.netnsDir ?? '/run/netns', debounceMs: 15 };
  const topology = new KernelTopology({
    namespaces,
    run: runCommand,
    intervalMs: o.topologyIntervalMs ?? (events ? 15_000 : 500),
    // A reload comes back within a second or two: it finds the graph, not a cold read.
    idleStopMs: o.topologyIdleStopMs ?? 10_000,
    concurrency: 2,
    now: () => performance.now(),
    log,
    ...(events ? { events } : {}),
  });
  sweepStaleCaptureFolders();
  const captures = new CaptureStore({
    now: () => performance.now(),
    keep: 10,
    log,
    labExec: join(scriptsDir(), 'lab-exec.sh'),
  });
  // The composition root owns the process: if it exits without dispose, the captures still go.
  const onExit = (): void => captures.disposeSync();
  process.once('exit', onExit);
  const path = createPathHandlers(
    new PathService({ namespaces, run: runCommand, captures, now: () => performance.now() }),
  );
  const cluster = clusterSource(o.kubeconfig);
  const ruleFormats = ruleFormatSource(o.kubeconfig);
  const labsRoot = o.labsRoot ?? labsDir();
  const guide = new GuideService({
    labsRoot,
    runner: new LabRunner(cliLabEnvironment(o.prefix, o.stateBase), join(labsRoot, 'lib', 'lab.sh')),
    prefix: o.prefix,
    namespaceExists: (name) => existsSync(join(o.netnsDir ?? '/run/netns', name)),
    recorder,
  });
  const labExec = join(scriptsDir(), 'lab-exec.sh');
  const learner = new LearnerStore({ file: o.learnerStateFile ?? defaultLearnerFile(o.prefix), now: Date.now, log });
  const containers = o.kubeconfig
    ? new ContainerTerminals({
        prefix: o.prefix,
        kubeconfig: o.kubeconfig,
        cliMain: join(here, '..', 'cli', 'main.js'),
        namespaces,
        terminals,
        env: process.env,
      })
    : undefined;
  const handlers = createHandlers({
    session,
    namespaces,
    terminals,
    topology,
    run: runCommand,
    env: process.env,
    path,
    cluster,
    guide,
    ruleFormats,
    labExec,
    learner,
    ...(containers ? { containers } : {}),
  });
  const server = new UiServer({
    handlers,
    terminals,
    attachments,
    topology,
    cluster,
    session,
    staticDir: o.staticDir ?? join(here, '..', 'renderer'),
    port: o.port ?? 0,
    token: o.token,
    log,
    download: (pathname) => pcapDownload(captures, pathname),
  });
  const running = await server.start();
  const stopReaper = startShellReaper({ terminals, namespaces, intervalMs: 1000, log });
  return {
    ...running,
    dispose: async () => {
      stopReaper();
      attachments.dispose();
      await running.dispose();
      topology.close(); // its sockets hold the lab's namespaces: not a moment longer than the server
      await terminals.dispose();
      await captures.dispose();
      process.off('exit', onExit);
    },
  };
}

/** Per user, beside other apps' state (XDG base directory spec), one file per lab prefix. */
function defaultLearnerFile(prefix: string, env = process.env): string {
  const base =
    env.XDG_STATE_HOME && env.XDG_STATE_HOME.startsWith('/') ? env.XDG_STATE_HOME : join(homedir(), '.local', 'state');
  return join(base, 'kubewire', `ui-${prefix}state.json`);
}

function clusterSource(kubeconfig: string | undefined): ClusterSource {
  if (!kubeconfig) return new NoCluster('no apiserver configured (kubewire serve --kubeconfig PATH)');
  if (!existsSync(kubeconfig)) return new NoCluster(`no kubeconfig at ${kubeconfig}: is the lab's apiserver running?`);
  const config = restConfigFromKubeconfig(readFileSync(kubeconfig, 'utf8'), kubeconfig);
  return new KubeClusterSource(new KubeClient({ ...config, timeoutMs: 10_000 }), {
    clock: new SystemClock(),
    server: config.server,
    debounceMs: 150,
  });
}

function ruleFormatSource(kubeconfig: string | undefined): RuleFormatSource {
  if (!kubeconfig || !existsSync(kubeconfig))
    return new NoRuleFormats('no apiserver configured (kubewire serve --kubeconfig PATH)');
  const config = restConfigFromKubeconfig(readFileSync(kubeconfig, 'utf8'), kubeconfig);
  return new ApiRuleFormats(new KubeClient({ ...config, timeoutMs: 10_000 }));
}

function loadPtySpawn(): PtySpawn {
  // node-pty is CommonJS with a native addon.
  const pty = createRequire(import.meta.url)('node-pty') as { spawn: PtySpawn };
  return (file, args, opts) => pty.spawn(file, args, opts);
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(here, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
