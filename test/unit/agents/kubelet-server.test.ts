// Pure parts of the kubelet server and its apiserver side: kubelet's path → nodes/<subresource>
// mapping, the remote command Status, the SPDY/3.1 session (a client written here from the spec:
// SYN_STREAM with a zlib header block, DATA with FIN, PING echo), the metrics text parser, the
// PodDisruptionBudget arithmetic, and log options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeAttributes } from '../../../cluster/agents/kubelet-server/delegated-auth.js';
import { exitStatus } from '../../../cluster/agents/kubelet-server/remote-command.js';
import { SpdySession, type SpdyStream } from '../../../cluster/agents/kubelet-server/spdy-session.js';
import { SPDY3_DICTIONARY } from '../../../cluster/agents/kubelet-server/spdy-dictionary.js';
import { parseLogOptions, streamContainerLog } from '../../../cluster/agents/kubelet-server/container-logs.js';
import { parseResourceMetrics } from '../../../cluster/apiserver/http/metrics-api.js';
import { budgetStatus } from '../../../cluster/apiserver/http/eviction.js';
import { eventually as until } from '../../helpers/eventually.js';

test('kubelet maps paths to nodes subresources and methods to verbs', () => {
  assert.deepEqual(nodeAttributes('GET', '/stats/summary'), { verb: 'get', subresource: 'stats' });
  assert.deepEqual(nodeAttributes('GET', '/metrics/resource'), { verb: 'get', subresource: 'metrics' });
  assert.deepEqual(nodeAttributes('POST', '/exec/default/p/c'), { verb: 'create', subresource: 'proxy' });
  assert.deepEqual(nodeAttributes('GET', '/containerLogs/default/p/c'), { verb: 'get', subresource: 'proxy' });
});

test('the error channel carries a Status with the exit code as client-go reads it', () => {
  assert.deepEqual(JSON.parse(exitStatus(0)), { metadata: {}, status: 'Success' });
  const s = JSON.parse(exitStatus(3));
  assert.equal(s.reason, 'NonZeroExitCode');
  assert.deepEqual(s.details.causes, [{ reason: 'ExitCode', message: '3' }]);
});

function headerBlock(h: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  const n = Buffer.alloc(4);
  n.writeUInt32BE(Object.keys(h).length);
  parts.push(n);
  for (const [k, v] of Object.entries(h)) {
    for (const s of [k, v]) {
      const l = Buffer.alloc(4);
      l.writeUInt32BE(s.length);
      parts.push(l, Buffer.from(s));
    }
  }
  return Buffer.concat(parts);
}

function control(type: number, flags: number, body: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(0x8003);
  h.writeUInt16BE(type, 2);
  h.writeUInt32BE((flags << 24) | body.length, 4);
  return Buffer.concat([h, body]);
}

test('SPDY/3.1 session: streams with compressed headers, data, FIN, SYN_REPLY, PING', async () => {
  const out: Buffer[] = [];
  const payloads: Buffer[] = [];
  const session = new SpdySession((head, payload) => {
    if (payload) payloads.push(payload);
    out.push(payload ? Buffer.concat([head, payload]) : head);
  });
  const streams: SpdyStream[] = [];
  session.on('stream', (s: SpdyStream) => streams.push(s));
  const deflate = zlib.createDeflate({ dictionary: SPDY3_DICTIONARY });
  const compress = (b: Buffer) =>
    new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      const on = (c: Buffer) => chunks.push(c);
      deflate.on('data', on);
      deflate.write(b);
      deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        deflate.off('data', on);
        resolve(Buffer.concat(chunks));
      });
    });
  for (const [id, type] of [
    [1, 'error'],
    [3, 'data'],
  ] as const) {
    const ids = Buffer.alloc(10);
    ids.writeUInt32BE(id);
    session.receive(
      control(
        1,
        0,
        Buffer.concat([ids, await compress(headerBlock({ streamtype: type, port: '8080', requestid: '0' }))]),
      ),
    );
  }
  const received: string[] = [];
  await until(() => streams.length === 2);
  assert.deepEqual(
    streams.map((s) => [s.id, s.headers.streamtype, s.headers.port]),
    [
      [1, 'error', '8080'],
      [3, 'data', '8080'],
    ],
  );
  streams[1]!.on('data', (b: Buffer) => received.push(b.toString()));
  let ended = false;
  streams[1]!.on('end', () => (ended = true));
  const data = Buffer.alloc(8 + 5);
  data.writeUInt32BE(3);
  data.writeUInt32BE((1 << 24) | 5, 4);
  data.write('hello', 8);
  session.receive(data.subarray(0, 6));
  session.receive(data.subarray(6));
  const ping = Buffer.alloc(4);
  ping.writeUInt32BE(7);
  session.receive(control(6, 0, ping));
  await until(() => ended && out.filter((b) => b[0]! & 0x80).length === 3);
  assert.deepEqual(received, ['hello']);
  assert.ok(ended);
  const types = out.filter((b) => b[0]! & 0x80).map((b) => b.readUInt16BE(2));
  assert.deepEqual(types, [2, 2, 6]); // two SYN_REPLYs, the PING echoed
  streams[1]!.write(Buffer.from('back'));
  streams[1]!.end();
  await until(() => out.filter((b) => !(b[0]! & 0x80)).length === 2);
  const frames = out.filter((b) => !(b[0]! & 0x80));
  assert.equal(frames[0]!.subarray(8).toString(), 'back');
  assert.equal(frames[1]![4], 1, 'FIN');
  // A DATA frame's payload leaves apart from its 8-byte header, as the caller's buffer (no copy),
  // and a large write is cut into frames of at most 64 KiB.
  const big = Buffer.alloc(100_000, 7);
  streams[0]!.write(big);
  const [first, second] = payloads.slice(-2);
  assert.equal(first!.buffer, big.buffer);
  assert.deepEqual([first!.length, second!.length], [65536, 100_000 - 65536]);
  session.close();
});

