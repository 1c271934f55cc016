import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../../../common/errors.js';
import { parsePathTarget } from '../../../common/path-target.js';

test('destinations: IP, IP:port, name, name:port', () => {
  assert.deepEqual(parsePathTarget('192.168.129.10', 'd'), { kind: 'ip', ip: '192.168.129.10' });
  assert.deepEqual(parsePathTarget('192.168.199.234:8080', 'd'), { kind: 'ip', ip: '192.168.199.234', port: 8080 });
  assert.deepEqual(parsePathTarget('Google.com', 'd'), { kind: 'name', name: 'google.com' });
  assert.deepEqual(parsePathTarget('kubia.default.svc.cluster.local:80', 'd'), {
    kind: 'name',
    name: 'kubia.default.svc.cluster.local',
    port: 80,
  });
  assert.deepEqual(parsePathTarget('192.168.192.10:53/udp', 'd'), {
    kind: 'ip',
    ip: '192.168.192.10',
    port: 53,
    udp: true,
  });
  assert.deepEqual(parsePathTarget('192.168.192.10:53/TCP', 'd'), { kind: 'ip', ip: '192.168.192.10', port: 53 });
});

test('bad destinations are refused with the field named', () => {
  for (const bad of [
    '',
    '1.2.3',
    '256.1.1.1',
    '01.2.3.4',
    '10.0.0.1:0',
    '10.0.0.1:65536',
    '10.0.0.1:8o',
    'a;reboot',
    '$(id)',
    'x y',
    '-oProxyCommand=x',
    '127.0.0.1',
    '224.0.0.1',
    'a..b',
    '10.0.0.1/udp',
    '10.0.0.1:53/sctp',
  ]) {
    assert.throws(
      () => parsePathTarget(bad, 'path.trace.destination'),
      (e: unknown) => e instanceof ValidationError && e.message.startsWith('path.trace.destination'),
      bad,
    );
  }
});
