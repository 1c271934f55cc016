// The lab resolvers' DNS messages against hand-built query bytes (RFC 1035 layout); answers are read
// back with dns-packet. TCP framing: whole messages out of arbitrary chunks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import dnsPacket from 'dns-packet';
import { answerQuery, parseQuery, RCODE_NXDOMAIN, TcpFramer, tcpFrame } from '../../../runtime/images/dns-message.js';

function query(name: string, type = 1, id = 0x1234): Uint8Array {
  const labels = name.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]);
  return Uint8Array.from([id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, type, 0, 1]);
}
const table = new Map([['google.com', ['203.0.113.10']]]);

test('parses the question of a query', () => {
  const q = parseQuery(query('Google.COM'))!;
  assert.equal(q.name, 'google.com');
  assert.equal(q.asked, 'Google.COM');
  assert.equal(q.type, 'A');
  assert.equal(q.id, 0x1234);
});

test('answers an A query with the address, echoing id, RD and the question as asked', () => {
  const qb = query('GooGle.com');
  const a = Buffer.from(answerQuery(qb, table));
  assert.equal(a.readUInt16BE(0), 0x1234);
  const flags = a.readUInt16BE(2);
  assert.ok(flags & 0x8000, 'QR');
  assert.ok(flags & 0x0400, 'AA');
  assert.ok(flags & 0x0100, 'RD echoed');
  assert.equal(flags & 0xf, 0);
  const p = dnsPacket.decode(a);
  assert.deepEqual(p.questions, [{ name: 'GooGle.com', type: 'A', class: 'IN' }]);
  assert.equal(p.answers!.length, 1);
  assert.deepEqual(
    (({ name, type, class: c, data }) => ({ name, type, class: c, data }))(p.answers![0] as dnsPacket.StringAnswer),
    { name: 'GooGle.com', type: 'A', class: 'IN', data: '203.0.113.10' },
  );
});

test('unknown names get NXDOMAIN, AAAA gets an empty NOERROR, garbage gets FORMERR', () => {
  const nx = Buffer.from(answerQuery(query('nowhere.example'), table));
  assert.equal(nx.readUInt16BE(2) & 0xf, RCODE_NXDOMAIN);
  assert.equal(nx.readUInt16BE(6), 0);
  const aaaa = Buffer.from(answerQuery(query('google.com', 28), table));
  assert.equal(aaaa.readUInt16BE(2) & 0xf, 0);
  assert.equal(aaaa.readUInt16BE(6), 0);
  const bad = Buffer.from(answerQuery(Uint8Array.from([1, 2, 3]), table));
  assert.equal(bad.readUInt16BE(2) & 0xf, 1);
  assert.equal(parseQuery(Uint8Array.from([...query('a.b').subarray(0, 14)])), undefined);
  // A response is not a query.
  const resp = Buffer.from(answerQuery(query('google.com'), table));
  assert.equal(parseQuery(resp), undefined);
});

test('TCP framing: messages split and joined across chunks come out whole, in order', () => {
  const got: string[] = [];
  const framer = new TcpFramer((m) => got.push(parseQuery(m)!.name));
  const stream = Buffer.concat([tcpFrame(query('a.example')), tcpFrame(query('b.example')), tcpFrame(query('c.x'))]);
  // One byte at a time, then the rest in one go.
  for (const b of stream.subarray(0, 20)) assert.equal(framer.push(Buffer.from([b])), true);
  assert.equal(framer.push(stream.subarray(20)), true);
  assert.deepEqual(got, ['a.example', 'b.example', 'c.x']);
  // A peer announcing a huge message and sending more than any message may hold is refused.
  const greedy = new TcpFramer(() => assert.fail('no whole message'), 100);
  assert.equal(greedy.push(Buffer.concat([Buffer.from([0xff, 0xff]), Buffer.alloc(200)])), false);
});
