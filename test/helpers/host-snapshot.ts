// What a test that must not touch the kernel compares before and after: the network namespaces
// (`ip netns list`), the root namespace's links (`ip link`) and the mount table. Other engineers'
// and other tests' labs come and go on a shared machine, so objects of another lab prefix (`kw-…`
// that is not ours) and mounts under other tests' temporary folders are left out of the
// comparison; everything else, and everything under our own prefix, must be the same.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';

export interface HostSnapshot {
  netns: string[];
  links: string[];
  mounts: string[];
}

function foreignLab(name: string, ownPrefix: string): boolean {
  return /(^|[/@])kw-/.test(name) && !name.includes(ownPrefix);
}

export function hostSnapshot(ownPrefix: string): HostSnapshot {
  const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter(Boolean);
  // `ip -o link` in the root namespace: name, flags and master; counters and state vary, so not those.
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const m = /^\d+: ([^:]+): <([^>]*)>.*?(?: master (\S+))?(?: state|$)/.exec(l);
      return m ? `${m[1]} <${m[2]}>${m[3] ? ` master ${m[3]}` : ''}` : l;
    });
  const tmp = tmpdir();
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const f = l.split(' ');
      const sep = f.indexOf('-');
      return `${f[4]} ${f[sep + 1]} ${f[sep + 2]}`;
    });
  const keep = (s: string) => !foreignLab(s, ownPrefix) && !s.startsWith(`${tmp}/`);
  return {
    netns: netns.filter(keep).sort(),
    links: links.filter(keep).sort(),
    mounts: [...new Set(mounts.filter(keep))].sort(),
  };
}

/** Lines only in `before` (-) or only in `after` (+), per kind; empty when the host is unchanged. */
export function hostChanges(before: HostSnapshot, after: HostSnapshot): string[] {
  const out: string[] = [];
  for (const k of ['netns', 'links', 'mounts'] as const) {
    const a = new Set(before[k]);
    const b = new Set(after[k]);
    for (const x of a) if (!b.has(x)) out.push(`- ${k} ${x}`);
    for (const x of b) if (!a.has(x)) out.push(`+ ${k} ${x}`);
  }
  return out;
}

/** Anything on the machine named with `prefix`: namespaces, links in the root namespace, mounts. */
export function objectsWithPrefix(prefix: string): string[] {
  const s = hostSnapshot(prefix);
  return [...s.netns, ...s.links, ...s.mounts].filter((x) => x.includes(prefix));
}
