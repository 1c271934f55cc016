// What `kubewire scheduler` and `kubewire controller-manager` share as processes: their leader
// election flags and how they wait to be stopped. Started by the cluster daemon as replicas (one
// child process each), a component also ends when its parent is gone: a kill -9 of the daemon must
// not leave a scheduler running against a dead lab (its cgroup mark makes reset end it anyway).

export interface LeaderElectionFlags {
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

/** Milliseconds from a flag's value; the error names the flag. */
export function msFlag(flag: string, v: string | undefined): number {
  if (!v || !/^\d+$/.test(v)) throw new Error(`${flag} wants milliseconds, got '${v ?? ''}'`);
  return Number(v);
}

/**
 * Reads one leader election flag at args[i] into `le`; returns how many arguments it used (0: not
 * one of them).
 */
export function leaderElectionFlag(args: string[], i: number, le: LeaderElectionFlags): number {
  const a = args[i];
  if (a === '--lease-duration') le.leaseDurationMs = msFlag(a, args[i + 1]);
  else if (a === '--renew-deadline') le.renewDeadlineMs = msFlag(a, args[i + 1]);
  else if (a === '--retry-period') le.retryPeriodMs = msFlag(a, args[i + 1]);
  else return 0;
  return 2;
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
