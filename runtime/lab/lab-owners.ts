// Which state file owns a lab prefix: /run/kubewire/labs/<prefix> holds it, written by `up`,
// removed by `reset`. A marked process (runtime/lab/lab-cgroup.ts) whose prefix has no owner, or
// whose owner's state file is gone, belongs to no running lab: `doctor` lists it, `reset` ends it.
// Under /run, so a reboot (which ends every process anyway) forgets it.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAB_PREFIX } from '../../common/names.js';

export const OWNERS_DIR = '/run/kubewire/labs';

export interface LabOwner {
  prefix: string;
  lab: string;
  stateFile: string;
}

export class LabOwners {
  constructor(private readonly dir = OWNERS_DIR) {}

  register(owner: LabOwner): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o755 });
    writeFileSync(this.file(owner.prefix), JSON.stringify(owner) + '\n', { mode: 0o644 });
  }

  get(prefix: string): LabOwner | undefined {
    try {
      return JSON.parse(readFileSync(this.file(prefix), 'utf8')) as LabOwner;
    } catch {
      return undefined;
    }
  }

  /** Is a lab with this prefix built (its owner's state file present)? */
  running(prefix: string): boolean {
    const o = this.get(prefix);
    return o !== undefined && existsSync(o.stateFile);
  }

  remove(prefix: string): void {
    rmSync(this.file(prefix), { force: true });
  }

  prefixes(): string[] {
    try {
      return readdirSync(this.dir).filter((n) => LAB_PREFIX.test(n));
    } catch {
      return [];
    }
  }

  private file(prefix: string): string {
    if (!LAB_PREFIX.test(prefix)) throw new Error(`${JSON.stringify(prefix)} is not a lab prefix`);
    return join(this.dir, prefix);
  }
}
