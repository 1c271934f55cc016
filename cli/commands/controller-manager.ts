// `kubewire controller-manager [--kubeconfig PATH] [--identity ID] [--controllers a,b] [--no-leader-elect]
//  [--lease-duration MS] [--renew-deadline MS] [--retry-period MS] [--lb-pool RANGE]...
//  [--root-ca-file PATH] [--cluster-signing-cert-file PATH --cluster-signing-key-file PATH]
//  [--node-monitor-grace-period MS] [--node-monitor-period MS] [--exit-with-parent]`
// kube-controller-manager as its own process (hidden from the usage text): for tests, manual tries,
// and the replicas the cluster daemon runs when the topology asks for `controlPlane.replicas`.
// Runs until SIGINT/SIGTERM (or its parent's exit, with --exit-with-parent); then it releases its
// Lease so a standby takes over at once.
import { readFileSync } from 'node:fs';
import {
  controllerFactories,
  type ControllerName,
  type ControllerSettings,
} from '../../cluster/controllers/registry.js';
import { AddressPool } from '../../cluster/controllers/service/address-pool.js';
import { runControllerManager } from '../../cluster/controllers/run-controller-manager.js';
import { describeError, ValidationError } from '../../common/errors.js';
import { badFlag, parseCommandLine, shown, type CommandSpec, type FlagSpecs } from '../args.js';
import {
  COMPONENT_FLAGS,
  COMPONENT_FLAGS_USAGE,
  componentOptions,
  msFlag,
  stopRequested,
} from './component-process.js';

const CONTROLLER_MANAGER = {
  command: 'controller-manager',
  usage: `usage: kubewire controller-manager [--kubeconfig PATH] [--identity ID] [--controllers a,b] [--no-leader-elect] [--lease-duration MS] [--renew-deadline MS] [--retry-period MS] [--lb-pool CIDR|FIRST-LAST]... [--root-ca-file PATH] [--cluster-signing-cert-file PATH --cluster-signing-key-file PATH] [--node-monitor-grace-period MS] [--node-monitor-period MS] [--exit-with-parent]
  kube-controller-manager as its own process, until SIGINT/SIGTERM
${COMPONENT_FLAGS_USAGE}
  --controllers a,b     only these controllers (default: all)
  --lb-pool RANGE       LoadBalancer addresses, CIDR or FIRST-LAST, once per range
  --root-ca-file PATH   the CA published in each namespace's kube-root-ca.crt
  --cluster-signing-cert-file PATH --cluster-signing-key-file PATH   the CSR signer (both or neither)
  --node-monitor-grace-period MS   --node-monitor-period MS   the node lifecycle's timing`,
  flags: {
    ...COMPONENT_FLAGS,
    controllers: { type: 'string' },
    'lb-pool': { type: 'string', multiple: true },
    'root-ca-file': { type: 'string' },
    'cluster-signing-cert-file': { type: 'string' },
    'cluster-signing-key-file': { type: 'string' },
    'node-monitor-grace-period': { type: 'string' },
    'node-monitor-period': { type: 'string' },
  },
} as const satisfies CommandSpec<FlagSpecs>;

export async function controllerManager(args: string[]): Promise<number> {
  const spec = CONTROLLER_MANAGER;
  const { values: v } = parseCommandLine(spec, args);
  const { kubeconfig, identity, leaderElection, exitWithParent } = componentOptions(spec, v);
  const leaderElect = leaderElection !== false;
  const controllers = v.controllers?.split(',').filter(Boolean) as ControllerName[] | undefined;
  const known = Object.keys(controllerFactories);
  if (v.controllers !== undefined && !controllers?.length) throw badFlag(spec, 'controllers', 'names no controller');
  for (const c of controllers ?? [])
    if (!known.includes(c)) throw badFlag(spec, 'controllers', `${shown(c)} is not one of ${known.join(', ')}`);
  const pool = v['lb-pool'] ?? [];
  if (pool.length)
    try {
      new AddressPool(pool, '--lb-pool');
    } catch (err) {
      if (err instanceof ValidationError) throw badFlag(spec, 'lb-pool', err.problem);
      throw err;
    }
  const settings: ControllerSettings = {};
  if (v['node-monitor-grace-period'] !== undefined)
    settings.nodeLifecycle = {
      ...settings.nodeLifecycle,
      gracePeriodMs: msFlag(spec, 'node-monitor-grace-period', v['node-monitor-grace-period']),
    };
  if (v['node-monitor-period'] !== undefined)
    settings.nodeLifecycle = {
      ...settings.nodeLifecycle,
      monitorPeriodMs: msFlag(spec, 'node-monitor-period', v['node-monitor-period']),
    };
  const signCert = v['cluster-signing-cert-file'];
  const signKey = v['cluster-signing-key-file'];
  if (!signCert !== !signKey)
    throw badFlag(spec, 'cluster-signing-cert-file', 'and --cluster-signing-key-file go together');
  // The files last: every check of the command line's form first, then what the files hold.
  if (v['root-ca-file'] !== undefined) settings.rootCa = readFlagFile(spec, 'root-ca-file', v['root-ca-file']);
  if (signCert && signKey) {
    readFlagFile(spec, 'cluster-signing-cert-file', signCert);
    readFlagFile(spec, 'cluster-signing-key-file', signKey);
    settings.signer = { certFile: signCert, keyFile: signKey };
  }
  if (pool.length) settings.loadBalancerPool = pool;
  const log = (line: string) => console.error(`${new Date().toISOString()} ${line}`);
  const running = runControllerManager({
    kubeconfig,
    identity,
    controllers,
    leaderElection,
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

/** An empty path is the command line's fault (exit 2); a file that cannot be read is not (exit 1). */
function readFlagFile(spec: CommandSpec<FlagSpecs>, flag: string, path: string): string {
  if (!path) throw badFlag(spec, flag, 'wants a file');
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ValidationError(`kubewire ${spec.command} --${flag}`, `${path}: ${describeError(err)}`);
  }
}
