// `kubewire scheduler [--kubeconfig PATH] [--identity ID] [--no-leader-elect] [--lease-duration MS]
//  [--renew-deadline MS] [--retry-period MS] [--exit-with-parent]`
// kube-scheduler as its own process: a client of the apiserver through its kubeconfig, campaigning
// for kube-system/kube-scheduler and scheduling only while it leads. The cluster daemon runs two of
// them when the topology asks for `controlPlane.replicas` (hidden from the usage text, like
// `controller-manager`). Runs until SIGINT/SIGTERM (or its parent's exit, with --exit-with-parent);
// then it releases its Lease so a standby takes over at once.
import { KubeClient } from '../../cluster/client/kube-client.js';
import { restConfigFromKubeconfig } from '../../cluster/client/kubeconfig-file.js';
import { SchedulerServer } from '../../cluster/scheduler/scheduler-server.js';
import { describeError } from '../../common/errors.js';
import { parseCommandLine, type CommandSpec, type FlagSpecs } from '../args.js';
import { COMPONENT_FLAGS, COMPONENT_FLAGS_USAGE, componentOptions, stopRequested } from './component-process.js';

const SCHEDULER = {
  command: 'scheduler',
  usage: `usage: kubewire scheduler [--kubeconfig PATH] [--identity ID] [--no-leader-elect] [--lease-duration MS] [--renew-deadline MS] [--retry-period MS] [--exit-with-parent]
  kube-scheduler as its own process, until SIGINT/SIGTERM
${COMPONENT_FLAGS_USAGE}`,
  flags: COMPONENT_FLAGS,
} as const satisfies CommandSpec<FlagSpecs>;

export async function scheduler(args: string[]): Promise<number> {
  const { values } = parseCommandLine(SCHEDULER, args);
  const { kubeconfig, identity, leaderElection, exitWithParent } = componentOptions(SCHEDULER, values);
  const leaderElect = leaderElection !== false;
  const client = new KubeClient(restConfigFromKubeconfig(kubeconfig, 'kube-scheduler/kubewire'));
  const log = (line: string) => console.error(`${new Date().toISOString()} ${line}`);
  let server: SchedulerServer;
  try {
    server = new SchedulerServer({
      client,
      identity,
      leaderElection,
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
