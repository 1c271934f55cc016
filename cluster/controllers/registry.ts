// The controllers kube-controller-manager runs here, by the names its --controllers flag uses.
import type { Controller } from './base-controller.js';
import type { ControllerContext } from './controller-context.js';
import { DeploymentController } from './deployment/deployment-controller.js';
import { ReplicaSetController } from './replicaset/replica-set-controller.js';
import { DaemonSetController } from './daemonset/daemon-set-controller.js';
import { JobController } from './job/job-controller.js';
import { StatefulSetController } from './statefulset/stateful-set-controller.js';
import { PersistentVolumeBinderController } from './volume/pv-binder-controller.js';
import { NamespaceController } from './namespace/namespace-controller.js';
import { GarbageCollector } from './gc/garbage-collector.js';
import { EndpointsController } from './endpoints/endpoints-controller.js';
import { NodeLifecycleController, type NodeLifecycleSettings } from './node/node-lifecycle-controller.js';
import { AddressPool, DefaultLoadBalancerPool } from './service/address-pool.js';
import { ServiceLoadBalancerController } from './service/service-lb-controller.js';
import { ServiceAccountController } from './serviceaccount/service-account-controller.js';
import { RootCaPublisher } from './certificates/root-ca-publisher.js';
import { CsrSignerController } from './certificates/csr-signer-controller.js';
import { TtlAfterFinishedController } from './ttlafterfinished/ttl-after-finished-controller.js';
import { CronJobController } from './cronjob/cronjob-controller.js';
import { ResourceQuotaController } from './resourcequota/resource-quota-controller.js';
import { HorizontalPodAutoscalerController } from './podautoscaler/hpa-controller.js';

/** Knobs some controllers take (the emulated cloud's address pool, node monitor timings, …). */
export interface ControllerSettings {
  /** The emulated cloud's load-balancer addresses: CIDRs or `first-last` ranges (default 198.51.100.200-198.51.100.249). */
  loadBalancerPool?: string[];
  nodeLifecycle?: NodeLifecycleSettings;
  /** The CA bundle (PEM) published as kube-root-ca.crt in every namespace (kube's --root-ca-file). */
  rootCa?: string;
  /** The cluster CA's files, for signing approved CSRs (--cluster-signing-cert-file/-key-file). */
  signer?: { certFile: string; keyFile: string };
}

export type ControllerFactory = (
  ctx: ControllerContext,
  settings: ControllerSettings,
) => Controller & { idle?(): boolean };

export const controllerFactories: Record<string, ControllerFactory> = {
  replicaset: (ctx: ControllerContext) => new ReplicaSetController(ctx, 'ReplicaSet'),
  replicationcontroller: (ctx: ControllerContext) => new ReplicaSetController(ctx, 'ReplicationController'),
  deployment: (ctx: ControllerContext) => new DeploymentController(ctx),
  daemonset: (ctx: ControllerContext) => new DaemonSetController(ctx),
  job: (ctx: ControllerContext) => new JobController(ctx),
  cronjob: (ctx: ControllerContext) => new CronJobController(ctx),
  resourcequota: (ctx: ControllerContext) => new ResourceQuotaController(ctx),
  horizontalpodautoscaling: (ctx: ControllerContext) => new HorizontalPodAutoscalerController(ctx),
  statefulset: (ctx: ControllerContext) => new StatefulSetController(ctx),
  'persistentvolume-binder': (ctx: ControllerContext) => new PersistentVolumeBinderController(ctx),
  namespace: (ctx: ControllerContext) => new NamespaceController(ctx),
  serviceaccount: (ctx: ControllerContext) => new ServiceAccountController(ctx),
  'root-ca-cert-publisher': (ctx: ControllerContext, s: ControllerSettings) =>
    s.rootCa ? new RootCaPublisher(ctx, s.rootCa) : idleController('root-ca-cert-publisher'),
  'ttl-after-finished': (ctx: ControllerContext) => new TtlAfterFinishedController(ctx),
  csrsigning: (ctx: ControllerContext, s: ControllerSettings) =>
    s.signer ? new CsrSignerController(ctx, s.signer) : idleController('csrsigning'),
  garbagecollector: (ctx: ControllerContext) => new GarbageCollector(ctx),
  endpoints: (ctx: ControllerContext) => new EndpointsController(ctx, 'endpoints'),
  endpointslice: (ctx: ControllerContext) => new EndpointsController(ctx, 'endpointslices'),
  'node-lifecycle': (ctx: ControllerContext, s: ControllerSettings) =>
    new NodeLifecycleController(ctx, s.nodeLifecycle),
  service: (ctx: ControllerContext, s: ControllerSettings) =>
    new ServiceLoadBalancerController(
      ctx,
      new AddressPool(s.loadBalancerPool ?? DefaultLoadBalancerPool, 'controller-manager settings: loadBalancerPool'),
    ),
};

export type ControllerName = string;

/** A controller whose inputs were not given (no CA to publish or sign with): it does nothing. */
function idleController(name: string): Controller {
  return { name, start: () => () => {} };
}
