// Reads one namespace's kernel state with as few processes as iproute2 allows: one `ip -batch`
// (link, addr, route, neigh, netns list-id) and, only where a VXLAN device exists, one `bridge fdb`.
import { KubewireError } from '../../common/errors.js';
import type { NamespaceSnapshot } from '../../common/topology-model.js';
import type { RunCommand } from '../run-command.js';
import { parseAddresses, parseFdb, parseLinks, parseNeighbours, parsePeers, parseRoutes, splitBatchOutput } from './ip-json.js';

const BATCH = ['link show', 'addr show', 'route show', 'neigh show', 'netns list-id'];

export class NamespaceGoneError extends KubewireError {}

export async function readNamespace(run: RunCommand, ns: string): Promise<NamespaceSnapshot> {
  const r = await run(['ip', '-j', '-d', '-n', ns, '-batch', '-'], { input: BATCH.join('\n') + '\n', timeoutMs: 5000 });
  if (r.exitCode !== 0) {
    if (/Cannot open network namespace|No such file/.test(r.stderr)) throw new NamespaceGoneError(`namespace ${ns} is gone`);
    throw new KubewireError(`ip -n ${ns} -batch failed (${r.exitCode}): ${r.stderr.trim().slice(0, 300)}`);
  }
  const [links, addrs, routes, neigh, peers] = splitBatchOutput(r.stdout, BATCH.length, `ip -n ${ns}`);
  const snap: NamespaceSnapshot = {
    name: ns,
    links: parseLinks(links!),
    addresses: parseAddresses(addrs!),
    routes: parseRoutes(routes!),
    neighbours: parseNeighbours(neigh!),
    fdb: [],
    peers: parsePeers(peers!),
  };
  if (snap.links.some((l) => l.kind === 'vxlan')) {
    const f = await run(['bridge', '-j', '-n', ns, 'fdb', 'show'], { timeoutMs: 5000 });
    if (f.exitCode === 0) snap.fdb = parseFdb(JSON.parse(f.stdout || '[]') as unknown[]);
  }
  return snap;
}
