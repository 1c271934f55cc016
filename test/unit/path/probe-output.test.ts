// Parsers of probe output, on text recorded from traceroute, ping, curl and conntrack.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConntrack, parseCurlWriteOut, parsePing, parseTraceroute } from '../../../server/path/probe-output.js';
import { captureFileName, captureFilter } from '../../../server/path/capture-store.js';
import { countPcapPackets } from '../../../server/path/pcap-reader.js';

test('traceroute -n: addresses per TTL, stars, and !H (the article docker0 example)', () => {
  const text =
    'traceroute to 172.17.0.2 (172.17.0.2), 30 hops max, 60 byte packets\n 1  192.168.132.1  0.124 ms\n 2  172.17.0.1  3005.955 ms !H\n 3  *\n';
  assert.deepEqual(parseTraceroute(text), [
    { ttl: 1, address: '192.168.132.1' },
    { ttl: 2, address: '172.17.0.1', note: '!H' },
    { ttl: 3, address: null },
  ]);
});

test('ping summary and rtt', () => {
  assert.deepEqual(
    parsePing(
      '1 packets transmitted, 1 received, 0% packet loss, time 0ms\nrtt min/avg/max/mdev = 0.698/0.698/0.698/0.000 ms\n',
    ),
    { sent: 1, received: 1, rttMs: 0.698 },
  );
  assert.deepEqual(parsePing('1 packets transmitted, 0 received, 100% packet loss, time 0ms\n'), {
    sent: 1,
    received: 0,
  });
});

test('curl write-out: connected or not', () => {
  assert.deepEqual(parseCurlWriteOut('200 192.168.192.50 80 192.168.128.10 48228 0.000565'), {
    httpCode: 200,
    remote: '192.168.192.50:80',
    localPort: 48228,
    connected: true,
  });
  assert.equal(parseCurlWriteOut('000  0  0 0.000000')?.connected, false);
});

test('conntrack -L: the reply tuple names the endpoint DNAT picked', () => {
  const line =
    'tcp      6 115 TIME_WAIT src=192.168.128.10 dst=192.168.192.50 sport=48228 dport=80 src=192.168.129.10 dst=192.168.128.10 sport=8080 dport=48228 [ASSURED] mark=0 use=1';
  assert.deepEqual(parseConntrack(line), [
    {
      protocol: 'tcp',
      original: { src: '192.168.128.10', dst: '192.168.192.50', sport: 48228, dport: 80 },
      reply: { src: '192.168.129.10', dst: '192.168.128.10', sport: 8080, dport: 48228 },
    },
  ]);
});

test('capture filters are built only from IPv4 addresses and a port; file names are safe', () => {
  const p = {
    namespace: 'kw-node1',
    label: 'node1',
    dev: 'eth0',
    role: 'x',
    match: { hosts: ['10.231.209.116', '10.231.209.117; rm -rf /', '10.231.209.117'], udpPort: 8472 },
  };
  assert.equal(captureFilter(p), 'host 10.231.209.116 and host 10.231.209.117 and udp port 8472');
  assert.equal(
    captureFileName(2, { ...p, dev: 'flannel.1' }, 'default/../kubia'),
    '03-default_.._kubia-flannel.1.pcap',
  );
});

test('pcap packet count stops at a record cut short', () => {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  const rec = (n: number): Buffer => {
    const b = Buffer.alloc(16 + n);
    b.writeUInt32LE(n, 8);
    b.writeUInt32LE(n, 12);
    return b;
  };
  assert.equal(countPcapPackets(Buffer.concat([head, rec(60), rec(98)])), 2);
  assert.equal(countPcapPackets(Buffer.concat([head, rec(60), rec(98).subarray(0, 50)])), 1);
  assert.equal(countPcapPackets(Buffer.from('not a pcap file at all, no')), 0);
});
