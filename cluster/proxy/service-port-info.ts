// A Service becomes one ServicePortInfo per port (kube-proxy's servicePortInfo): the addresses it
// answers on, its traffic policies and the names of its chains. Input is checked here, because
// names and addresses end up in iptables-restore text: a bad one is refused, never written.
import { ValidationError } from '../../common/errors.js';
import { isIpv4, isIpv4Cidr } from '../../common/net/ipv4.js';
import {
  serviceClusterChain,
  serviceExternalChain,
  serviceFirewallChain,
  serviceLocalChain,
  servicePortNameString,
  type HashProtocol,
} from './chain-names.js';
import type { ServiceObject, ServiceProtocol } from './proxy-types.js';
import { isDnsLabel } from '../../common/names.js';

export interface ServicePortInfo {
  /** "namespace/name" of the Service: the unit of change for partial syncs. */
  serviceKey: string;
  /** Identity of this port among all ports: "ns/name:portName/PROTOCOL". */
  portKey: string;
  /** kube-proxy's ServicePortName.String(): "ns/name" or "ns/name:port". */
  nameString: string;
  portName: string;
  protocol: ServiceProtocol;
  proto: HashProtocol;
  clusterIP: string;
  port: number;
  /** 0 when the port has none. */
  nodePort: number;
  externalIPs: string[];
  loadBalancerVIPs: string[];
  loadBalancerSourceRanges: string[];
  healthCheckNodePort: number;
  /** 0 = no session affinity; otherwise ClientIP affinity lasting this many seconds. */
  stickySeconds: number;
  internalPolicyLocal: boolean;
  externalPolicyLocal: boolean;
  externallyAccessible: boolean;
  chains: { cluster: string; local: string; external: string; firewall: string };
}

const PORT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DEFAULT_STICKY_SECONDS = 10800;

function checkPort(where: string, value: unknown, allowZero: boolean): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < (allowZero ? 0 : 1) || value > 65535) {
    throw new ValidationError(where, `must be a port number 1-65535, got ${JSON.stringify(value)}`);
  }
  return value;
}

function checkIPs(where: string, list: unknown): string[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new ValidationError(where, 'must be a list of addresses');
  const out: string[] = [];
  list.forEach((ip, i) => {
    if (typeof ip !== 'string' || (!isIpv4(ip) && !ip.includes(':'))) {
      throw new ValidationError(`${where}[${i}]`, `is not an IP address: ${JSON.stringify(ip)}`);
    }
    // This is the IPv4 proxier: IPv6 addresses belong to the other family and are left out.
    if (isIpv4(ip)) out.push(ip);
  });
  return out;
}

