// The etcd client's pieces that need no etcd: prefix ends on bytes, endpoint validation, failover
// across members (a refused connection, gRPC Unavailable "no leader"), errors that no retry fixes,
// and giving up after retryForMs naming the members; and the members' filter table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { StoreError } from '../../../cluster/store/backend.js';
import {
  bytesPrefixEnd,
  EtcdApiError,
  EtcdGateway,
  EtcdUnavailableError,
} from '../../../cluster/store/etcd-gateway.js';
import { memberFilter } from '../../../runtime/lab/etcd-members.js';

const unb64 = (s: string) => Buffer.from(s, 'base64');

test('bytesPrefixEnd raises the last byte below 0xff, as etcd clientv3.GetPrefixRangeEnd', () => {
  assert.deepEqual(unb64(bytesPrefixEnd('/registry/pods/')), Buffer.from('/registry/pods0'));
  assert.deepEqual(unb64(bytesPrefixEnd('a\u00ff')), Buffer.from([0x61, 0xc3, 0xc0])); // UTF-8 c3 bf -> c3 c0
  assert.deepEqual(unb64(bytesPrefixEnd('')), Buffer.from([0]));
});

test('bad endpoints are refused with what and where, before anything is dialled', () => {
  assert.throws(() => new EtcdGateway({ endpoints: [] }), /no endpoints/);
  assert.throws(
    () => new EtcdGateway({ endpoints: [{ host: 'etcd.example', port: 2379 }] }),
    (e: unknown) => e instanceof StoreError && /etcd\.example:2379: an IPv4 address/.test(e.message),
  );
  assert.throws(() => new EtcdGateway({ endpoints: [{ host: '10.0.0.1', port: 70000 }] }), /port 1-65535/);
  assert.throws(
    () => new EtcdGateway({ endpoints: [{ host: '10.0.0.1', port: 2379, netns: '/run/netns/x' }] }),
    /is in \/run\/netns\/x: the netns addon path is needed/,
  );
});

/** A fake member: answers each POST with the next of `answers` (status, JSON body), the last repeated. */
async function fakeMember(answers: [number, unknown][]): Promise<{ port: number; calls: string[]; close(): void }> {
  const calls: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      calls.push(`${req.url} ${req.headers['grpc-metadata-hasleader']} ${body}`);
      const [status, json] = answers[Math.min(calls.length - 1, answers.length - 1)]!;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    calls,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** A port nothing listens on (a member that died: its connections are refused). */
async function deadPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

test('a refused member and a member without a leader are skipped; the answer comes from the next one', async (t) => {
  const noLeader = await fakeMember([
    [503, { error: 'etcdserver: no leader', code: 14 }],
    [200, { header: { revision: '7' } }],
  ]);
  const ok = await fakeMember([[200, { header: { revision: '9' } }]]);
  t.after(() => (noLeader.close(), ok.close()));
  const gw = new EtcdGateway({
    endpoints: [
      { host: '127.0.0.1', port: await deadPort() },
      { host: '127.0.0.1', port: noLeader.port },
      { host: '127.0.0.1', port: ok.port },
    ],
    retryForMs: 10_000,
  });
  t.after(() => gw.close());
  const r = await gw.call<{ header: { revision: string } }>('/v3/kv/range', { key: 'YQ==' });
  assert.equal(r.header.revision, '9');
  assert.equal(noLeader.calls.length, 1, 'the member without a leader was asked once');
  assert.match(noLeader.calls[0]!, /^\/v3\/kv\/range true \{"key":"YQ=="\}$/, 'asks for a leader (hasleader)');
  // The member that answered is asked first next time.
  await gw.call('/v3/kv/range', { key: 'YQ==' });
  assert.equal(ok.calls.length, 2);
  assert.equal(noLeader.calls.length, 1);
});

test('an error no other member fixes is thrown at once; nobody answering ends after retryForMs', async (t) => {
  const bad = await fakeMember([[400, { error: 'etcdserver: mvcc: required revision has been compacted', code: 11 }]]);
  const other = await fakeMember([[200, {}]]);
  t.after(() => (bad.close(), other.close()));
  const gw = new EtcdGateway({
    endpoints: [
      { host: '127.0.0.1', port: bad.port },
      { host: '127.0.0.1', port: other.port },
    ],
  });
  t.after(() => gw.close());
  await assert.rejects(
    gw.call('/v3/kv/range', {}),
    (e: unknown) => e instanceof EtcdApiError && e.code === 11 && /compacted/.test(e.message),
  );
  assert.equal(other.calls.length, 0, 'not retried elsewhere');

  const p1 = await deadPort();
  const p2 = await deadPort();
  const dead = new EtcdGateway({
    endpoints: [
      { host: '127.0.0.1', port: p1 },
      { host: '127.0.0.1', port: p2 },
    ],
    retryForMs: 300,
  });
  t.after(() => dead.close());
  await assert.rejects(
    dead.call('/v3/kv/txn', {}),
    (e: unknown) =>
      e instanceof EtcdUnavailableError &&
      e.message.includes(`127.0.0.1:${p1}, 127.0.0.1:${p2}`) &&
      /within 0.3 s/.test(e.message),
  );
});

test("each member's filter table admits its ports from the members and loopback only", () => {
  const rules = memberFilter({
    kind: 'etcd',
    members: [
      { name: 'etcd0', address: '10.231.209.11' },
      { name: 'etcd1', address: '10.231.209.12' },
    ],
  });
  assert.deepEqual(rules.split('\n'), [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD DROP [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    '-A INPUT -i lo -j ACCEPT',
    '-A INPUT -s 10.231.209.11/32 -p tcp -m multiport --dports 2379,2380 -j ACCEPT',
    '-A INPUT -s 10.231.209.12/32 -p tcp -m multiport --dports 2379,2380 -j ACCEPT',
    '-A INPUT -p tcp -m multiport --dports 2379,2380 -j REJECT --reject-with tcp-reset',
    'COMMIT',
    '',
  ]);
});
