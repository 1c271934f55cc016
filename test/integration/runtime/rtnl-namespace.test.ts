// The rtnetlink reader (runtime/kernel/rtnl-namespace.ts) against iproute2 on real namespaces: every
// namespace of a small lab read both ways gives the same links, addresses, routes, neighbours, FDB
// and veth peers; a socket sees a change made by `ip` as a notification; it costs no process; a read
// in flight when its socket closes fails at once instead of hanging.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { buildMiniLab, testPrefix, type MiniLab } from '../../helpers/mini-lab.js';
import { RtnlClosedError, RtnlNamespace, type FullSnapshot } from '../../../runtime/kernel/rtnl-namespace.js';
import { NetnsGoneError } from '../../../runtime/kernel/netns-enter.js';
import { readNamespace } from '../../../server/topology/namespace-reader.js';
import { runCommand } from '../../../server/run-command.js';

let lab: MiniLab;
before(() => {
  lab = buildMiniLab(testPrefix(), 2);
});
after(() => lab?.remove());

const names = () => ['underlay', 'node1', 'node2', ...lab.pods.map((p) => `${p.k8sNamespace}_${p.name}`)].map(lab.ns);
const sorted = <T>(xs: T[]): string[] => xs.map((x) => JSON.stringify(x)).sort();

test('a netlink snapshot of every namespace equals what ip -j and bridge -j print', async () => {
  for (const ns of names()) {
    const viaIp = await readNamespace(runCommand, ns, 'full');
    const sock = RtnlNamespace.open(ns);
    let viaNl: FullSnapshot;
    try {
      viaNl = await sock.snapshot('full', names());
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
    assert.ok(viaNl.links.length > 1, `${ns}: read something`);
  }
});

test('a watching socket is told of a change made with ip, and a missing namespace is a typed error', async () => {
  const ns = lab.ns('node2');
  const sock = RtnlNamespace.open(ns);
  try {
    const seen = new Promise<void>((resolve) => sock.watch(() => resolve()));
    execFileSync('ip', ['-n', ns, 'neigh', 'replace', '192.168.129.77', 'lladdr', '02:00:00:00:00:77', 'dev', 'cni0']);
    // Bounded wait for the event (nothing else calls the watcher): no timing claim.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      seen,
      new Promise<never>((_, rej) => {
        timer = setTimeout(() => rej(new Error('no event')), 30_000);
      }),
    ]).finally(() => clearTimeout(timer));
    const snap = await sock.snapshot('full');
    assert.ok(snap.neighbours.some((n) => n.dst === '192.168.129.77' && n.lladdr === '02:00:00:00:00:77'));
  } finally {
    sock.close();
  }
  assert.throws(() => RtnlNamespace.open(`${lab.prefix}no-such-namespace`), NetnsGoneError);
});

test('a read in flight when its socket is closed fails at once with RtnlClosedError, and so do queued ones', async () => {
  const sock = RtnlNamespace.open(lab.ns('node1'));
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
