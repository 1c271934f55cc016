// How a started container ended, from the record the node's init writes when it reaps the
// container's process (<exitDir>/<pid>: exit code and signal; its mtime is the end): OOMKilled
// when the cgroup saw an OOM kill behind a SIGKILL, 137 and Error when the process is gone with
// no record (its node's init died with it).
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cgroups } from './cgroups.js';
import type { ContainerRecord } from './cri-store.js';

export interface ExitDeps {
  exitDir: string;
  cgroups: Cgroups;
  /** Whether the container's process (as the host sees it) still runs. */
  alive(rec: ContainerRecord): Promise<boolean>;
}

export interface ContainerExit {
  exitCode: number;
  finishedAt: number;
  reason: string;
}

/** undefined while the container runs; else how it ended. */
export async function readExit(rec: ContainerRecord, d: ExitDeps): Promise<ContainerExit | undefined> {
  const file = join(d.exitDir, String(rec.pid));
  let text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) {
    if (await d.alive(rec)) return undefined;
    // Dead (or a zombie) before the node's init has reaped it and written the record: wait for it.
    for (let i = 0; i < 80 && text === undefined; i++) {
      await new Promise((r) => setTimeout(r, 25));
      text = await readFile(file, 'utf8').catch(() => undefined);
    }
  }
  // Gone with no record: its node's init died with it (the node was killed).
  if (text === undefined) return { finishedAt: Date.now(), exitCode: 137, reason: 'Error' };
  const [code, signal] = text.trim().split(' ').map(Number) as [number, number];
  const oom = signal === 9 && (await d.cgroups.oomKills(rec.cgroupsPath)) > 0;
  const finishedAt = (await stat(file).catch(() => undefined))?.mtimeMs ?? Date.now();
  return {
    exitCode: code,
    finishedAt: Math.round(finishedAt),
    reason: oom ? 'OOMKilled' : code === 0 ? 'Completed' : 'Error',
  };
}
