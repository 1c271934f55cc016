// How a process runs the controller manager: from a kubeconfig (the admin one the apiserver writes)
// to a started, leader-elected ControllerManager. `kubewire controller-manager` calls this, and so
// will the `kubewire serve` composition root.
import { KubeClient } from '../client/kube-client.js';
import { restConfigFromKubeconfig } from '../client/kubeconfig-file.js';
import { SystemClock, type Clock } from '../client/clock.js';
import { ControllerManager, type ControllerManagerOptions } from './controller-manager.js';

export interface RunOptions extends Omit<ControllerManagerOptions, 'client' | 'clock'> {
  kubeconfig: string;
  clock?: Clock;
}

export interface RunningControllerManager {
  manager: ControllerManager;
  client: KubeClient;
  /** Steps down (releasing the Lease) and closes the connection. */
  stop(): Promise<void>;
}

export function runControllerManager(opts: RunOptions): RunningControllerManager {
  const config = restConfigFromKubeconfig(opts.kubeconfig, 'kube-controller-manager/kubewire');
  const client = new KubeClient(config);
  const { kubeconfig: _k, clock, ...rest } = opts;
  // kube-controller-manager's --root-ca-file defaults to the CA it trusts the apiserver with.
  if (!rest.settings?.rootCa && config.ca) rest.settings = { ...rest.settings, rootCa: config.ca.toString() };
  let manager: ControllerManager;
  try {
    manager = new ControllerManager({ ...rest, client, clock: clock ?? new SystemClock() });
  } catch (err) {
    client.close();
    throw err;
  }
  manager.start();
  return {
    manager,
    client,
    async stop() {
      await manager.stop();
      client.close();
    },
  };
}
