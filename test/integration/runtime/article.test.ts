// The article's topology, built whole (with a test prefix): from the tools pod on node5
// (192.168.132.0/24) the pod on node1 answers, and it is three hops away. (The kubia pods are the
// cluster's: test/integration/labs/article-commands.test.ts checks them on a whole lab.)
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { defaultTopology } from '../../../runtime/project-root.js';
import { eventually, namespacesWithPrefix, TestLab } from './harness.js';

describe('article topology', () => {
  let lab: TestLab;
  before(async () => {
    const file = defaultTopology();
    lab = new TestLab(readFileSync(file, 'utf8'), file);
    await lab.upWithPods();
  });
  after(async () => {
    await lab.cleanup();
    assert.deepEqual(namespacesWithPrefix(lab.prefix), []);
  });

  test("the static pods: web on node1 answers HTTP from the tools pod, whose eth0 has the article's MAC", async () => {
    const body = await eventually(async () => {
      const r = await lab.exec(lab.pod('tools'), ['curl', '-s', '-m', '2', 'http://192.168.128.10:8080/']);
      return r.exitCode === 0 ? r.stdout : undefined;
    });
    assert.equal(body, "You've hit web");
    const link = await lab.exec(lab.pod('tools'), ['ip', 'link', 'show', 'eth0']);
    assert.match(link.stdout, /link\/ether 7a:cf:98:ce:4b:cc /);
    const vxlan = await lab.exec(lab.names.node('node5'), ['ip', '-d', 'link', 'show', 'flannel.1']);
    assert.match(vxlan.stdout, /link\/ether 86:4f:51:1e:bb:38 /);
    assert.match(vxlan.stdout, /vxlan id 1 local 10\.231\.209\.117 dev eth0 srcport 0 0 dstport 8472 nolearning/);
  });

  test('traceroute from node5 to 192.168.128.10 on node1: 192.168.132.1, 192.168.128.0, the pod', async () => {
    const r = await lab.exec(lab.pod('tools'), ['traceroute', '-n', '-q', '1', '-w', '2', '192.168.128.10']);
    const hops = r.stdout
      .split('\n')
      .slice(1)
      .filter((l) => l.trim())
      .map((l) => l.trim().split(/\s+/)[1]);
    assert.deepEqual(hops, ['192.168.132.1', '192.168.128.0', '192.168.128.10'], r.stdout);
  });

  test('node5 routes every other /24 via flannel.1 onlink, like the article', async () => {
    const r = await lab.exec(lab.names.node('node5'), ['ip', 'route']);
    for (const x of [128, 129, 130, 131, 133])
      assert.match(r.stdout, new RegExp(`192\\.168\\.${x}\\.0/24 via 192\\.168\\.${x}\\.0 dev flannel\\.1 onlink`));
    const neigh = await lab.exec(lab.names.node('node5'), ['ip', 'neigh', 'show', 'dev', 'flannel.1']);
    assert.match(neigh.stdout, /192\.168\.128\.0 lladdr 26:12:3f:ba:e9:f5 PERMANENT/);
  });
});
