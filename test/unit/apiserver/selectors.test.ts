import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLabelSelector, formatLabelSelector } from '../../../cluster/apiserver/selectors/label-selector.js';
import { parseFieldSelector, selectableFields } from '../../../cluster/apiserver/selectors/field-selector.js';
import { ApiError } from '../../../cluster/apiserver/status.js';

test('label selectors: equality, sets, existence', () => {
  const labels = { app: 'kubia', tier: 'web', 'example.com/rel': 'stable' };
  const yes = [
    'app=kubia',
    'app==kubia',
    'tier!=db',
    'app in (kubia, other)',
    'tier notin (db)',
    'app',
    '!missing',
    'app=kubia,tier=web',
    'example.com/rel=stable',
    '',
  ];
  const no = ['app=other', 'tier!=web', 'app in (x,y)', 'tier notin (web)', 'missing', '!app', 'app=kubia,tier=db'];
  for (const s of yes) assert.equal(parseLabelSelector(s).matches(labels), true, s);
  for (const s of no) assert.equal(parseLabelSelector(s).matches(labels), false, s);
  assert.equal(parseLabelSelector('missing!=x').matches(labels), true);
});

test('label selectors: bad syntax is a 400 naming the problem', () => {
  for (const s of ['app in kubia', 'app in (a', '=x', 'app=kubia,', 'a b']) {
    assert.throws(
      () => parseLabelSelector(s),
      (e: unknown) => e instanceof ApiError && e.code === 400 && /label selector/.test(e.message),
      s,
    );
  }
});

test('formatLabelSelector matches kubectl/Scale form', () => {
  assert.equal(
    formatLabelSelector({
      matchLabels: { b: '2', a: '1' },
      matchExpressions: [
        { key: 'c', operator: 'In', values: ['y', 'x'] },
        { key: 'd', operator: 'Exists' },
      ],
    }),
    'a=1,b=2,c in (x,y),d',
  );
});

test('field selectors on pod and event fields', () => {
  const pod = {
    metadata: { name: 'p', namespace: 'default' },
    spec: { nodeName: 'node5' },
    status: { phase: 'Running' },
  };
  const f = selectableFields('pods', pod);
  assert.equal(parseFieldSelector('spec.nodeName=node5,status.phase!=Failed').matches(f), true);
  assert.equal(parseFieldSelector('spec.nodeName==node1').matches(f), false);
  assert.equal(
    parseFieldSelector('spec.nodeName=').matches(selectableFields('pods', { metadata: { name: 'x' } })),
    true,
  );
  const ev = {
    metadata: { name: 'e' },
    involvedObject: { kind: 'Pod', name: 'p', namespace: 'default', uid: 'u1' },
    reason: 'Scheduled',
    type: 'Normal',
    source: { component: 'default-scheduler' },
  };
  const ef = selectableFields('events', ev);
  assert.equal(
    parseFieldSelector(
      'involvedObject.name=p,involvedObject.namespace=default,involvedObject.kind=Pod,involvedObject.uid=u1',
    ).matches(ef),
    true,
  );
  assert.equal(parseFieldSelector('reason=Scheduled,type=Normal,source=default-scheduler').matches(ef), true);
  assert.equal(parseFieldSelector('metadata.name=a\\,b').requirements[0]!.value, 'a,b');
  const csr = { metadata: { name: 'node-csr-1' }, spec: { signerName: 'kubernetes.io/kube-apiserver-client-kubelet' } };
  const cf = selectableFields('certificatesigningrequests', csr);
  assert.deepEqual(Object.keys(cf).sort(), ['metadata.name', 'spec.signerName']);
  assert.equal(parseFieldSelector('spec.signerName=kubernetes.io/kube-apiserver-client-kubelet').matches(cf), true);
  assert.equal(parseFieldSelector('spec.signerName=kubernetes.io/kubelet-serving').matches(cf), false);
});
