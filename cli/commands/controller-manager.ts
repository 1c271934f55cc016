// `kubewire controller-manager [--kubeconfig PATH] [--identity ID] [--controllers a,b] [--no-leader-elect]
//  [--lease-duration MS] [--renew-deadline MS] [--retry-period MS] [--lb-pool RANGE]...
//  [--root-ca-file PATH] [--cluster-signing-cert-file PATH --cluster-signing-key-file PATH]
//  [--node-monitor-grace-period MS] [--node-monitor-period MS] [--exit-with-parent]`
// kube-controller-manager as its own process (hidden from the usage text): for tests, manual tries,
// and the replicas the cluster daemon runs when the topology asks for `controlPlane.replicas`.
// Runs until SIGINT/SIGTERM (or its parent's exit, with --exit-with-parent); then it releases its
// Lease so a standby takes over at once.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiserverStateDir, labStateDir } from '../../cluster/apiserver/state-dir.js';
import type { ControllerName, ControllerSettings } from '../../cluster/controllers/registry.js';
import { runControllerManager } from '../../cluster/controllers/run-controller-manager.js';
import { describeError } from '../../common/errors.js';
import { leaderElectionFlag, msFlag, stopRequested, type LeaderElectionFlags } from './component-process.js';

const USAGE =
  'usage: kubewire controller-manager [--kubeconfig PATH] [--identity ID] [--controllers a,b] [--no-leader-elect] [--lease-duration MS] [--renew-deadline MS] [--retry-period MS] [--lb-pool CIDR|FIRST-LAST]... [--root-ca-file PATH] [--cluster-signing-cert-file PATH --cluster-signing-key-file PATH] [--node-monitor-grace-period MS] [--node-monitor-period MS] [--exit-with-parent]';

export async function controllerManager(args: string[]): Promise<number> {
  let kubeconfig = join(apiserverStateDir(labStateDir()), 'admin.kubeconfig');
  let identity: string | undefined;
  let controllers: ControllerName[] | undefined;
  let leaderElect = true;
  let exitWithParent = false;
  const le: LeaderElectionFlags = {};
  const pool: string[] = [];
  const settings: ControllerSettings = {};
  let signCert: string | undefined;
  let signKey: string | undefined;
  try {
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      const used = leaderElectionFlag(args, i, le);
      if (used) i += used - 1;
      else if (a === '--kubeconfig') kubeconfig = args[++i] ?? '';
      else if (a === '--identity') identity = args[++i];
      else if (a === '--controllers') controllers = (args[++i] ?? '').split(',').filter(Boolean);
      else if (a === '--no-leader-elect') leaderElect = false;
      else if (a === '--lb-pool') pool.push(args[++i] ?? '');
      else if (a === '--root-ca-file') settings.rootCa = readFlagFile(a, args[++i]);
      else if (a === '--cluster-signing-cert-file') signCert = args[++i];
      else if (a === '--cluster-signing-key-file') signKey = args[++i];
      else if (a === '--node-monitor-grace-period')
        settings.nodeLifecycle = { ...settings.nodeLifecycle, gracePeriodMs: msFlag(a, args[++i]) };
      else if (a === '--node-monitor-period')
        settings.nodeLifecycle = { ...settings.nodeLifecycle, monitorPeriodMs: msFlag(a, args[++i]) };
      else if (a === '--exit-with-parent') exitWithParent = true;
      else throw new Error(`unknown argument '${a}'`);
    }
    if (!signCert !== !signKey)
      throw new Error('--cluster-signing-cert-file and --cluster-signing-key-file go together');
    if (signCert && signKey) {
      readFlagFile('--cluster-signing-cert-file', signCert);
      readFlagFile('--cluster-signing-key-file', signKey);
      settings.signer = { certFile: signCert, keyFile: signKey };
    }
    if (identity !== undefined && !/^[A-Za-z0-9._:-]{1,253}$/.test(identity))
      throw new Error(`--identity ${JSON.stringify(identity)}: letters, digits, '.', '_', ':' and '-' only`);
  } catch (err) {
    console.error(`kubewire controller-manager: ${describeError(err)}\n${USAGE}`);
    return 2;
  }
  if (pool.length) settings.loadBalancerPool = pool;
  const log = (line: string) => console.error(`${new Date().toISOString()} ${line}`);
  const running = runControllerManager({
    kubeconfig,
    identity,
    controllers,
    leaderElection: leaderElect ? le : false,
    settings,
    log,
    onError: (err, context) => log(`controller-manager: ${context}: ${describeError(err)}`),
  });
  log(
    `controller-manager ${running.manager.identity} running (pid ${process.pid}, ${leaderElect ? 'leader election on kube-system/kube-controller-manager' : 'no leader election'})`,
  );
  const why = await stopRequested({ exitWithParent });
  log(`stopping (${why})`);
  await running.stop();
  return 0;
}

function readFlagFile(flag: string, path: string | undefined): string {
  if (!path) throw new Error(`${flag} wants a file`);
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${flag} ${path}: ${describeError(err)}`);
  }
}
