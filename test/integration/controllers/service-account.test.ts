// The ServiceAccount controller against the real apiserver: every namespace gets its `default`
// ServiceAccount, one that is deleted comes back, a terminating namespace gets none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../common/api-types.js';
import { isNotFound } from '../../../cluster/client/api-errors.js';
import { Resources } from '../../../cluster/client/resources.js';
import { ControllerManager } from '../../../cluster/controllers/controller-manager.js';
import { startApiServer } from '../apiserver/harness.js';
import { connect, until } from './kwok.js';

test('the default ServiceAccount in every namespace, made again when deleted', async (t) => {
  const h = await startApiServer({ memory: true });
  const client = connect(h);
  const cm = new ControllerManager({
    client,
    leaderElection: false,
    onError: () => {},
    controllers: ['serviceaccount'],
  });
  const stop = cm.start();
  t.after(async () => {
    stop();
    client.close();
    await h.stop();
  });
  const sas = client.resource<KubeObject>(Resources.serviceaccounts);
  const has = async (ns: string) => {
    try {
      return (await sas.get('default', ns)).metadata.name === 'default';
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  };
  await until('default/default', () => has('default'));
  await client.namespaces.create({ metadata: { name: 'team-a' } });
  await until('team-a/default', () => has('team-a'));
  const first = await sas.get('default', 'team-a');
  await sas.delete('default', 'team-a');
  await until(
    'team-a/default made again',
    async () => (await has('team-a')) && (await sas.get('default', 'team-a')).metadata.uid !== first.metadata.uid,
  );
  assert.equal((await sas.list({ namespace: 'team-a' })).items.length, 1);
});
