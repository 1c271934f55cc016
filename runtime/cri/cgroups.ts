// Reading the cgroups crun made, whichever version the machine has: v1 controllers (also hybrid,
// where /sys/fs/cgroup/unified is an empty v2 tree), or a pure v2 tree. Paths are absolute in the
// host's hierarchy (/kw-kubewire/node5/pod<uid>/<id>).
import { existsSync, readdirSync } from 'node:fs';
import { readFile, rmdir } from 'node:fs/promises';
import { join } from 'node:path';

export type CgroupMode = 'v1' | 'hybrid' | 'v2';

export class Cgroups {
  readonly mode: CgroupMode;

  constructor(private readonly root = '/sys/fs/cgroup') {
    if (existsSync(join(root, 'cgroup.controllers'))) this.mode = 'v2';
    else this.mode = existsSync(join(root, 'unified', 'cgroup.procs')) ? 'hybrid' : 'v1';
  }

  /** Host pids in a cgroup (the memory hierarchy's view on v1). */
  async procs(path: string): Promise<number[]> {
    const file =
      this.mode === 'v2' ? join(this.root, path, 'cgroup.procs') : join(this.root, 'memory', path, 'cgroup.procs');
    const text = await readFile(file, 'utf8').catch(() => '');
    return text.split('\n').filter(Boolean).map(Number);
  }

  /** How many times the kernel's OOM killer killed in this cgroup. */
  async oomKills(path: string): Promise<number> {
    const file =
      this.mode === 'v2'
        ? join(this.root, path, 'memory.events')
        : join(this.root, 'memory', path, 'memory.oom_control');
    const text = await readFile(file, 'utf8').catch(() => '');
    const m = /^oom_kill (\d+)$/m.exec(text);
    if (m && Number(m[1]) > 0) return Number(m[1]);
    if (this.mode !== 'v2') {
      // The counter can lag the SIGKILL it caused under load: a limit hit (failcnt) counts too.
      const fails = Number(
        (await readFile(join(this.root, 'memory', path, 'memory.failcnt'), 'utf8').catch(() => '0')).trim(),
      );
      if (fails > 0) return 1;
    }
    if (m) return 0;
    // Kernels before 4.13 have no counter on v1: under_oom is the best left.
    return /^under_oom 1$/m.test(text) ? 1 : 0;
  }

  /** Bytes the cgroup uses now. */
  async memoryUsage(path: string): Promise<number> {
    const file =
      this.mode === 'v2'
        ? join(this.root, path, 'memory.current')
        : join(this.root, 'memory', path, 'memory.usage_in_bytes');
    return Number((await readFile(file, 'utf8').catch(() => '0')).trim()) || 0;
  }

  /** Memory limit of a cgroup in bytes (undefined: none). */
  async memoryLimit(path: string): Promise<number | undefined> {
    const file =
      this.mode === 'v2'
        ? join(this.root, path, 'memory.max')
        : join(this.root, 'memory', path, 'memory.limit_in_bytes');
    const text = (await readFile(file, 'utf8').catch(() => 'max')).trim();
    const n = Number(text);
    return text === 'max' || !Number.isFinite(n) || n >= 2 ** 62 ? undefined : n;
  }

  /** CPU limit of a cgroup in millicores (undefined: none). */
  async cpuLimitMilli(path: string): Promise<number | undefined> {
    if (this.mode === 'v2') {
      const [quota, period] = (await readFile(join(this.root, path, 'cpu.max'), 'utf8').catch(() => 'max 100000'))
        .trim()
        .split(' ');
      return quota === 'max' ? undefined : Math.round((Number(quota) * 1000) / Number(period));
    }
    const quota = Number(
      (await readFile(join(this.root, 'cpu', path, 'cpu.cfs_quota_us'), 'utf8').catch(() => '-1')).trim(),
    );
    const period = Number(
      (await readFile(join(this.root, 'cpu', path, 'cpu.cfs_period_us'), 'utf8').catch(() => '100000')).trim(),
    );
    return quota > 0 ? Math.round((quota * 1000) / period) : undefined;
  }

  /** Removes a cgroup (and empty children) in every hierarchy; gone is fine. */
  async remove(path: string): Promise<void> {
    const hierarchies =
      this.mode === 'v2'
        ? [this.root]
        : readdirSync(this.root)
            .filter((h) => h !== 'unified')
            .map((h) => join(this.root, h));
    await Promise.all(hierarchies.map((h) => removeTree(join(h, path))));
  }
}

async function removeTree(dir: string): Promise<void> {
  let entries: string[] = [];
  try {
    entries = readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  } catch {
    return;
  }
  await Promise.all(entries.map((e) => removeTree(join(dir, e))));
  await rmdir(dir).catch(() => undefined);
}
