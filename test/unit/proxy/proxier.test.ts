import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IptablesRestorer } from '../../../cluster/proxy/iptables-restorer.js';
import { Proxier } from '../../../cluster/proxy/proxier.js';
import { ValidationError } from '../../../common/errors.js';
import { endpointSlice, kubiaService, kubiaSlice, service } from '../../support/proxy-objects.js';

/** Records what would be restored; `save` answers with what the "node" holds. */
class RecordingRestorer implements IptablesRestorer {
  restored: string[] = [];
  saved = '';
  failNext = false;
  saves = 0;
  async restore(_netns: string, text: string): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('iptables-restore: line 3 failed');
    }
    this.restored.push(text);
  }
  async save(): Promise<string> {
    this.saves++;
    return this.saved;
  }
}

class FakeClock {
  t = 1_000_000;
  now(): number {
    return this.t;
  }
}

function setup() {
  const restorer = new RecordingRestorer();
  const clock = new FakeClock();
  const proxier = new Proxier({
    netns: 'kw-unit-node5',
    restorer,
    clock,
    config: { nodeName: 'node5', clusterCIDR: '192.168.128.0/18' },
  });
  proxier.onServiceUpsert(kubiaService());
  proxier.onEndpointSliceUpsert(kubiaSlice());
  proxier.onServiceUpsert(service({ name: 'other', clusterIP: '192.168.192.20', port: 80 }));
  proxier.onEndpointSliceUpsert(
    endpointSlice({ service: 'other', port: 80, endpoints: ['192.168.128.30', '192.168.129.30'] }),
  );
  return { restorer, clock, proxier };
}

const declared = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith(':'))
    .map((l) => l.slice(1).split(' ')[0]!);

test('the first sync is full: reads iptables-save, prepends the missing jump rules, declares every chain', async () => {
  const { restorer, proxier } = setup();
  const r = await proxier.sync();
  assert.equal(r.full, true);
  assert.equal(restorer.saves, 1);
  const text = restorer.restored[0]!;
  assert.ok(text.includes('-I PREROUTING 1 -m comment --comment "kubernetes service portals" -j KUBE-SERVICES'));
  assert.ok(text.includes('-I POSTROUTING 1 -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING'));
  assert.ok(text.includes('-I FORWARD 1 -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD'));
  assert.equal(declared(text).filter((c) => c.startsWith('KUBE-SEP-')).length, 8);
  assert.equal(r.servicesWritten, 2);
});

test('a full sync does not add jump rules that iptables-save already shows', async () => {
  const { restorer, proxier } = setup();
  restorer.saved = [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    'COMMIT',
    '',
  ].join('\n');
  await proxier.sync();
  const text = restorer.restored[0]!;
  assert.ok(!text.includes('-I PREROUTING'));
  assert.ok(text.includes('-I OUTPUT 1 -m comment --comment "kubernetes service portals" -j KUBE-SERVICES'));
});

test("a partial sync writes only the changed service's chains and deletes the chain of a removed endpoint", async () => {
  const { restorer, proxier } = setup();
  await proxier.sync();
  const firstChains = declared(restorer.restored[0]!);
  // One kubia pod goes away.
  proxier.onEndpointSliceUpsert(
    kubiaSlice(['192.168.128.12', '192.168.129.7', '192.168.130.9', '192.168.132.5', '192.168.133.3']),
  );
  const r = await proxier.sync();
  assert.equal(r.full, false);
  assert.equal(restorer.saves, 1, 'no iptables-save on a partial sync');
  const text = restorer.restored[1]!;
  const chains = declared(text);
  // kubia's chains are rewritten; "other"'s are not mentioned at all.
  assert.ok(chains.includes('KUBE-SVC-XCCRWSFD2BRL7CRI'));
  const otherSeps = firstChains.filter((c) => c.startsWith('KUBE-SEP-') && !text.includes(c));
  assert.equal(otherSeps.length, 2, 'the two KUBE-SEP chains of "other" are left alone');
  for (const line of text.split('\n'))
    assert.ok(!line.includes('default/other ->'), `unchanged service written: ${line}`);
  // KUBE-SERVICES still holds the same rules, so it is not rewritten (kube-proxy would), and the
  // filter table, unchanged, is not in the input at all.
  assert.ok(!text.includes(':KUBE-SERVICES'));
  assert.ok(!text.includes('-A KUBE-SERVICES'));
  assert.ok(!text.includes('*filter'));
  assert.deepEqual(r.sharedChainsWritten, []);
  // The removed endpoint's chain (192.168.131.21:8080) is flushed by its declaration, then deleted.
  assert.ok(text.includes(':KUBE-SEP-QEDP4QZ65FSQESJI - [0:0]'));
  assert.ok(text.includes('-X KUBE-SEP-QEDP4QZ65FSQESJI'));
  assert.equal(r.staleChainsDeleted, 1);
  assert.equal(r.servicesWritten, 1);
  // Probabilities are recomputed for five endpoints.
  assert.ok(text.includes('--probability 0.2000000000 -j'));
  assert.ok(!text.includes('0.1666666667'));
});

