// The rtnetlink reader (runtime/kernel/rtnl-namespace.ts) against iproute2 on the namespaces of a
// lab `kubewire up` builds (two nodes, two pods each, the cluster's own pods, gateway, Internet):
// every namespace read both ways gives the same links, addresses, routes, neighbours, FDB and veth
// peers; a socket sees a change made by `ip` as a notification; it costs no process; a read in
// flight when its socket closes fails at once instead of hanging.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { twoNodeTopology, upWithCli, waitForTopologyPods } from '../../helpers/cli-lab.js';
import { namespacesWithPrefix, type TestLab } from './harness.js';
import { RtnlClosedError, RtnlNamespace, type FullSnapshot } from '../../../runtime/kernel/rtnl-namespace.js';
import { NetnsGoneError } from '../../../runtime/kernel/netns-enter.js';
import { readNamespace } from '../../../server/topology/namespace-reader.js';
import { runCommand } from '../../../server/run-command.js';

let lab: TestLab;
before(async () => {
  lab = await upWithCli(twoNodeTopology('rtnl', { podsPerNode: 2 }));
  await waitForTopologyPods(lab);
});
after(() => lab?.cleanup());

const names = () => namespacesWithPrefix(lab.prefix).sort();
const sorted = <T>(xs: T[]): string[] => xs.map((x) => JSON.stringify(x)).sort();

test('a netlink snapshot of every namespace equals what ip -j and bridge -j print', async () => {
  const all = names();
  assert.ok(all.length >= 10, `the lab's namespaces: ${all.join(' ')}`);
  let links = 0;
  for (const ns of all) {
    // The lab is live (neighbour entries age, its agents add and change entries): a change between
    // the two reads makes them differ, so a namespace gets a few tries; the last one is asserted.
    for (let attempt = 1; ; attempt++) {
      try {
        links += await compareOnce(ns, all);
        break;
      } catch (err) {
        if (attempt >= 5) throw err;
        await new Promise((r) => setTimeout(r, 300));
      }
    }
  }
  // Nodes, pods, the underlay bridge, gateway, Internet: well beyond each namespace's lo.
  assert.ok(links >= 3 * all.length, `${links} links in ${all.length} namespaces`);
});

async function compareOnce(ns: string, all: string[]): Promise<number> {
  const viaIp = await readNamespace(runCommand, ns, 'full');
  const sock = RtnlNamespace.open(ns);
  let viaNl: FullSnapshot;
  try {
    viaNl = await sock.snapshot('full', all);
  } finally {
    sock.close();
  }
  assert.deepEqual(sorted(viaNl.links), sorted(viaIp.links), `${ns}: links`);
  assert.deepEqual(sorted(viaNl.addresses), sorted(viaIp.addresses), `${ns}: addresses`);
  assert.deepEqual(sorted(viaNl.routes), sorted(viaIp.routes), `${ns}: routes`);
  assert.deepEqual(sorted(viaNl.neighbours), sorted(viaIp.neighbours), `${ns}: neighbours`);
  // readNamespace reads the FDB only where a VXLAN device is: compare those entries.
  const vx = new Set(viaIp.links.filter((l) => l.kind === 'vxlan').map((l) => l.ifname));
  assert.deepEqual(
    sorted(viaNl.fdb.filter((f) => vx.has(f.ifname))),
    sorted(viaIp.fdb.filter((f) => vx.has(f.ifname))),
    `${ns}: fdb`,
  );
  // Peers: the nsids the namespace's veths name, resolved to the same names as `ip netns list-id`.
  const used = new Set(viaIp.links.flatMap((l) => (l.linkNetnsid === undefined ? [] : [l.linkNetnsid])));
  assert.deepEqual(
    sorted(viaNl.peers),
    sorted(viaIp.peers.filter((p) => used.has(p.nsid))),
    `${ns}: veth peer namespaces`,
  );
  // The path tracer's rows: as `ip -j -d route show` (its reader before) prints them, flags (onlink) included.
  const rows = JSON.parse(
    execFileSync('ip', ['-j', '-d', '-n', ns, 'route', 'show'], { encoding: 'utf8' }),
  ) as object[];
  assert.deepEqual(sorted(viaNl.routeRows), sorted(rows), `${ns}: route rows`);
  assert.ok(
    viaNl.links.some((l) => l.ifname === 'lo'),
    `${ns}: read something`,
  );
  return viaNl.links.length;
}

test('a watching socket is told of a change made with ip, and a missing namespace is a typed error', async () => {
  // A tools pod that sends nothing: no change in it but the test's.
  const ns = lab.pod('kubia-7x9dq');
  const sock = RtnlNamespace.open(ns);
  try {
    const seen = new Promise<void>((resolve) => sock.watch(() => resolve()));
    execFileSync('ip', ['-n', ns, 'neigh', 'replace', '192.168.128.77', 'lladdr', '02:00:00:00:00:77', 'dev', 'eth0']);
    // Bounded wait for the event: no timing claim.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      seen,
      new Promise<never>((_, rej) => {
        timer = setTimeout(() => rej(new Error('no event')), 30_000);
      }),
    ]).finally(() => clearTimeout(timer));
    const snap = await sock.snapshot('full');
    assert.ok(snap.neighbours.some((n) => n.dst === '192.168.128.77' && n.lladdr === '02:00:00:00:00:77'));
  } finally {
    sock.close();
  }
  assert.throws(() => RtnlNamespace.open(`${lab.prefix}no-such-namespace`), NetnsGoneError);
});

test('a read in flight when its socket is closed fails at once with RtnlClosedError, and so do queued ones', async () => {
  const sock = RtnlNamespace.open(lab.names.node('node1'));
  // Closed exactly while the address dump is on the wire (the live topology's stop, or a namespace
  // whose file went, close a socket at any moment). The netlink package never settles such a request:
  // before, the read hung forever, and the live topology behind it never drew again.
  const inner = (sock as unknown as { sock: { getAddresses(): Promise<unknown> } }).sock;
  const getAddresses = inner.getAddresses.bind(inner);
  inner.getAddresses = () => {
    const pending = getAddresses();
    sock.close();
    return pending;
  };
  const inFlight = sock.snapshot('graph');
  const queued = sock.snapshot('graph');
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, rej) => {
    timer = setTimeout(() => rej(new Error('the read never settled after close')), 30_000);
  });
  try {
    await assert.rejects(Promise.race([inFlight, bound]), RtnlClosedError);
    await assert.rejects(Promise.race([queued, bound]), RtnlClosedError);
  } finally {
    clearTimeout(timer);
  }
});
