// `kubewire controller-manager [--kubeconfig PATH] [--identity ID] [--controllers a,b] [--no-leader-elect]
//  [--lease-duration MS] [--renew-deadline MS] [--retry-period MS] [--lb-pool RANGE]...`
// kube-controller-manager alone, for tests and manual tries (hidden: `kubewire serve` composes it).
// Runs until SIGINT/SIGTERM; then it releases its Lease so a standby takes over at once.
import { join } from 'node:path';
import { apiserverStateDir, labStateDir } from '../../cluster/apiserver/state-dir.js';
import { runControllerManager } from '../../cluster/controllers/run-controller-manager.js';
import { describeError } from '../../common/errors.js';

const USAGE =
  'usage: kubewire controller-manager [--kubeconfig PATH] [--identity ID] [--controllers a,b] [--no-leader-elect] [--lease-duration MS] [--renew-deadline MS] [--retry-period MS] [--lb-pool CIDR|FIRST-LAST]...';

export async function controllerManager(args: string[]): Promise<number> {
  let kubeconfig = join(apiserverStateDir(labStateDir()), 'admin.kubeconfig');
  let identity: string | undefined;
  let controllers: string[] | undefined;
  let leaderElect = true;
  const le: { leaseDurationMs?: number; renewDeadlineMs?: number; retryPeriodMs?: number } = {};
  const pool: string[] = [];
  const ms = (flag: string, v: string | undefined): number => {
    if (!v || !/^\d+$/.test(v)) throw new Error(`${flag} wants milliseconds, got '${v ?? ''}'`);
    return Number(v);
  };
  try {
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === '--kubeconfig') kubeconfig = args[++i] ?? '';
      else if (a === '--identity') identity = args[++i];
      else if (a === '--controllers') controllers = (args[++i] ?? '').split(',').filter(Boolean);
      else if (a === '--no-leader-elect') leaderElect = false;
      else if (a === '--lease-duration') le.leaseDurationMs = ms(a, args[++i]);
      else if (a === '--renew-deadline') le.renewDeadlineMs = ms(a, args[++i]);
      else if (a === '--retry-period') le.retryPeriodMs = ms(a, args[++i]);
      else if (a === '--lb-pool') pool.push(args[++i] ?? '');
      else throw new Error(`unknown argument '${a}'`);
    }
  } catch (err) {
    console.error(`kubewire controller-manager: ${describeError(err)}\n${USAGE}`);
    return 2;
  }
  const running = runControllerManager({
    kubeconfig,
    identity,
    controllers,
    leaderElection: leaderElect ? le : false,
    settings: pool.length ? { loadBalancerPool: pool } : {},
    log: (line) => console.error(line),
    onError: (err, context) => console.error(`controller-manager: ${context}: ${describeError(err)}`),
  });
  console.log(
    `controller-manager ${running.manager.identity} running (${leaderElect ? 'leader election on kube-system/kube-controller-manager' : 'no leader election'})`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await running.stop();
  return 0;
}
