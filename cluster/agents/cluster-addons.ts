// The cluster's add-ons as the cluster process runs them beside the control plane: cluster DNS (the
// kube-dns Service and a CoreDNS-like Deployment fed by a records file), the Ingress controller and
// the emulated cloud's load balancer for Services of type LoadBalancer. Each returns its disposer.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Deployment, KubeObject, Service } from '../../common/api-types.js';
import type { HostDriver } from '../../runtime/host/host-driver.js';
import type { LabPaths } from '../../runtime/lab/lab-paths.js';
import { isAlreadyExists } from '../client/api-errors.js';
import type { Clock } from '../client/clock.js';
import { SharedInformerFactory } from '../client/informer-factory.js';
import type { KubeClient } from '../client/kube-client.js';
import type { ResourceClient } from '../client/resource-client.js';
import { CloudLoadBalancer } from './cloud/cloud-load-balancer.js';
import { clusterDnsIP, type ClusterDnsConfig } from './dns/cluster-dns-config.js';
import { DnsRecordsWriter } from './dns/dns-records.js';
import { IngressController } from './ingress/ingress-controller.js';
import { systemPodSpec } from './system-pod.js';

export interface AddonContext {
  client: KubeClient;
  clock: Clock;
  driver: HostDriver;
  paths: LabPaths;
  log(line: string): void;
}

/** The Ingress controller: its proxy pod behind a LoadBalancer Service, routes from Ingress objects. */
export async function startIngressController(c: AddonContext): Promise<() => void> {
  const factory = new SharedInformerFactory(c.client, c.clock);
  const file = join(c.paths.dir, 'ingress', 'routes.json');
  const ctl = new IngressController(c.client, factory, c.clock, file, (text) => c.driver.writeFile(file, text), c.log);
  const stop = await ctl.start();
  return () => {
    stop();
    factory.shutdown();
  };
}

/** The emulated cloud's L4 load balancer in the gateway namespace (Service type LoadBalancer). */
export function startCloudLoadBalancer(
  c: AddonContext,
  gatewayNetns: string,
): { cloudLB: CloudLoadBalancer; stop: () => void } {
  const factory = new SharedInformerFactory(c.client, c.clock);
  const cloudLB = new CloudLoadBalancer(factory, c.clock, c.driver, { netns: gatewayNetns, device: 'eth1' }, c.log);
  const stop = cloudLB.start();
  return {
    cloudLB,
    stop: () => {
      stop();
      factory.shutdown();
    },
  };
}

/**
 * Cluster DNS the way a cluster gets it from its add-ons: the kube-dns Service at the service
 * network's tenth address and a Deployment whose pod runs the DNS server; its records come from a
 * file kept current here from Services and EndpointSlices (pods cannot reach 127.0.0.1:6443).
 */
export async function startClusterDns(c: AddonContext, cfg: ClusterDnsConfig): Promise<() => void> {
  const records = join(c.paths.dir, 'dns', 'records.json');
  const factory = new SharedInformerFactory(c.client, c.clock);
  const writer = new DnsRecordsWriter(factory, c.clock, cfg, (text) => c.driver.writeFile(records, text), c.log);
  const stopWriter = writer.start();
  const stop = () => {
    stopWriter();
    factory.shutdown();
  };
  const labels = { 'k8s-app': 'kube-dns' };
  const svc: Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kube-dns', namespace: 'kube-system', labels: { ...labels, 'kubernetes.io/name': 'CoreDNS' } },
    spec: {
      selector: labels,
      clusterIP: clusterDnsIP(cfg),
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
      ],
    },
  } as Service;
  const server = join(dirname(fileURLToPath(import.meta.url)), 'dns', 'dns-server.js');
  const deploy: Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'coredns', namespace: 'kube-system', labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          ...systemPodSpec(
            'coredns',
            server,
            records,
            [
              { name: 'dns', containerPort: 53, protocol: 'UDP' },
              { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
            ],
            'dns-tcp',
          ),
        },
      },
    },
  };
  try {
    for (const [rc, obj] of [
      [c.client.services, svc],
      [c.client.deployments, deploy],
    ] as const) {
      try {
        await (rc as ResourceClient<KubeObject>).create(obj, 'kube-system');
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
    }
  } catch (err) {
    stop();
    throw err;
  }
  return stop;
}