test('metrics text as metrics-server reads it', () => {
  const s = parseResourceMetrics(
    '# HELP x\nnode_cpu_usage_seconds_total 12.5 1\nnode_memory_working_set_bytes 2048 1\ncontainer_cpu_usage_seconds_total{container="c",namespace="ns",pod="p"} 1.5 1\ncontainer_memory_working_set_bytes{container="c",namespace="ns",pod="p"} 1024 1\n',
    5,
  );
  assert.equal(s.nodeCpu, 12.5);
  assert.equal(s.nodeMem, 2048);
  assert.deepEqual(s.containers.get('ns/p/c'), { ns: 'ns', pod: 'p', name: 'c', cpu: 1.5, mem: 1024 });
});

test('PodDisruptionBudget arithmetic: minAvailable, maxUnavailable, percentages, disrupted pods', () => {
  const pod = (name: string, ready = true, deleting = false) => ({
    metadata: { name, labels: { app: 'a' }, ...(deleting ? { deletionTimestamp: 'x' } : {}) },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });
  const pdb = (spec: Record<string, unknown>, disruptedPods = {}) => ({
    metadata: { name: 'b', generation: 1 },
    spec: { selector: { matchLabels: { app: 'a' } }, ...spec },
    status: { disruptedPods },
  });
  const pods = [pod('a'), pod('b'), pod('c', false)];
  assert.equal(budgetStatus(pdb({ minAvailable: 1 }), pods, 0).disruptionsAllowed, 1);
  assert.equal(budgetStatus(pdb({ maxUnavailable: 1 }), pods, 0).disruptionsAllowed, 0);
  assert.equal(budgetStatus(pdb({ minAvailable: '50%' }), pods, 0).desiredHealthy, 2);
  assert.equal(
    budgetStatus(pdb({ minAvailable: 1 }, { a: new Date(0).toISOString() }), pods, 1000).disruptionsAllowed,
    0,
  );
  assert.equal(budgetStatus(pdb({ minAvailable: 1 }), [pod('a'), pod('b', true, true)], 0).disruptionsAllowed, 0);
});

test('log options: since, tail, limit, and their errors', () => {
  const o = parseLogOptions(new URLSearchParams('follow=true&tailLines=5&sinceSeconds=10&timestamps=true'), 100_000);
  assert.deepEqual(o, {
    follow: true,
    previous: false,
    tailLines: 5,
    limitBytes: undefined,
    timestamps: true,
    since: 90_000,
  });
  assert.throws(
    () => parseLogOptions(new URLSearchParams('sinceSeconds=1&sinceTime=2020-01-01T00:00:00Z'), 0),
    /at most one/,
  );
  assert.throws(() => parseLogOptions(new URLSearchParams('tailLines=-1'), 0), /non-negative/);
});

test("container logs: a record whose text holds a terminal's \\r is read as a record (a tty container)", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kw-logs-test-'));
  try {
    const file = join(dir, '0.log');
    writeFileSync(
      file,
      '2026-12-03T14:24:16.867000000Z stdout F / # \x1b[6n\r/ # echo hi\n2026-12-03T14:24:16.900000000Z stdout F hi\n',
    );
    const chunks: Buffer[] = [];
    const o = parseLogOptions(new URLSearchParams(), Date.now());
    await streamContainerLog(file, o, (b) => chunks.push(b), new AbortController().signal);
    assert.equal(Buffer.concat(chunks).toString(), '/ # \x1b[6n\r/ # echo hi\nhi\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
