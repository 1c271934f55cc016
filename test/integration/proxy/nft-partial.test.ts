// kube-proxy's nftables partial syncs on real namespaces: a node with three kubia pods, a second
// service "other" and a client pod. After the full sync, one endpoint leaves kubia: the partial
// transaction names only kubia's chains, the kernel keeps "other"'s rules untouched (same rule
// handles), traffic stops reaching the removed pod and still reaches the rest, and the flushed
// chain is deleted a second later. A service losing its endpoints is rejected, through the maps.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { HostDriverNftApplier } from '../../../cluster/proxy/nftables/nft-applier.js';
import { NftProxier } from '../../../cluster/proxy/nftables/nft-proxier.js';
import { hashAndTruncate } from '../../../cluster/proxy/nftables/render-nft.js';
import { NetnsDriver } from '../../../runtime/host/netns-driver.js';
import { endpointSlice, kubiaService, kubiaSlice, service } from '../../support/proxy-objects.js';
import { NetnsLab } from '../../support/netns-lab.js';

const lab = new NetnsLab();
const PODS = [
  { name: 'kubia-a', ip: '192.168.134.11' },
  { name: 'kubia-b', ip: '192.168.134.12' },
  { name: 'kubia-c', ip: '192.168.134.13' },
];
const OTHER = '192.168.199.240';
let proxier: NftProxier;

async function answers(from: string, url: string, n: number): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const r = await lab.exec(from, ['curl', '-sS', '--max-time', '3', url]);
    assert.equal(r.exitCode, 0, `curl ${url} from ${from}: ${r.stderr}`);
    seen.set(r.stdout.trim(), (seen.get(r.stdout.trim()) ?? 0) + 1);
  }
  return seen;
}

