// kube-proxy's nftables proxier, full and partial syncs: what each `nft -f` transaction names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNftListing, type NftApplier } from '../../../cluster/proxy/nftables/nft-applier.js';
import { NftProxier } from '../../../cluster/proxy/nftables/nft-proxier.js';
import { hashAndTruncate } from '../../../cluster/proxy/nftables/render-nft.js';
import { endpointSlice, service } from '../../support/proxy-objects.js';

/** Records each transaction; listNames answers with the chains and sets written so far. */
class RecordingNft implements NftApplier {
  applied: string[] = [];
  lists = 0;
  failNext = false;
  chains = new Set<string>();
  sets = new Set<string>();
  async apply(_netns: string, text: string): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('nft: Error: No such file or directory');
    }
    this.applied.push(text);
    for (const l of text.split('\n')) {
      const add = /^add chain ip kube-proxy (\S+)/.exec(l);
      if (add) this.chains.add(add[1]!);
      const del = /^delete chain ip kube-proxy (\S+)/.exec(l);
      if (del) this.chains.delete(del[1]!);
    }
  }
  async list(): Promise<string> {
    return '';
  }
  async listNames(): Promise<{ chains: string[]; sets: string[] }> {
    this.lists++;
    return { chains: [...this.chains], sets: [...this.sets] };
  }
}

const clock = { t: 1_000_000, now: () => clock.t };

function setup() {
  const nft = new RecordingNft();
  const proxier = new NftProxier({
    netns: 'kw-unit-node5',
    nft,
    clock,
    config: { nodeName: 'node5', clusterCIDR: '192.168.128.0/18' },
  });
  const ips = (i: number, n: number) => Array.from({ length: n }, (_, j) => `192.168.${130 + j}.${i + 10}`);
  for (let i = 0; i < 5; i++) {
    proxier.onServiceUpsert(service({ name: `svc-${i}`, clusterIP: `192.168.199.${i + 10}`, port: 80 }));
    proxier.onEndpointSliceUpsert(endpointSlice({ service: `svc-${i}`, port: 80, endpoints: ips(i, 3) }));
  }
  return { nft, proxier, ips };
}

/** Chains a transaction creates or flushes, and elements it adds or deletes. */
function named(text: string) {
  const chains = new Set<string>();
  const elements: string[] = [];
  for (const l of text.split('\n')) {
    const c = /^(?:add|flush|delete) chain ip kube-proxy (\S+)/.exec(l);
    if (c) chains.add(c[1]!);
    if (/^(add|delete) element /.test(l)) elements.push(l);
  }
  return { chains: [...chains], elements };
}

test('the first sync is full: lists names, writes the table, flushes the maps, every service', async () => {
  const { nft, proxier } = setup();
  const r = await proxier.sync();
  assert.equal(r.full, true);
  assert.equal(nft.lists, 1);
  const text = nft.applied[0]!;
  assert.ok(text.startsWith('add table ip kube-proxy'));
  assert.ok(text.includes('flush map ip kube-proxy service-ips'));
  assert.equal(r.servicesWritten, 5);
  // Per service: one service- chain and three endpoint- chains.
  assert.equal(named(text).chains.filter((c) => c.includes('/')).length, 20);
  assert.equal(named(text).elements.length, 5);
});

test('a partial sync names only the changed service: its chains, no table setup, no map flush', async () => {
  const { nft, proxier, ips } = setup();
  await proxier.sync();
  proxier.onEndpointSliceUpsert(endpointSlice({ service: 'svc-2', port: 80, endpoints: ips(2, 2) }));
  const r = await proxier.sync();
  assert.equal(r.full, false);
  assert.equal(nft.lists, 1, 'no listing on a partial sync');
  const text = nft.applied[1]!;
  assert.ok(!text.includes('add table'), text);
  assert.ok(!text.includes('flush map'), text);
  assert.ok(!/filter-|nat-|masquerading/.test(text), 'no base chain is touched');
  const { chains, elements } = named(text);
  for (const ch of chains) assert.ok(ch.includes('-default/svc-2/'), `unchanged chain named: ${ch}`);
  // Its service- chain and two endpoint chains rewritten; the removed endpoint's chain flushed.
  const gone = `endpoint-${hashAndTruncate('default/svc-2/tcp/__192.168.132.12/80')}`;
  assert.ok(text.includes(`flush chain ip kube-proxy ${gone}\n`));
  assert.ok(!text.includes(`add chain ip kube-proxy ${gone}\n`));
  assert.equal(r.natChainsWritten, 3);
  assert.equal(r.servicesWritten, 1);
  // Its cluster IP element still says the same: not rewritten.
  assert.deepEqual(elements, []);
  assert.ok(text.includes('numgen random mod 2 vmap'));

  // A second later the flushed chain is deleted, in the next transaction, and nothing else.
  clock.t += 1500;
  assert.equal(proxier.pending(), true);
  const r2 = await proxier.sync();
  assert.equal(r2.staleChainsDeleted, 1);
  assert.equal(nft.applied[2]!, `delete chain ip kube-proxy ${gone}\n`);
  assert.equal(proxier.pending(), false);
});

