// Reads one namespace's kernel state with as few processes as iproute2 allows: one `ip -batch`
// (link, addr, netns list-id; route and neigh too for a full read) and, only where a VXLAN device
// exists, one `bridge fdb`.
import { KubewireError } from '../../common/errors.js';
import type { NamespaceSnapshot } from '../../common/topology-model.js';
import type { RunCommand } from '../run-command.js';
import {
  parseAddresses,
  parseFdb,
  parseLinks,
  parseNeighbours,
  parsePeers,
  parseRoutes,
  splitBatchOutput,
} from './ip-json.js';

const FULL = ['link show', 'addr show', 'route show', 'neigh show', 'netns list-id'];
/** What the graph needs; the live poll reads only this (routes and neighbours: on demand). */
const GRAPH = ['link show', 'addr show', 'netns list-id'];

export class NamespaceGoneError extends KubewireError {}

export async function readNamespace(
  run: RunCommand,
  ns: string,
  detail: 'graph' | 'full' = 'full',
): Promise<NamespaceSnapshot> {
  const batch = detail === 'full' ? FULL : GRAPH;
  const r = await run(['ip', '-j', '-d', '-n', ns, '-batch', '-'], { input: batch.join('\n') + '\n', timeoutMs: 5000 });
  if (r.exitCode !== 0) {
    if (/Cannot open network namespace|No such file/.test(r.stderr))
      throw new NamespaceGoneError(`namespace ${ns} is gone`);
    throw new KubewireError(`ip -n ${ns} -batch failed (${r.exitCode}): ${r.stderr.trim().slice(0, 300)}`);
  }
  const out = splitBatchOutput(r.stdout, batch.length, `ip -n ${ns}`);
  const part = (cmd: string): unknown[] => out[batch.indexOf(cmd)] ?? [];
  const snap: NamespaceSnapshot = {
    name: ns,
    links: parseLinks(part('link show')),
    addresses: parseAddresses(part('addr show')),
    routes: detail === 'full' ? parseRoutes(part('route show')) : [],
    neighbours: detail === 'full' ? parseNeighbours(part('neigh show')) : [],
    fdb: [],
    peers: parsePeers(part('netns list-id')),
  };
  if (snap.links.some((l) => l.kind === 'vxlan')) {
    const f = await run(['bridge', '-j', '-n', ns, 'fdb', 'show'], { timeoutMs: 5000 });
    if (f.exitCode === 0) snap.fdb = parseFdb(JSON.parse(f.stdout || '[]') as unknown[]);
  }
  return snap;
}
