// What test labs leave on the machine: processes marked by a test lab prefix (kw-t…: its cgroup,
// runtime/lab/lab-cgroup.ts), kw-t… network namespaces and their marks, mounts of kw-t… objects or
// under the tests' temporary folders, kw-t… cgroups in any hierarchy. run-tests.mjs scans before
// the suite (a baseline: what another run on this machine already had) and test/final/ after it.
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cgroupMounts } from '../../runtime/lab/lab-cgroup.js';

const TEST_PREFIX = /^kw-t[a-z0-9-]*$/;

function dirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return [];
  }
}

function subtree(dir: string): string[] {
  return [dir, ...dirs(dir).flatMap((d) => subtree(join(dir, d)))];
}

function args(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ').slice(0, 200);
  } catch {
    return '';
  }
}

/** Names of one lab prefix exactly (`kw-t1a2b3c-`, `kw-hts15-`): for a test or the soak's own lab. */
export function prefixPattern(prefix: string): RegExp {
  if (!/^kw-[a-z0-9-]*$/.test(prefix)) throw new Error(`not a lab prefix: ${JSON.stringify(prefix)}`);
  return new RegExp(`^${prefix}[a-z0-9-]*$`);
}

/**
 * One line per leftover, stable across scans so that two scans can be compared. `match` names the
 * labs looked at (default: every test lab, kw-t…): their processes, namespaces and marks, mounts,
 * cgroups, /etc/netns folders and links left in the host's own namespace.
 */
export function scanLeftovers(match: RegExp = TEST_PREFIX): string[] {
  const out: string[] = [];
  for (const root of cgroupMounts()) {
    for (const name of dirs(root)) {
      if (!name.endsWith('kubewire') || !match.test(name.slice(0, -'kubewire'.length))) continue;
      out.push(`cgroup ${join(root, name)}`);
      for (const d of subtree(join(root, name))) {
        let procs: string[] = [];
        try {
          procs = readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
        } catch {
          // removed meanwhile
        }
        for (const pid of procs) out.push(`process ${pid} in ${d}: ${args(pid)}`);
      }
    }
  }
  for (const ns of [...dirs('/run/netns'), ...safeList('/run/netns')]) if (match.test(ns)) out.push(`namespace ${ns}`);
  for (const m of safeList('/run/kubewire/netns'))
    if (match.test(m)) out.push(`namespace mark /run/kubewire/netns/${m}`);
  for (const d of safeList('/etc/netns')) if (match.test(d)) out.push(`netns folder /etc/netns/${d}`);
  // This process's network namespace is the host's (tests and the soak run there).
  for (const l of safeList('/sys/class/net')) if (match.test(l)) out.push(`host link ${l}`);
  const tmp = tmpdir();
  for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const [source, point] = line.split(' ');
    if (!point) continue;
    const byName = [...point.split('/'), ...(source ?? '').split('/')].some((c) => match.test(c) && c.length > 4);
    const inTestTmp = point.startsWith(`${tmp}/`) && /\/(kubewire|kw)-/.test(point.slice(tmp.length));
    if (byName || inTestTmp) out.push(`mount ${point} (${source})`);
  }
  return [...new Set(out)].sort();
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
