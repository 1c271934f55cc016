import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../../../common/errors.js';
import { CALL_NAMES, isCallName, parseClientMessage, requestValidators } from '../../../common/ui-contract.js';

test('every call of the contract has a request validator, and only those are call names', () => {
  assert.deepEqual([...CALL_NAMES].sort(), [
    'cluster.get',
    'device.details',
    'guide.activity',
    'guide.check',
    'guide.list',
    'guide.record.save',
    'guide.record.start',
    'guide.record.stop',
    'guide.replay',
    'guide.show',
    'guide.solve',
    'guide.start',
    'iptables.get',
    'iptables.render',
    'layout.save',
    'learner.get',
    'learner.prefs',
    'learner.progress',
    'namespaces.list',
    'node.kubelet',
    'path.capture',
    'path.trace',
    'session.info',
    'terminal.close',
    'terminal.exec',
    'terminal.list',
    'terminal.open',
    'topology.get',
  ]);
  assert.equal(isCallName('terminal.open'), true);
  assert.equal(isCallName('toString'), false);
  assert.equal(isCallName('__proto__'), false);
});

test('terminal.exec and node.kubelet take Kubernetes names only', () => {
  assert.deepEqual(
    requestValidators['terminal.exec'](
      { namespace: 'default', pod: 'tools', container: 'netshoot', cols: 80, rows: 24 },
      'terminal.exec',
    ),
    { namespace: 'default', pod: 'tools', container: 'netshoot', cols: 80, rows: 24 },
  );
  assert.throws(
    () =>
      requestValidators['terminal.exec']({ namespace: 'default', pod: 'x;rm', cols: 80, rows: 24 }, 'terminal.exec'),
    /terminal\.exec\.pod/,
  );
  assert.deepEqual(requestValidators['node.kubelet']({ node: 'node5', action: 'stop' }, 'node.kubelet'), {
    node: 'node5',
    action: 'stop',
  });
  assert.throws(() => requestValidators['node.kubelet']({ node: 'node5', action: 'reboot' }, 'node.kubelet'), /action/);
});

test('terminal.open accepts a well-formed request and returns exactly its fields', () => {
  assert.deepEqual(requestValidators['terminal.open']({ namespace: 'kw-node5', cols: 80, rows: 24 }, 'terminal.open'), {
    namespace: 'kw-node5',
    cols: 80,
    rows: 24,
  });
});

test('terminal.open refuses shell metacharacters, unknown fields and odd sizes, naming the field', () => {
  const v = requestValidators['terminal.open'];
  const bad: [unknown, RegExp][] = [
    [{ namespace: 'kw-a;reboot', cols: 80, rows: 24 }, /terminal.open.namespace/],
    [{ namespace: '../etc', cols: 80, rows: 24 }, /terminal.open.namespace/],
    [{ namespace: 'kw-a', cols: 80.5, rows: 24 }, /terminal.open.cols: expected an integer/],
    [{ namespace: 'kw-a', cols: 80, rows: 0 }, /terminal.open.rows: 0 is outside/],
    [{ namespace: 'kw-a', cols: 80, rows: 24, argv: ['sh'] }, /unknown field 'argv'/],
    [[], /expected an object, got an array/],
  ];
  for (const [input, re] of bad)
    assert.throws(
      () => v(input, 'terminal.open'),
      (e: unknown) => e instanceof ValidationError && re.test(e.message),
    );
});

test('device.details checks the interface name pattern (IFNAMSIZ)', () => {
  const v = requestValidators['device.details'];
  assert.deepEqual(v({ namespace: 'kw-node1', ifname: 'flannel.1' }, 'd'), {
    namespace: 'kw-node1',
    ifname: 'flannel.1',
  });
  assert.throws(() => v({ namespace: 'kw-node1', ifname: 'a-very-long-ifname' }, 'd'), /d.ifname/);
  assert.throws(() => v({ namespace: 'kw-node1', ifname: 'eth0 up' }, 'd'), /d.ifname/);
});

test('calls without parameters refuse parameters', () => {
  assert.deepEqual(requestValidators['topology.get']({}, 'topology.get'), {});
  assert.throws(() => requestValidators['topology.get']({ all: true }, 'topology.get'), /unknown field 'all'/);
});

test('WebSocket frames are validated by type', () => {
  assert.deepEqual(parseClientMessage({ type: 'terminal.input', id: '0123456789abcdef', data: 'ls\r' }), {
    type: 'terminal.input',
    id: '0123456789abcdef',
    data: 'ls\r',
  });
  assert.deepEqual(parseClientMessage({ type: 'topology.subscribe' }), { type: 'topology.subscribe' });
  assert.throws(() => parseClientMessage({ type: 'terminal.input', id: 'nope', data: 'x' }), /websocket message.id/);
  assert.throws(
    () => parseClientMessage({ type: 'terminal.resize', id: '0123456789abcdef', cols: 5000, rows: 10 }),
    /cols/,
  );
  assert.throws(() => parseClientMessage({ type: 'exec', cmd: 'id' }), /unknown message type 'exec'/);
  assert.throws(() => parseClientMessage('hello'), /expected an object/);
});
