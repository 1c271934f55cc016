import { test } from 'node:test';
import assert from 'node:assert/strict';
import { declaredPorts, podNotReady } from '../../../runtime/guide/pod-readiness.js';
import type { LabState } from '../../../runtime/lab/lab-state.js';

test('declaredPorts takes the TCP containerPorts of every container', () => {
  const manifest = {
    spec: { containers: [{ ports: [{ containerPort: 8080 }, { containerPort: 53, protocol: 'UDP' }] }, { name: 'b' }] },
  };
  assert.deepEqual(declaredPorts(manifest), [8080]);
  assert.deepEqual(declaredPorts({}), []);
});

test('podNotReady says what is missing: no state, no sandbox, no namespace', () => {
  assert.match(podNotReady(undefined, 'default', 'a', 1, [])!, /default\/a: no sandbox yet/);
  const state = {
    pods: { 'default/a': { netns: 'kw-tnone-default_a', containers: {}, sandbox: { pid: process.pid } } },
  } as unknown as LabState;
  assert.match(podNotReady(state, 'default', 'a', 1, [])!, /network namespace kw-tnone-default_a missing/);
});