/** Checks a Service and returns its ports; [] for Services kube-proxy does not proxy. */
export function servicePortsOf(svc: ServiceObject): ServicePortInfo[] {
  const namespace = svc.metadata?.namespace ?? 'default';
  const name = svc.metadata?.name;
  const where = `Service ${namespace}/${String(name)}`;
  if (typeof name !== 'string' || !isDnsLabel(name))
    throw new ValidationError(where, 'metadata.name must be a DNS label');
  if (!isDnsLabel(namespace)) throw new ValidationError(where, 'metadata.namespace must be a DNS label');
  const spec = svc.spec;
  if (!spec || typeof spec !== 'object') throw new ValidationError(where, 'spec is missing');
  // ExternalName and headless Services get no rules (proxyutil.ShouldSkipService).
  if (spec.type === 'ExternalName') return [];
  const clusterIP = spec.clusterIP ?? '';
  if (clusterIP === '' || clusterIP === 'None') return [];
  if (!isIpv4(clusterIP) && !clusterIP.includes(':'))
    throw new ValidationError(`${where}: spec.clusterIP`, `is not an IP address: ${JSON.stringify(clusterIP)}`);
  // The IPv4 proxier takes the IPv4 one of clusterIPs (dual-stack Services list both).
  const v4 = isIpv4(clusterIP) ? clusterIP : (spec.clusterIPs ?? []).find((ip) => isIpv4(ip));
  if (!v4) return [];

  const externalIPs = checkIPs(`${where}: spec.externalIPs`, spec.externalIPs);
  const ingress = svc.status?.loadBalancer?.ingress ?? [];
  const loadBalancerVIPs =
    spec.type === 'LoadBalancer'
      ? checkIPs(
          `${where}: status.loadBalancer.ingress`,
          ingress.filter((i) => i.ip).map((i) => i.ip),
        )
      : [];
  const ranges = (spec.loadBalancerSourceRanges ?? [])
    .map((r, i) => {
      const t = String(r).trim();
      if (!isIpv4Cidr(t) && !t.includes(':'))
        throw new ValidationError(
          `${where}: spec.loadBalancerSourceRanges[${i}]`,
          `is not a CIDR: ${JSON.stringify(r)}`,
        );
      return t;
    })
    .filter(isIpv4Cidr);
  // apiservice.ExternallyAccessible: decides whether externalTrafficPolicy applies at all.
  const type = spec.type ?? 'ClusterIP';
  const serviceExternallyAccessible =
    type === 'NodePort' || type === 'LoadBalancer' || (type === 'ClusterIP' && externalIPs.length > 0);
  const affinity = spec.sessionAffinity ?? 'None';
  if (affinity !== 'None' && affinity !== 'ClientIP')
    throw new ValidationError(
      `${where}: spec.sessionAffinity`,
      `must be None or ClientIP, got ${JSON.stringify(affinity)}`,
    );
  let stickySeconds = 0;
  if (affinity === 'ClientIP') {
    const t = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_STICKY_SECONDS;
    if (!Number.isInteger(t) || t < 1 || t > 86400)
      throw new ValidationError(
        `${where}: spec.sessionAffinityConfig.clientIP.timeoutSeconds`,
        `must be 1-86400, got ${t}`,
      );
    stickySeconds = t;
  }
  for (const [field, v] of [
    ['externalTrafficPolicy', spec.externalTrafficPolicy],
    ['internalTrafficPolicy', spec.internalTrafficPolicy],
  ] as const) {
    if (v !== undefined && v !== 'Cluster' && v !== 'Local')
      throw new ValidationError(`${where}: spec.${field}`, `must be Cluster or Local, got ${JSON.stringify(v)}`);
  }
  const healthCheckNodePort = checkPort(`${where}: spec.healthCheckNodePort`, spec.healthCheckNodePort, true);
  const ports = spec.ports ?? [];
  if (!Array.isArray(ports)) throw new ValidationError(`${where}: spec.ports`, 'must be a list');
  const seen = new Set<string>();

  return ports.map((p, i) => {
    const pw = `${where}: spec.ports[${i}]`;
    const portName = p.name ?? '';
    if (portName !== '' && (!PORT_NAME.test(portName) || portName.length > 63))
      throw new ValidationError(`${pw}.name`, `is not a valid port name: ${JSON.stringify(portName)}`);
    const protocol = p.protocol ?? 'TCP';
    if (protocol !== 'TCP' && protocol !== 'UDP' && protocol !== 'SCTP')
      throw new ValidationError(`${pw}.protocol`, `must be TCP, UDP or SCTP, got ${JSON.stringify(protocol)}`);
    const port = checkPort(`${pw}.port`, p.port, false);
    if (port === 0) throw new ValidationError(`${pw}.port`, 'is required');
    const nodePort =
      spec.type === 'NodePort' || spec.type === 'LoadBalancer' ? checkPort(`${pw}.nodePort`, p.nodePort, true) : 0;
    const nameString = servicePortNameString(namespace, name, portName);
    const portKey = `${nameString}/${protocol}`;
    if (seen.has(portKey))
      throw new ValidationError(
        `${pw}`,
        `duplicates another port named ${JSON.stringify(portName)} with protocol ${protocol}`,
      );
    seen.add(portKey);
    const proto = protocol.toLowerCase() as HashProtocol;
    // The port-level test (BaseServicePortInfo.ExternallyAccessible): a NodePort Service whose
    // nodePort is not allocated yet has no external destination.
    const externallyAccessible = nodePort !== 0 || loadBalancerVIPs.length > 0 || externalIPs.length > 0;
    return {
      serviceKey: `${namespace}/${name}`,
      portKey,
      nameString,
      portName,
      protocol,
      proto,
      clusterIP: v4,
      port,
      nodePort,
      externalIPs,
      loadBalancerVIPs,
      loadBalancerSourceRanges: ranges,
      healthCheckNodePort: spec.externalTrafficPolicy === 'Local' ? healthCheckNodePort : 0,
      stickySeconds,
      internalPolicyLocal: spec.internalTrafficPolicy === 'Local',
      externalPolicyLocal: serviceExternallyAccessible && spec.externalTrafficPolicy === 'Local',
      externallyAccessible,
      chains: {
        cluster: serviceClusterChain(nameString, proto),
        local: serviceLocalChain(nameString, proto),
        external: serviceExternalChain(nameString, proto),
        firewall: serviceFirewallChain(nameString, proto),
      },
    };
  });
}

/** kube-proxy's UsesClusterEndpoints: some traffic of this port follows the Cluster policy. */
export function usesClusterEndpoints(p: ServicePortInfo): boolean {
  return !p.internalPolicyLocal || (p.externallyAccessible && !p.externalPolicyLocal);
}

/** kube-proxy's UsesLocalEndpoints: some traffic of this port follows the Local policy. */
export function usesLocalEndpoints(p: ServicePortInfo): boolean {
  return p.internalPolicyLocal || (p.externallyAccessible && p.externalPolicyLocal);
}
