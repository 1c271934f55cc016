// Which mounts are a lab's: under its state folder, under a folder named by its prefix, pins of
// namespaces marked as its own; never another lab's look-alike (kw- vs kw-t1a2b3-).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labMounts } from '../../../runtime/lab/lab-mounts.js';

const MOUNTS = [
  'overlay /var/lib/kubewire/article/nodes/node1/rootfs/abc overlay rw 0 0',
  'overlay /var/lib/kubewire/article-2/rootfs overlay rw 0 0',
  'nsfs /run/netns/kw-node1 nsfs rw 0 0',
  'nsfs /run/netns/kw-t1a2b3-node1 nsfs rw 0 0',
  'tmpfs /run/kubewire/kw-/x tmpfs rw 0 0',
  'tmpfs /run/kubewire/kw-t1a2b3-/x tmpfs rw 0 0',
  'tmpfs /var/lib/kubewire/article\\040with\\040space tmpfs rw 0 0',
  'proc /proc proc rw 0 0',
].join('\n');

test("the lab's mounts, deepest first, and none of another lab", () => {
  const marked = (ns: string) => ns === 'kw-node1';
  assert.deepEqual(labMounts('kw-', '/var/lib/kubewire/article', marked, MOUNTS), [
    '/var/lib/kubewire/article/nodes/node1/rootfs/abc',
    '/run/kubewire/kw-/x',
    '/run/netns/kw-node1',
  ]);
  assert.deepEqual(
    labMounts('kw-t1a2b3-', '/tmp/x', (ns) => ns === 'kw-t1a2b3-node1', MOUNTS),
    ['/run/kubewire/kw-t1a2b3-/x', '/run/netns/kw-t1a2b3-node1'],
  );
});
