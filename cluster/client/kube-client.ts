// The typed client every component gets injected: one RestClient (one keep-alive agent) and a
// ResourceClient per kind, plus the pods/binding call the scheduler makes.
import type {
  Binding,
  DaemonSet,
  Deployment,
  EndpointSlice,
  Endpoints,
  Event,
  Job,
  KubeObject,
  Lease,
  Namespace,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  ReplicaSet,
  ReplicationController,
  Service,
  StatefulSet,
  Status,
} from '../../common/api-types.js';
import { ResourceClient } from './resource-client.js';
import { RestClient, type RestConfig } from './rest-client.js';
import { Resources, type ResourceType } from './resources.js';

export class KubeClient {
  readonly rest: RestClient;
  readonly namespaces: ResourceClient<Namespace>;
  readonly nodes: ResourceClient<Node>;
  readonly pods: ResourceClient<Pod>;
  readonly services: ResourceClient<Service>;
  readonly endpoints: ResourceClient<Endpoints>;
  readonly events: ResourceClient<Event>;
  readonly persistentVolumes: ResourceClient<PersistentVolume>;
  readonly persistentVolumeClaims: ResourceClient<PersistentVolumeClaim>;
  readonly replicationControllers: ResourceClient<ReplicationController>;
  readonly deployments: ResourceClient<Deployment>;
  readonly replicaSets: ResourceClient<ReplicaSet>;
  readonly daemonSets: ResourceClient<DaemonSet>;
  readonly statefulSets: ResourceClient<StatefulSet>;
  readonly jobs: ResourceClient<Job>;
  readonly leases: ResourceClient<Lease>;
  readonly endpointSlices: ResourceClient<EndpointSlice>;

  constructor(config: RestConfig | RestClient) {
    this.rest = config instanceof RestClient ? config : new RestClient(config);
    this.namespaces = this.resource(Resources.namespaces);
    this.nodes = this.resource(Resources.nodes);
    this.pods = this.resource(Resources.pods);
    this.services = this.resource(Resources.services);
    this.endpoints = this.resource(Resources.endpoints);
    this.events = this.resource(Resources.events);
    this.persistentVolumes = this.resource(Resources.persistentvolumes);
    this.persistentVolumeClaims = this.resource(Resources.persistentvolumeclaims);
    this.replicationControllers = this.resource(Resources.replicationcontrollers);
    this.deployments = this.resource(Resources.deployments);
    this.replicaSets = this.resource(Resources.replicasets);
    this.daemonSets = this.resource(Resources.daemonsets);
    this.statefulSets = this.resource(Resources.statefulsets);
    this.jobs = this.resource(Resources.jobs);
    this.leases = this.resource(Resources.leases);
    this.endpointSlices = this.resource(Resources.endpointslices);
  }

  /** A client for any other resource type (configmaps, ingresses, …). */
  resource<T extends KubeObject>(type: ResourceType): ResourceClient<T> {
    return new ResourceClient<T>(this.rest, type);
  }

  /**
   * POST pods/{name}/binding: assigns a pending pod to a node, as the scheduler does. The binding's
   * annotations are copied onto the pod by the apiserver (as kube-apiserver does).
   */
  bind(
    namespace: string,
    podName: string,
    nodeName: string,
    opts: { uid?: string; annotations?: Record<string, string> } = {},
  ): Promise<Status> {
    const binding: Binding = {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: {
        name: podName,
        namespace,
        ...(opts.uid ? { uid: opts.uid } : {}),
        ...(opts.annotations ? { annotations: opts.annotations } : {}),
      },
      target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
    };
    return this.pods.createSubresource<Status>(podName, namespace, 'binding', binding);
  }

  close(): void {
    this.rest.close();
  }
}