test('an update that changes nothing writes no service chain; a deleted service loses all its chains', async () => {
  const { restorer, proxier } = setup();
  await proxier.sync();
  proxier.onServiceUpsert(kubiaService());
  assert.equal(proxier.pending(), false);
  proxier.onServiceDelete({ metadata: { namespace: 'default', name: 'other' } });
  const r = await proxier.sync();
  const text = restorer.restored[1]!;
  assert.equal(r.servicesWritten, 0);
  assert.equal(r.staleChainsDeleted, 3, 'KUBE-SVC + two KUBE-SEP');
  assert.equal(text.split('\n').filter((l) => l.startsWith('-X ')).length, 3);
  assert.ok(!text.includes('default/other'));
});

test('after a failed restore the next sync is full again and rewrites everything', async () => {
  const { restorer, proxier } = setup();
  await proxier.sync();
  proxier.onEndpointSliceUpsert(endpointSlice({ service: 'other', port: 80, endpoints: ['192.168.128.30'] }));
  restorer.failNext = true;
  await assert.rejects(proxier.sync(), /line 3/);
  const r = await proxier.sync();
  assert.equal(r.full, true);
  assert.equal(r.servicesWritten, 2);
  assert.equal(restorer.saves, 2);
});

test("kube-proxy's hourly full sync follows the injected clock", async () => {
  const { clock, proxier } = setup();
  assert.equal((await proxier.sync()).full, true);
  clock.t += 59 * 60_000;
  assert.equal((await proxier.sync()).full, false);
  clock.t += 2 * 60_000;
  assert.equal((await proxier.sync()).full, true);
});

test('a bad object is refused and changes nothing', async () => {
  const { restorer, proxier } = setup();
  await proxier.sync();
  assert.throws(
    () => proxier.onServiceUpsert(service({ name: 'kubia', clusterIP: 'not-an-ip', port: 8080 })),
    ValidationError,
  );
  assert.equal(proxier.pending(), false);
  const r = await proxier.sync();
  assert.equal(restorer.restored.length, 1, 'nothing changed, so no iptables-restore ran');
  assert.equal(r.servicesWritten, 0);
  assert.ok(proxier.lastRestoreText().includes('-d 192.168.199.234 --dport 8080'));
});

test('a service getting its first endpoint rewrites the shared chains it appears in (nat and filter)', async () => {
  const { restorer, proxier } = setup();
  proxier.onServiceUpsert(service({ name: 'late', clusterIP: '192.168.192.30', port: 80 }));
  await proxier.sync();
  assert.ok(restorer.restored[0]!.includes('"default/late has no endpoints"'));
  proxier.onEndpointSliceUpsert(endpointSlice({ service: 'late', port: 80, endpoints: ['192.168.128.40'] }));
  const r = await proxier.sync();
  const text = restorer.restored[1]!;
  assert.deepEqual(r.sharedChainsWritten.sort(), ['filter:KUBE-SERVICES', 'nat:KUBE-SERVICES']);
  // KUBE-SERVICES (nat) is declared, so flushed, and written whole, other services included.
  assert.ok(text.includes(':KUBE-SERVICES - [0:0]'));
  assert.ok(text.includes('-A KUBE-SERVICES -m comment --comment "default/other cluster IP"'));
  assert.ok(text.includes('-A KUBE-SERVICES -m comment --comment "default/late cluster IP"'));
  // The REJECT is gone: filter KUBE-SERVICES is flushed and now empty.
  assert.ok(!text.includes('has no endpoints'));
  assert.ok(text.includes('*filter\n:KUBE-SERVICES - [0:0]\nCOMMIT'));
});

test("the apiserver client's Service and EndpointSlice types can be handed to the Proxier as they are", () => {
  // Compile-time check (tsc fails if the shapes drift apart); the runtime part is trivial.
  const fromInformer = (
    svc: import('../../../common/api-types.js').Service,
    slice: import('../../../common/api-types.js').EndpointSlice,
  ) => {
    const p = new Proxier({
      netns: 'kw-unit-types',
      restorer: new RecordingRestorer(),
      clock: new FakeClock(),
      config: { nodeName: 'node1' },
    });
    p.onServiceUpsert(svc);
    p.onEndpointSliceUpsert(slice);
    p.onServiceDelete(svc);
    return p;
  };
  assert.equal(typeof fromInformer, 'function');
});
