// Creates the topology's `objects` (the article's kubia Deployment and Service, …) through the
// apiserver when the cluster daemon starts, as `kubectl create` would: each object that does not
// exist yet is created, one that exists is left as it is (a learner's edits survive a restart).
import type { KubeObject } from '../../common/api-types.js';
import type { ClusterObject } from '../../common/topology/types.js';
import { isAlreadyExists } from '../client/api-errors.js';
import type { KubeClient } from '../client/kube-client.js';
import { Resources, type ResourceType } from '../client/resources.js';

function resourceFor(o: ClusterObject): ResourceType {
  const api = (rt: ResourceType) => (rt.group ? `${rt.group}/${rt.version}` : rt.version);
  const rt = Object.values(Resources).find((r) => r.kind === o.kind && api(r) === o.apiVersion);
  if (!rt) throw new Error(`no REST resource for ${o.apiVersion} ${o.kind}`);
  return rt;
}

/** Namespaces first, so objects inside them can be created. Returns the keys created now. */
export async function createTopologyObjects(client: KubeClient, objects: readonly ClusterObject[]): Promise<string[]> {
  const created: string[] = [];
  const ordered = [...objects.filter((o) => o.kind === 'Namespace'), ...objects.filter((o) => o.kind !== 'Namespace')];
  for (const o of ordered) {
    const manifest = structuredClone(o.manifest) as unknown as KubeObject;
    try {
      await client.resource(resourceFor(o)).create(manifest, o.namespace);
      created.push(`${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
  return created;
}
