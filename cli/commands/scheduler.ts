// `kubewire scheduler [--kubeconfig PATH] [--identity ID] [--no-leader-elect] [--lease-duration MS]
//  [--renew-deadline MS] [--retry-period MS] [--exit-with-parent]`
// kube-scheduler as its own process: a client of the apiserver through its kubeconfig, campaigning
// for kube-system/kube-scheduler and scheduling only while it leads. The cluster daemon runs two of
// them when the topology asks for `controlPlane.replicas` (hidden from the usage text, like
// `controller-manager`). Runs until SIGINT/SIGTERM (or its parent's exit, with --exit-with-parent);
// then it releases its Lease so a standby takes over at once.
import { join } from 'node:path';
import { apiserverStateDir, labStateDir } from '../../cluster/apiserver/state-dir.js';
import { KubeClient } from '../../cluster/client/kube-client.js';
import { restConfigFromKubeconfig } from '../../cluster/client/kubeconfig-file.js';
import { SchedulerServer } from '../../cluster/scheduler/scheduler-server.js';
import { describeError } from '../../common/errors.js';
import { leaderElectionFlag, stopRequested, type LeaderElectionFlags } from './component-process.js';

const USAGE =
  'usage: kubewire scheduler [--kubeconfig PATH] [--identity ID] [--no-leader-elect] [--lease-duration MS] [--renew-deadline MS] [--retry-period MS] [--exit-with-parent]';

export async function scheduler(args: string[]): Promise<number> {
  let kubeconfig = join(apiserverStateDir(labStateDir()), 'admin.kubeconfig');
  let identity: string | undefined;
  let leaderElect = true;
  let exitWithParent = false;
  const le: LeaderElectionFlags = {};
  try {
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      const used = leaderElectionFlag(args, i, le);
      if (used) i += used - 1;
      else if (a === '--kubeconfig') kubeconfig = args[++i] ?? '';
      else if (a === '--identity') identity = args[++i];
      else if (a === '--no-leader-elect') leaderElect = false;
      else if (a === '--exit-with-parent') exitWithParent = true;
      else throw new Error(`unknown argument '${a}'`);
    }
    if (identity !== undefined && !/^[A-Za-z0-9._:-]{1,253}$/.test(identity))
      throw new Error(`--identity ${JSON.stringify(identity)}: letters, digits, '.', '_', ':' and '-' only`);
  } catch (err) {
    console.error(`kubewire scheduler: ${describeError(err)}\n${USAGE}`);
    return 2;
  }
  const client = new KubeClient(restConfigFromKubeconfig(kubeconfig, 'kube-scheduler/kubewire'));
  const log = (line: string) => console.error(`${new Date().toISOString()} ${line}`);
  let server: SchedulerServer;
  try {
    server = new SchedulerServer({
      client,
      identity,
      leaderElection: leaderElect ? le : false,
      log,
      onError: (err, context) => log(`scheduler: ${context}: ${describeError(err)}`),
    });
    server.start(); // a bad leader election setting throws here, before anything runs
  } catch (err) {
    client.close();
    throw err;
  }
  log(
    `scheduler ${server.identity} running (pid ${process.pid}, ${leaderElect ? 'leader election on kube-system/kube-scheduler' : 'no leader election'})`,
  );
  const why = await stopRequested({ exitWithParent });
  log(`stopping (${why})`);
  await server.stop();
  client.close();
  return 0;
}
