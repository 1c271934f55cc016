import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clampProgress, freshProgress, markDone, withHint } from '../../../common/lab-progress.js';
import { parseShowLink } from '../../../common/show-link.js';

test('a passed step is marked done and the learner moves to the next step not done', () => {
  let p = freshProgress();
  p = markDone(p, 1, 7);
  assert.deepEqual(p, { done: [1], current: 2, hints: [] });
  p = markDone({ ...p, current: 3 }, 3, 7);
  assert.equal(p.current, 4);
  // Re-checking an older step does not move the learner.
  assert.equal(markDone(p, 2, 7).current, 4);
  // The last step done: back to the first one not done.
  assert.equal(markDone({ done: [1, 3, 4, 5, 6], current: 7, hints: [] }, 7, 7).current, 2);
  assert.equal(markDone({ done: [1, 2], current: 3, hints: [] }, 3, 3).current, 3);
});

test('hints are remembered once; progress of a lab that lost steps is clamped', () => {
  assert.deepEqual(withHint(withHint(freshProgress(), 2), 2).hints, [2]);
  assert.deepEqual(clampProgress({ done: [1, 8], current: 9, hints: [8] }, 7), { done: [1], current: 1, hints: [] });
  assert.deepEqual(clampProgress(undefined, 3), freshProgress());
});

test('"show me" links: devices, chains, views; malformed ones are plain text', () => {
  assert.deepEqual(parseShowLink('show:topology node5/cni0 node5/veth123', 'kw-t1-'), {
    view: 'topology',
    devices: [
      { namespace: 'kw-t1-node5', ifname: 'cni0' },
      { namespace: 'kw-t1-node5', ifname: 'veth123' },
    ],
  });
  assert.deepEqual(parseShowLink('show:topology {prefix}demo', 'kw-'), {
    view: 'topology',
    devices: [{ namespace: 'kw-demo' }],
  });
  assert.deepEqual(parseShowLink('show:iptables gateway nat POSTROUTING', 'kw-'), {
    view: 'iptables',
    namespace: 'kw-gateway',
    table: 'nat',
    chain: 'POSTROUTING',
  });
  assert.deepEqual(parseShowLink('show:cluster pods', 'kw-'), { view: 'cluster', kind: 'pods' });
  assert.equal(parseShowLink('show:topology', 'kw-'), undefined);
  assert.equal(parseShowLink('show:topology node5/"><script>', 'kw-'), undefined);
  assert.equal(parseShowLink('https://example.com', 'kw-'), undefined);
  assert.equal(parseShowLink('show:rm -rf', 'kw-'), undefined);
});