test('map elements are diffed: a service losing its endpoints moves to no-endpoint-services; a deleted one is removed', async () => {
  const { nft, proxier } = setup();
  await proxier.sync();
  proxier.onEndpointSliceUpsert(endpointSlice({ service: 'svc-1', port: 80, endpoints: [] }));
  proxier.onServiceDelete({ metadata: { namespace: 'default', name: 'svc-3' } });
  const r = await proxier.sync();
  assert.equal(r.full, false);
  const { elements, chains } = named(nft.applied[1]!);
  assert.deepEqual(elements.sort(), [
    'add element ip kube-proxy no-endpoint-services { 192.168.199.11 . tcp . 80 comment "default/svc-1" : goto reject-chain }',
    'delete element ip kube-proxy service-ips { 192.168.199.11 . tcp . 80 }',
    'delete element ip kube-proxy service-ips { 192.168.199.13 . tcp . 80 }',
  ]);
  // Both services' chains are flushed (stale), no other service is named.
  assert.equal(chains.length, 8);
  for (const ch of chains) assert.match(ch, /-default\/svc-[13]\//);
});

test('a new service adds its chains and one element; an update that changes nothing writes nothing', async () => {
  const { nft, proxier } = setup();
  await proxier.sync();
  proxier.onServiceUpsert(service({ name: 'svc-0', clusterIP: '192.168.199.10', port: 80 }));
  assert.equal(proxier.pending(), false);
  proxier.onServiceUpsert(service({ name: 'web', clusterIP: '192.168.199.99', port: 80 }));
  proxier.onEndpointSliceUpsert(endpointSlice({ service: 'web', port: 80, endpoints: ['192.168.140.2'] }));
  await proxier.sync();
  const { elements, chains } = named(nft.applied[1]!);
  const base = hashAndTruncate('default/web/tcp/');
  assert.deepEqual(elements, [
    `add element ip kube-proxy service-ips { 192.168.199.99 . tcp . 80 : goto service-${base} }`,
  ]);
  assert.deepEqual(chains.sort(), [
    `endpoint-${hashAndTruncate('default/web/tcp/__192.168.140.2/80')}`,
    `service-${base}`,
  ]);
});

test('after a failed transaction the next sync is full again (listing what is there)', async () => {
  const { nft, proxier, ips } = setup();
  await proxier.sync();
  proxier.onEndpointSliceUpsert(endpointSlice({ service: 'svc-4', port: 80, endpoints: ips(4, 1) }));
  nft.failNext = true;
  await assert.rejects(proxier.sync(), /kube-proxy \(nftables\) sync of kw-unit-node5 failed/);
  const r = await proxier.sync();
  assert.equal(r.full, true);
  assert.equal(nft.lists, 2);
  assert.ok(nft.applied[1]!.startsWith('add table ip kube-proxy'));
  assert.ok(nft.applied[1]!.includes('numgen random mod 1 vmap'));
});

test("kube-proxy's hourly full sync follows the injected clock", async () => {
  const { proxier } = setup();
  await proxier.sync();
  proxier.onServiceUpsert(service({ name: 'web', clusterIP: '192.168.199.99', port: 80 }));
  assert.equal((await proxier.sync()).full, false);
  clock.t += 3_600_001;
  proxier.onServiceUpsert(service({ name: 'web2', clusterIP: '192.168.199.98', port: 80 }));
  assert.equal((await proxier.sync()).full, true);
});

test('parseNftListing keeps only table ip kube-proxy (list chains ip also shows other tables)', () => {
  const l = parseNftListing(
    'table ip nat {\n\tchain POSTROUTING {\n\t}\n}\ntable ip kube-proxy {\n\tchain service-AB-default/x/tcp/ {\n\t}\n}\ntable ip kube-proxy {\n\tset affinity-X {\n\t}\n}\n',
  );
  assert.deepEqual(l, { chains: ['service-AB-default/x/tcp/'], sets: ['affinity-X'] });
});
