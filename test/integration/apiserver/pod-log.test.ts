// pods/log: kubectl logs reaches the PodLogSource the apiserver is given (later the kubelet's),
// with container choice and follow; without a node or a source, a Status says why.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PodLogSource } from '../../../cluster/apiserver/http/context.js';
import { NO_KUBECTL, startApiServer, type Harness } from './harness.js';

/** A node agent's log source for the test: lines per container, with follow adding one more. */
const source: PodLogSource = {
  async streamLog(pod, container, opts, out, signal) {
    out.write(`${pod.metadata?.name}/${container} line 1\n`);
    out.write(`${pod.metadata?.name}/${container} line 2\n`);
    if (opts.follow) {
      await new Promise((r) => setTimeout(r, 100));
      if (!signal.aborted) out.write(`${pod.metadata?.name}/${container} followed\n`);
    }
  },
};

describe('pods/log', { skip: NO_KUBECTL }, () => {
  let h: Harness;
  before(async () => {
    h = await startApiServer({ podLogs: source, memory: true });
  });
  after(async () => {
    await h?.stop();
  });

  test('kubectl logs streams from the log source; errors are Statuses', async () => {
    const pod = (name: string, nodeName?: string) => JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName, containers: [{ name: 'a', image: 'i' }, { name: 'b', image: 'i' }] } });
    await h.request('POST', '/api/v1/namespaces/default/pods', { body: pod('on-node', 'node5') });
    await h.request('POST', '/api/v1/namespaces/default/pods', { body: pod('pending') });
    const r = await h.kubectl('logs', 'on-node', '-c', 'b');
    assert.equal(r.stdout, 'on-node/b line 1\non-node/b line 2');
    const f = await h.kubectl('logs', 'on-node', '-c', 'a', '-f');
    assert.equal(f.stdout, 'on-node/a line 1\non-node/a line 2\non-node/a followed');
    const noContainer = await h.request('GET', '/api/v1/namespaces/default/pods/on-node/log');
    assert.equal(noContainer.status, 400);
    assert.match(noContainer.json.message, /a container name must be specified for pod on-node, choose one of: \[a b\]/);
    const pending = await h.kubectl('logs', 'pending', '-c', 'a');
    assert.match(pending.stderr, /pod pending does not have a host assigned/);
  });
});
