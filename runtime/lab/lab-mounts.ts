// Mounts a lab leaves behind: container root filesystems and anything else mounted under the lab's
// state folder or under a folder named after the lab's prefix, and pins (/run/netns/<ns>) of
// namespaces marked as the lab's that the sweep could not delete. Run after the sweep: a pin
// unmounted first would hide which processes live in its namespace. Found in /proc/mounts (not in state.json, which a crash can
// lose) and unmounted deepest first, lazily, so a busy one cannot stop the reset. A look-alike
// (another lab's kw-… pin, where one prefix starts with another) is never matched by name alone.
import { existsSync, readFileSync } from 'node:fs';
import { execa } from 'execa';

const MARK_DIR = '/run/kubewire/netns';

/** Is namespace `ns` marked as made by the lab with this prefix (native-scripts/lib.sh)? */
export function markedFor(prefix: string, ns: string, markDir = MARK_DIR): boolean {
  if (!ns.startsWith(prefix) || ns.length === prefix.length || ns.includes('/')) return false;
  try {
    return existsSync(`${markDir}/${ns}`) && readFileSync(`${markDir}/${ns}`, 'utf8').trim() === prefix;
  } catch {
    return false;
  }
}

function unescape(p: string): string {
  return p.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Mount points of the lab, deepest first. */
export function labMounts(
  prefix: string,
  stateDir: string,
  isLabNetns: (ns: string) => boolean,
  mounts = readFileSync('/proc/mounts', 'utf8'),
): string[] {
  const dir = stateDir.replace(/\/+$/, '');
  const ours = (p: string) => {
    if (p === dir || p.startsWith(dir + '/')) return true;
    const parts = p.split('/');
    if (parts.includes(prefix)) return true;
    const m = /^\/(?:var\/)?run\/netns\/([^/]+)$/.exec(p);
    return m !== null && isLabNetns(m[1]!);
  };
  const points = mounts
    .split('\n')
    .map((l) => unescape(l.split(' ')[1] ?? ''))
    .filter((p) => p && ours(p));
  return [...new Set(points)].sort((a, b) => b.split('/').length - a.split('/').length || b.localeCompare(a));
}

/** Unmounts them (lazily); returns those unmounted. */
export async function unmountLab(prefix: string, stateDir: string): Promise<string[]> {
  const done: string[] = [];
  for (const p of labMounts(prefix, stateDir, (ns) => markedFor(prefix, ns))) {
    const r = await execa('umount', ['-l', '--', p], { reject: false });
    if (r.exitCode === 0) done.push(p);
  }
  return done;
}
