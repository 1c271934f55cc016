// What `kubewire scheduler` and `kubewire controller-manager` share as processes: their leader
// election flags and how they wait to be stopped. Started by the cluster daemon as replicas (one
// child process each), a component also ends when its parent is gone: a kill -9 of the daemon must
// not leave a scheduler running against a dead lab (its cgroup mark makes reset end it anyway).

import { join } from 'node:path';
import { apiserverStateDir, labStateDir } from '../../cluster/apiserver/state-dir.js';
import { isComponentIdentity } from '../../common/names.js';
import { badFlag, integerFlag, type CommandSpec, type FlagSpecs, type FlagValues } from '../args.js';

export interface LeaderElectionFlags {
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

/** The flags both components take. */
export const COMPONENT_FLAGS = {
  kubeconfig: { type: 'string' },
  identity: { type: 'string' },
  'no-leader-elect': { type: 'boolean' },
  'lease-duration': { type: 'string' },
  'renew-deadline': { type: 'string' },
  'retry-period': { type: 'string' },
  'exit-with-parent': { type: 'boolean' },
} as const satisfies FlagSpecs;

export const COMPONENT_FLAGS_USAGE = `  --kubeconfig PATH     the apiserver to use (default: the lab's admin kubeconfig)
  --identity ID         its Lease holder identity (letters, digits, '.', '_', ':', '-'; default: host_uuid)
  --no-leader-elect     run at once, without a Lease
  --lease-duration MS   --renew-deadline MS   --retry-period MS   the leader election's timing
  --exit-with-parent    also stop when the parent process is gone`;

export interface ComponentOptions {
  kubeconfig: string;
  identity: string | undefined;
  /** false: --no-leader-elect. */
  leaderElection: LeaderElectionFlags | false;
  exitWithParent: boolean;
}

/** The component flags' values, checked (the errors name the flag and the command). */
export function componentOptions<F extends typeof COMPONENT_FLAGS>(
  spec: CommandSpec<F>,
  values: FlagValues<F>,
  env: NodeJS.ProcessEnv = process.env,
): ComponentOptions {
  const v = values as FlagValues<typeof COMPONENT_FLAGS>;
  if (v.identity !== undefined && !isComponentIdentity(v.identity))
    throw badFlag(spec, 'identity', `${JSON.stringify(v.identity)}: letters, digits, '.', '_', ':' and '-' only`);
  if (v.kubeconfig === '') throw badFlag(spec, 'kubeconfig', 'is empty');
  const le: LeaderElectionFlags = {};
  if (v['lease-duration'] !== undefined) le.leaseDurationMs = msFlag(spec, 'lease-duration', v['lease-duration']);
  if (v['renew-deadline'] !== undefined) le.renewDeadlineMs = msFlag(spec, 'renew-deadline', v['renew-deadline']);
  if (v['retry-period'] !== undefined) le.retryPeriodMs = msFlag(spec, 'retry-period', v['retry-period']);
  return {
    kubeconfig: v.kubeconfig ?? join(apiserverStateDir(labStateDir(env)), 'admin.kubeconfig'),
    identity: v.identity,
    leaderElection: v['no-leader-elect'] ? false : le,
    exitWithParent: v['exit-with-parent'] ?? false,
  };
}

/** Milliseconds from a flag's value; the error names the flag. */
export function msFlag(spec: CommandSpec<FlagSpecs>, flag: string, v: string): number {
  return integerFlag(spec, flag, v, 'milliseconds');
}

/**
 * Resolves with the reason once the process should stop: SIGINT, SIGTERM, or (with
 * `exitWithParent`) its parent exited, seen as a changed parent pid (checked every `pollMs`).
 */
export function stopRequested(opts: { exitWithParent?: boolean; pollMs?: number } = {}): Promise<string> {
  return new Promise((resolve) => {
    const parent = process.ppid;
    let timer: NodeJS.Timeout | undefined;
    const done = (why: string) => {
      if (timer) clearInterval(timer);
      process.removeListener('SIGINT', onInt);
      process.removeListener('SIGTERM', onTerm);
      resolve(why);
    };
    const onInt = () => done('SIGINT');
    const onTerm = () => done('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    if (opts.exitWithParent)
      timer = setInterval(() => {
        if (process.ppid !== parent) done(`parent process ${parent} exited`);
      }, opts.pollMs ?? 1000);
  });
}
