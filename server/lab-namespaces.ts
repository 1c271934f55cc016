// The lab's network namespaces as the kernel lists them (`ip netns list` reads /run/netns; so do
// we, without a process per call), and the strict check every namespace name from a page passes.
import { readdir, readFile } from 'node:fs/promises';
import { ValidationError } from '../common/errors.js';
import { NAMESPACE_NAME } from '../common/lab-names.js';
import type { RunCommand } from './run-command.js';

export class LabNamespaces {
  constructor(
    readonly prefix: string,
    private readonly deps: { netnsDir: string; procDir: string; run: RunCommand },
  ) {}

  /** Names of every namespace with the lab prefix, sorted. */
  async list(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.deps.netnsDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return names.filter((n) => n.startsWith(this.prefix) && NAMESPACE_NAME.test(n)).sort();
  }

  /** Returns `name` if it is a namespace of this lab that exists now; otherwise a ValidationError. */
  async require(name: string, where: string): Promise<string> {
    if (!NAMESPACE_NAME.test(name)) throw new ValidationError(where, `'${name.slice(0, 80)}' is not a namespace name`);
    if (!name.startsWith(this.prefix))
      throw new ValidationError(where, `'${name}' is not a namespace of this lab (prefix ${this.prefix})`);
    if (!(await this.list()).includes(name))
      throw new ValidationError(where, `namespace '${name}' does not exist (ip netns list)`);
    return name;
  }

  /**
   * The pid of the pod sandbox's pause process in `ns`, if one runs there: entering its UTS and IPC
   * namespaces too makes the shell see the pod's hostname, as `kubectl exec` would.
   */
  async pausePid(ns: string): Promise<number | undefined> {
    const r = await this.deps.run(['ip', 'netns', 'pids', ns], { timeoutMs: 3000 });
    if (r.exitCode !== 0) return undefined;
    const pids = r.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /^[0-9]+$/.test(l))
      .map(Number)
      .sort((a, b) => a - b);
    for (const pid of pids) {
      try {
        const comm = (await readFile(`${this.deps.procDir}/${pid}/comm`, 'utf8')).trim();
        if (comm === 'pause') return pid;
      } catch {
        // The process ended between the listing and the read.
      }
    }
    return undefined;
  }
}
