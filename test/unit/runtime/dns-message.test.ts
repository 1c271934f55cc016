// The emulated Internet's DNS wire code against hand-built packets (RFC 1035 layout).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { answerQuery, parseQuery, RCODE_NXDOMAIN } from '../../../runtime/images/dns-message.js';

function query(name: string, type = 1, id = 0x1234): Uint8Array {
  const labels = name.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]);
  return Uint8Array.from([id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, type, 0, 1]);
}
const table = new Map([['google.com', ['203.0.113.10']]]);

test('parses the question of a query', () => {
  const q = parseQuery(query('Google.COM'))!;
  assert.equal(q.name, 'google.com');
  assert.equal(q.type, 1);
  assert.equal(q.id, 0x1234);
});

test('answers an A query with the address, echoing id, RD and the question', () => {
  const qb = query('google.com');
  const a = Buffer.from(answerQuery(qb, table));
  assert.equal(a.readUInt16BE(0), 0x1234);
  const flags = a.readUInt16BE(2);
  assert.ok(flags & 0x8000, 'QR');
  assert.ok(flags & 0x0100, 'RD echoed');
  assert.equal(flags & 0xf, 0);
  assert.equal(a.readUInt16BE(6), 1, 'one answer');
  assert.deepEqual([...a.subarray(12, qb.length)], [...qb.subarray(12)]);
  const rr = a.subarray(qb.length);
  assert.equal(rr.readUInt16BE(0), 0xc00c);
  assert.equal(rr.readUInt16BE(2), 1);
  assert.equal(rr.readUInt16BE(10), 4);
  assert.deepEqual([...rr.subarray(12, 16)], [203, 0, 113, 10]);
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
});