/** `nft -a list chain`: the chain's rules with their kernel handles (new handles = rewritten). */
async function handles(chain: string): Promise<string> {
  const r = await lab.exec('node6', ['nft', '-a', 'list', 'chain', 'ip', 'kube-proxy', chain]);
  assert.equal(r.exitCode, 0, r.stderr);
  return [...r.stdout.matchAll(/# handle (\d+)/g)].map((m) => m[1]).join(',');
}

before(async () => {
  try {
    await lab.addNode('node6', '192.168.134.1/24');
    for (const [i, p] of PODS.entries()) await lab.addPod('node6', i + 1, { ...p, httpPort: 8080 }, '192.168.134.1');
    await lab.addPod('node6', 9, { name: 'client', ip: '192.168.134.20' }, '192.168.134.1');
  } catch (err) {
    await lab.dispose();
    throw err;
  }
  proxier = new NftProxier({
    netns: lab.ns('node6'),
    // The production path: nft -f through the runtime's host driver.
    nft: new HostDriverNftApplier(new NetnsDriver('/nonexistent-no-scripts-needed')),
    clock: { now: () => performance.now() },
    config: { nodeName: 'node6', clusterCIDR: '192.168.128.0/18' },
  });
  proxier.onServiceUpsert(kubiaService());
  proxier.onEndpointSliceUpsert(kubiaSlice(PODS.map((p) => p.ip)));
  proxier.onServiceUpsert(service({ name: 'other', clusterIP: OTHER, port: 8080 }));
  proxier.onEndpointSliceUpsert(endpointSlice({ service: 'other', port: 8080, endpoints: [PODS[0]!.ip] }));
  const r = await proxier.sync();
  assert.equal(r.full, true);
});

after(() => lab.dispose());

test('after the full sync the cluster IP reaches all three pods through table ip kube-proxy', async () => {
  const seen = await answers('client', 'http://192.168.199.234:8080/', 24);
  assert.equal(seen.size, 3, `answered: ${[...seen.keys()].join(',')}`);
  assert.deepEqual([...(await answers('client', `http://${OTHER}:8080/`, 2)).keys()], ['kubia-a']);
});

test("one endpoint leaves: the partial transaction names only kubia's chains; other's rules keep their handles", async () => {
  const otherChain = `service-${hashAndTruncate('default/other/tcp/')}`;
  const otherEp = `endpoint-${hashAndTruncate(`default/other/tcp/__${PODS[0]!.ip}/8080`)}`;
  const before = [await handles(otherChain), await handles(otherEp)];
  proxier.onEndpointSliceUpsert(kubiaSlice(PODS.slice(0, 2).map((p) => p.ip)));
  const r = await proxier.sync();
  assert.equal(r.full, false);
  assert.equal(r.servicesWritten, 1);
  const text = proxier.lastRestoreText();
  assert.ok(!text.includes('add table') && !text.includes('flush map'), text);
  for (const l of text.split('\n').filter(Boolean))
    assert.match(l, /-default\/kubia\/tcp\//, `a line of the partial transaction not about kubia: ${l}`);
  const gone = `endpoint-${hashAndTruncate(`default/kubia/tcp/__${PODS[2]!.ip}/8080`)}`;
  assert.ok(text.includes(`flush chain ip kube-proxy ${gone}\n`));
  assert.deepEqual([await handles(otherChain), await handles(otherEp)], before, "other's rules were rewritten");

  const seen = await answers('client', 'http://192.168.199.234:8080/', 16);
  assert.ok(!seen.has('kubia-c'), 'the removed pod still answered');
  assert.equal(seen.size, 2);
  assert.deepEqual([...(await answers('client', `http://${OTHER}:8080/`, 2)).keys()], ['kubia-a']);

  // The flushed chain is still there, empty; a sync a second later deletes it.
  assert.equal((await lab.exec('node6', ['nft', 'list', 'chain', 'ip', 'kube-proxy', gone])).exitCode, 0);
  await new Promise((res) => setTimeout(res, 1100));
  assert.equal(proxier.pending(), true);
  const r2 = await proxier.sync();
  assert.equal(r2.staleChainsDeleted, 1);
  assert.equal(proxier.lastRestoreText(), `delete chain ip kube-proxy ${gone}\n`);
  assert.notEqual((await lab.exec('node6', ['nft', 'list', 'chain', 'ip', 'kube-proxy', gone])).exitCode, 0);
});

test('a service losing its endpoints moves to no-endpoint-services and is refused; getting one back restores it', async () => {
  proxier.onEndpointSliceUpsert(endpointSlice({ service: 'other', port: 8080, endpoints: [] }));
  const r = await proxier.sync();
  assert.equal(r.full, false);
  assert.match(
    proxier.lastRestoreText(),
    /delete element ip kube-proxy service-ips \{ 192\.168\.199\.240 \. tcp \. 8080 \}/,
  );
  const refused = await lab.exec('client', ['curl', '-sS', '--max-time', '3', `http://${OTHER}:8080/`]);
  assert.equal(refused.exitCode, 7, refused.stderr);
  proxier.onEndpointSliceUpsert(endpointSlice({ service: 'other', port: 8080, endpoints: [PODS[1]!.ip] }));
  await proxier.sync();
  assert.deepEqual([...(await answers('client', `http://${OTHER}:8080/`, 2)).keys()], ['kubia-b']);
  // kubia was not part of either transaction.
  assert.ok(!proxier.lastRestoreText().includes('/kubia/'));
});

test('a forced full sync rewrites the table to the same content', async () => {
  const before = (await lab.exec('node6', ['nft', 'list', 'table', 'ip', 'kube-proxy'])).stdout;
  proxier.forceFullSync();
  await new Promise((res) => setTimeout(res, 1100)); // stale chains of the last test are due
  const r = await proxier.sync();
  assert.equal(r.full, true);
  const after = (await lab.exec('node6', ['nft', 'list', 'table', 'ip', 'kube-proxy'])).stdout;
  const chains = (t: string) => [...t.matchAll(/chain (\S+) \{/g)].map((m) => m[1]).sort();
  // The same chains minus those flushed earlier and deleted now.
  assert.deepEqual(
    chains(after),
    chains(before).filter((c) => !c!.includes(`__${PODS[0]!.ip}/8080`) || c!.includes('/kubia/')),
  );
  assert.equal(await answers('client', 'http://192.168.199.234:8080/', 8).then((s) => s.has('kubia-c')), false);
});
