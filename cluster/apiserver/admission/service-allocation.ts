// ClusterIP and NodePort allocation for Services: a ClusterIP from the service network (the lower
// band is kept for addresses asked for by name, such as the `kubernetes` service at .1 and DNS at
// .10, as kube-apiserver does), a NodePort from 30000–32767, never one already in use.
import {
  cidrContains,
  cidrSize,
  formatCidr,
  formatIpv4,
  parseCidr,
  tryParseIpv4,
  type Cidr,
} from '../../../common/net/ipv4.js';
import type { ResourceCatalog } from '../resources.js';
import type { KObject, ObjectStore } from '../registry/object-store.js';
import { invalid, type FieldError } from '../status.js';
import type { AdmissionAttributes, MutatingPlugin } from './admission.js';

/** The service network: a /8…/30 (host bits ignored), as kube-apiserver's --service-cluster-ip-range. */
export function parseServiceCidr(s: string): Cidr {
  const c = parseCidr(s, false);
  if (c.length < 8 || c.length > 30) throw new Error(`invalid CIDR ${s}: the service network must be a /8 … /30`);
  return c;
}

/** The address of the `kubernetes` Service: the first of the service network. */
export function kubernetesServiceIP(serviceCidr: string): string {
  return formatIpv4(parseServiceCidr(serviceCidr).network + 1);
}

export interface AllocationConfig {
  serviceCidr: string;
  nodePortRange: [number, number];
  /** Random source, injectable for tests. */
  random?: () => number;
}

export class ServiceAllocation implements MutatingPlugin {
  readonly name = 'ServiceIPAndNodePortAllocation';
  private readonly cidr: Cidr;
  private readonly random: () => number;

  constructor(
    private readonly store: ObjectStore,
    private readonly catalog: ResourceCatalog,
    private readonly config: AllocationConfig,
  ) {
    this.cidr = parseServiceCidr(config.serviceCidr);
    this.random = config.random ?? Math.random;
  }

