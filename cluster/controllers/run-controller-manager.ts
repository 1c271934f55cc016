// How a process runs the controller manager: from a kubeconfig (the admin one the apiserver writes)
// to a started, leader-elected ControllerManager. `kubewire controller-manager` calls this, and so
// will the `kubewire serve` composition root.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { KubeClient } from '../client/kube-client.js';
import type { RestConfig } from '../client/rest-client.js';
import { SystemClock, type Clock } from '../client/clock.js';
import { ValidationError } from '../../common/errors.js';
import { ControllerManager, type ControllerManagerOptions } from './controller-manager.js';

/** The parts of a kubeconfig this reads; everything is optional until checked below. */
interface KubeconfigDoc {
  'current-context'?: string;
  contexts?: { name?: string; context?: { cluster?: string; user?: string } }[];
  clusters?: {
    name?: string;
    cluster?: { server?: string; 'certificate-authority-data'?: string; 'certificate-authority'?: string };
  }[];
  users?: { name?: string; user?: { token?: string } }[];
}

/** The current context's server, CA and bearer token from a kubeconfig file. */
export function restConfigFromKubeconfig(path: string): RestConfig {
  let doc: KubeconfigDoc | undefined;
  try {
    doc = parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ValidationError(path, `cannot read kubeconfig: ${err instanceof Error ? err.message : err}`);
  }
  const ctxName = doc?.['current-context'];
  const ctx = (doc?.contexts ?? []).find((c) => c.name === ctxName)?.context;
  if (!ctx) throw new ValidationError(path, `current-context ${JSON.stringify(ctxName)} is not among contexts`);
  const cluster = (doc?.clusters ?? []).find((c) => c.name === ctx.cluster)?.cluster;
  const user = (doc?.users ?? []).find((u) => u.name === ctx.user)?.user;
  if (!cluster?.server) throw new ValidationError(path, `clusters[${ctx.cluster}].cluster.server is missing`);
  if (!user?.token)
    throw new ValidationError(
      path,
      `users[${ctx.user}].user.token is missing (kubewire components authenticate with bearer tokens)`,
    );
  const ca = cluster['certificate-authority-data']
    ? Buffer.from(cluster['certificate-authority-data'], 'base64')
    : cluster['certificate-authority']
      ? readFileSync(cluster['certificate-authority'])
      : undefined;
  return { server: cluster.server, ca, token: user.token, userAgent: 'kube-controller-manager/kubewire' };
}

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
  const config = restConfigFromKubeconfig(opts.kubeconfig);
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
