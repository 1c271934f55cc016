// Pinned pod identities: the annotation's syntax, which pins a ReplicaSet's creates take, and the
// pod it creates for a pin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePodPins, formatPodPins } from '../../../common/topology/pod-pins.js';
import { applyPin, planPinnedCreates } from '../../../cluster/controllers/replicaset/pinned-pods.js';
import type { Pod } from '../../../common/api-types.js';

test('parsePodPins reads NAME NODE [IP] [MAC] lines, comments and blanks', () => {
  const pins = parsePodPins(
    'kubia-24hmb node5 192.168.132.73 3e:43:3e:1f:48:a1\n# note\n\nkubia-m7tvc node4 192.168.131.21\nkubia-x node6\n',
  );
  assert.deepEqual(pins, [
    { name: 'kubia-24hmb', node: 'node5', ip: '192.168.132.73', mac: '3e:43:3e:1f:48:a1' },
    { name: 'kubia-m7tvc', node: 'node4', ip: '192.168.131.21' },
    { name: 'kubia-x', node: 'node6' },
  ]);
  assert.deepEqual(parsePodPins(formatPodPins(pins)), pins);
});

test('parsePodPins refuses bad names, addresses, MACs and duplicates, naming the line', () => {
  assert.throws(() => parsePodPins('Kubia node5'), /line 1.*not a valid pod name/);
  assert.throws(() => parsePodPins('a node5\nb node5 999.1.1.1'), /line 2/);
  assert.throws(() => parsePodPins('a node5 10.0.0.1 zz:zz'), /expected an IPv4 address/);
  assert.throws(() => parsePodPins('a node5\na node6'), /pinned twice/);
  assert.throws(() => parsePodPins('a node5 10.0.0.1\nb node5 10.0.0.1'), /IP 10.0.0.1 is pinned twice/);
  assert.throws(() => parsePodPins('lonely'), /expected "NAME NODE/);
});

const pod = (name: string, extra: Partial<Pod['metadata']> = {}): Pod =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', ...extra },
    spec: { containers: [] },
  }) as Pod;
const pins = parsePodPins('a n1 10.0.0.2\nb n1 10.0.0.3\nc n2 10.0.1.2');

test('free pins are taken first, then ordinary names; a pin held by a terminating pod of the owner waits', () => {
  assert.deepEqual(planPinnedCreates(pins, [], 'u1', 2), { pinned: pins.slice(0, 2), ordinary: 0, waiting: 0 });
  assert.deepEqual(planPinnedCreates(pins, [pod('a'), pod('b'), pod('c')], 'u1', 2), {
    pinned: [],
    ordinary: 2,
    waiting: 0,
  });
  const terminating = pod('b', {
    deletionTimestamp: '2026-01-01T00:00:00Z',
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1', controller: true }],
  });
  assert.deepEqual(planPinnedCreates(pins, [pod('a'), terminating, pod('c')], 'u1', 1), {
    pinned: [],
    ordinary: 0,
    waiting: 1,
  });
  // Someone else's pod with that name: the pin is skipped, not waited for.
  assert.deepEqual(planPinnedCreates(pins, [pod('a'), pod('b'), pod('c', { deletionTimestamp: 'x' })], 'u1', 1), {
    pinned: [],
    ordinary: 1,
    waiting: 0,
  });
  assert.deepEqual(planPinnedCreates(pins, [pod('a')], 'u1', 5), { pinned: pins.slice(1), ordinary: 3, waiting: 0 });
});

test('applyPin names the pod, selects the node and asks the CNI call for the IP and MAC', () => {
  const template = {
    ...pod(''),
    metadata: { generateName: 'kubia-6d8f-', namespace: 'default', labels: { app: 'kubia' } },
  } as Pod;
  const p = applyPin(template, { name: 'kubia-24hmb', node: 'node5', ip: '192.168.132.73', mac: '3e:43:3e:1f:48:a1' });
  assert.equal(p.metadata.name, 'kubia-24hmb');
  assert.equal(p.metadata.generateName, undefined);
  assert.deepEqual(p.metadata.annotations, {
    'kubewire.io/ip': '192.168.132.73',
    'kubewire.io/mac': '3e:43:3e:1f:48:a1',
  });
  assert.deepEqual(p.spec.nodeSelector, { 'kubernetes.io/hostname': 'node5' });
  assert.equal(template.metadata.generateName, 'kubia-6d8f-', 'the template is not changed');
});