  admit(a: AdmissionAttributes): void {
    if (
      a.resource.plural !== 'services' ||
      a.subresource ||
      !a.object ||
      (a.operation !== 'CREATE' && a.operation !== 'UPDATE')
    )
      return;
    const spec = (a.object.spec ??= {});
    const old = a.oldObject?.spec;
    const others = this.otherServices(a.namespace, a.name);
    const errors: FieldError[] = [];
    if (spec.type !== 'ExternalName') this.allocateClusterIP(spec, old, others, errors);
    else {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    this.allocateNodePorts(spec, old, others, errors);
    if (errors.length) throw invalid('Service', '', a.name, errors);
  }

  private otherServices(namespace: string, name: string): KObject[] {
    const r = this.catalog.find('', 'v1', 'services')!;
    return this.store
      .list(r, '')
      .items.filter((s) => !(s.metadata?.namespace === namespace && s.metadata?.name === name));
  }

  private allocateClusterIP(spec: KObject, old: KObject | undefined, others: KObject[], errors: FieldError[]): void {
    const requested: string | undefined = spec.clusterIP || spec.clusterIPs?.[0] || old?.clusterIP;
    if (old?.clusterIP && requested !== old.clusterIP && old.clusterIP !== 'None') {
      errors.push({
        type: 'FieldValueInvalid',
        field: 'spec.clusterIPs[0]',
        value: requested,
        detail: 'may not change once set',
      });
      return;
    }
    if (requested === 'None') {
      spec.clusterIP = 'None';
      spec.clusterIPs = ['None'];
      return;
    }
    const used = new Set(others.map((s) => s.spec?.clusterIP).filter((ip): ip is string => !!ip && ip !== 'None'));
    if (requested) {
      const n = tryParseIpv4(requested);
      if (n === undefined) {
        errors.push({
          type: 'FieldValueInvalid',
          field: 'spec.clusterIPs[0]',
          value: requested,
          detail: 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
        });
        return;
      }
      if (!this.inRange(n)) {
        errors.push({
          type: 'FieldValueInvalid',
          field: 'spec.clusterIPs',
          value: [requested],
          detail: `failed to allocate IP ${requested}: the provided IP (${requested}) is not in the valid range. The range of valid IPs is ${formatCidr(this.cidr)}`,
        });
        return;
      }
      if (!old?.clusterIP && used.has(requested)) {
        errors.push({
          type: 'FieldValueInvalid',
          field: 'spec.clusterIPs',
          value: [requested],
          detail: `failed to allocate IP ${requested}: provided IP is already allocated`,
        });
        return;
      }
      spec.clusterIP = requested;
      spec.clusterIPs = [requested];
      return;
    }
    const size = cidrSize(this.cidr);
    const reserved = Math.min(Math.max(16, Math.floor(size / 16)), 256);
    // Dynamic addresses come from above the reserved band; start at a random offset, take the first free.
    const span = size - 1 - reserved;
    const start = Math.floor(this.random() * span);
    for (let i = 0; i < span; i++) {
      const ip = formatIpv4(this.cidr.network + reserved + ((start + i) % span));
      if (!used.has(ip)) {
        spec.clusterIP = ip;
        spec.clusterIPs = [ip];
        return;
      }
    }
    errors.push({
      type: 'FieldValueInvalid',
      field: 'spec.clusterIPs',
      value: [],
      detail: 'failed to allocate a serviceIP: range is full',
    });
  }

  /** Inside the network, neither its network nor its broadcast address. */
  private inRange(n: number): boolean {
    return cidrContains(this.cidr, n) && n !== this.cidr.network && n !== this.cidr.network + cidrSize(this.cidr) - 1;
  }

  private allocateNodePorts(spec: KObject, old: KObject | undefined, others: KObject[], errors: FieldError[]): void {
    const wants = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
    const [lo, hi] = this.config.nodePortRange;
    const used = new Set<number>();
    for (const s of others) for (const p of s.spec?.ports ?? []) if (p.nodePort) used.add(p.nodePort);
    const ports: KObject[] = Array.isArray(spec.ports) ? spec.ports : [];
    ports.forEach((p, i) => {
      if (!p || typeof p !== 'object') return;
      if (!wants) {
        delete p.nodePort;
        return;
      }
      // An update keeps the port's earlier nodePort when the client does not name one.
      if (p.nodePort === undefined || p.nodePort === 0) {
        const prev = (old?.ports ?? []).find(
          (q: KObject) => q.port === p.port && (q.protocol ?? 'TCP') === (p.protocol ?? 'TCP'),
        );
        if (prev?.nodePort) p.nodePort = prev.nodePort;
      }
      if (p.nodePort) {
        const own = (old?.ports ?? []).some((q: KObject) => q.nodePort === p.nodePort);
        if (p.nodePort < lo || p.nodePort > hi) {
          errors.push({
            type: 'FieldValueInvalid',
            field: `spec.ports[${i}].nodePort`,
            value: p.nodePort,
            detail: `provided port is not in the valid range. The range of valid ports is ${lo}-${hi}`,
          });
        } else if (!own && used.has(p.nodePort)) {
          errors.push({
            type: 'FieldValueInvalid',
            field: `spec.ports[${i}].nodePort`,
            value: p.nodePort,
            detail: 'provided port is already allocated',
          });
        }
        used.add(p.nodePort);
        return;
      }
      const span = hi - lo + 1;
      const start = Math.floor(this.random() * span);
      for (let k = 0; k < span; k++) {
        const port = lo + ((start + k) % span);
        if (!used.has(port)) {
          p.nodePort = port;
          used.add(port);
          return;
        }
      }
      errors.push({ type: 'FieldValueInvalid', field: `spec.ports[${i}].nodePort`, value: 0, detail: 'range is full' });
    });
  }
}
