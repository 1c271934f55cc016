// Processes that carry a lab's mark (runtime/lab/lab-cgroup.ts) but belong to no running lab:
// their prefix has no owner (runtime/lab/lab-owners.ts) or the owner's state file is gone (the
// state folder deleted by hand, a crash between kill and reset). `doctor` lists them; `reset
// --all` ends them.
import { readFileSync } from 'node:fs';
import { LabCgroup, labCgroupPrefixes, type CgroupHierarchy } from './lab-cgroup.js';
import type { LabOwners } from './lab-owners.js';

export interface MarkedProcess {
  pid: number;
  prefix: string;
  /** The command line, for a person to recognise it. */
  args: string;
}

export function processArgs(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

/** Prefixes with a cgroup whose lab is not running. */
export function orphanPrefixes(hierarchy: CgroupHierarchy, owners: LabOwners, roots?: string[]): string[] {
  return labCgroupPrefixes(roots ?? undefined).filter((p) => !owners.running(p));
}

/** Every marked process of a lab that is not running. */
export function orphanProcesses(hierarchy: CgroupHierarchy, owners: LabOwners, roots?: string[]): MarkedProcess[] {
  return orphanPrefixes(hierarchy, owners, roots).flatMap((prefix) =>
    new LabCgroup(hierarchy, prefix).pids().map((pid) => ({ pid, prefix, args: processArgs(pid) })),
  );
}
