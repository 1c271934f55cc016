import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planShell } from '../../../server/terminals/shell-plan.js';

const env = { PATH: '/usr/bin:/bin', HOME: '/root' };

test('a node shell is `ip netns exec <ns> bash`, argv only', () => {
  const p = planShell({ prefix: 'kw-', namespace: 'kw-node5', baseEnv: env });
  assert.deepEqual(p.argv, ['ip', 'netns', 'exec', 'kw-node5', 'bash', '--noprofile', '--norc', '-i']);
  assert.equal(p.title, 'node node5');
  assert.equal(p.env.KUBEWIRE_NETNS, 'kw-node5');
  assert.match(p.env.PS1!, /\[node5\]/);
});

test('a pod shell with a known pause pid also joins its UTS and IPC namespaces', () => {
  const p = planShell({ prefix: 'kw-', namespace: 'kw-default_kubia-24hmb', pausePid: 4321, baseEnv: env });
  assert.deepEqual(p.argv, [
    'ip',
    'netns',
    'exec',
    'kw-default_kubia-24hmb',
    'nsenter',
    '-t',
    '4321',
    '-u',
    '-i',
    'bash',
    '--noprofile',
    '--norc',
    '-i',
  ]);
  assert.equal(p.title, 'pod default/kubia-24hmb');
});

test('a pod without pause, the gateway and the Internet use ip netns exec', () => {
  assert.equal(planShell({ prefix: 'kw-', namespace: 'kw-default_x', baseEnv: env }).argv[4], 'bash');
  assert.equal(planShell({ prefix: 'kw-', namespace: 'kw-internet', baseEnv: env }).title, 'internet internet');
});

test('refuses names outside the lab or with shell syntax, and bad pids', () => {
  assert.throws(() => planShell({ prefix: 'kw-', namespace: 'other-ns', baseEnv: env }), /not a namespace of lab kw-/);
  assert.throws(() => planShell({ prefix: 'kw-', namespace: 'kw-a$(id)', baseEnv: env }), /not a namespace/);
  assert.throws(
    () => planShell({ prefix: 'kw-', namespace: 'kw-default_p', pausePid: 1, baseEnv: env }),
    /not a process id/,
  );
});

test('with lab-exec.sh the shell joins the lab cgroup first (its terminals leaf)', () => {
  const p = planShell({ prefix: 'kw-', namespace: 'kw-node5', baseEnv: {}, labExec: '/x/native-scripts/lab-exec.sh' });
  assert.deepEqual(p.argv, [
    '/x/native-scripts/lab-exec.sh',
    'kw-',
    'terminals',
    '--',
    'ip',
    'netns',
    'exec',
    'kw-node5',
    'env',
    `PS1=${p.env.PS1}`,
    'bash',
    '--noprofile',
    '--norc',
    '-i',
  ]);
  assert.match(p.env.PS1!, /\[node5\]/);
});
