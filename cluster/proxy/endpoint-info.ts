// EndpointSlices become, per service port, the sorted list of endpoints kube-proxy works from
// (its EndpointSliceCache), and CategorizeEndpoints picks which of them each traffic policy uses:
// ready ones first, serving-but-terminating ones only when nothing is ready.
import { ValidationError } from '../../common/errors.js';
import { isIpv4 } from '../../common/net/ipv4.js';
import { serviceEndpointChain, servicePortNameString, type HashProtocol } from './chain-names.js';
import { SERVICE_NAME_LABEL, type EndpointSliceObject } from './proxy-types.js';
import { usesClusterEndpoints, usesLocalEndpoints, type ServicePortInfo } from './service-port-info.js';
import { isDnsLabel } from '../../common/names.js';

export interface EndpointInfo {
  ip: string;
  port: number;
  /** "ip:port", what kube-proxy hashes into the KUBE-SEP name and prints in comments. */
  endpoint: string;
  nodeName: string;
  isLocal: boolean;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  chain: string;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** The Service ("ns/name") a slice belongs to; throws on a slice kube-proxy could not place. */
export function sliceServiceKey(slice: EndpointSliceObject): string {
  const ns = slice.metadata?.namespace ?? 'default';
  const svc = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
  const where = `EndpointSlice ${ns}/${String(slice.metadata?.name)}`;
  if (!isDnsLabel(ns)) throw new ValidationError(where, 'metadata.namespace must be a DNS label');
  if (typeof slice.metadata?.name !== 'string' || !DNS_SUBDOMAIN.test(slice.metadata.name))
    throw new ValidationError(where, 'metadata.name must be a DNS subdomain');
  if (typeof svc !== 'string' || !isDnsLabel(svc))
    throw new ValidationError(where, `label ${SERVICE_NAME_LABEL} must name the Service`);
  return `${ns}/${svc}`;
}

/** Checks one slice fully (so a bad one is refused before anything changes). */
export function validateEndpointSlice(slice: EndpointSliceObject): void {
  sliceServiceKey(slice);
  const where = `EndpointSlice ${slice.metadata.namespace ?? 'default'}/${slice.metadata.name}`;
  if (!['IPv4', 'IPv6', 'FQDN'].includes(slice.addressType))
    throw new ValidationError(
      `${where}: addressType`,
      `must be IPv4, IPv6 or FQDN, got ${JSON.stringify(slice.addressType)}`,
    );
  (slice.ports ?? []).forEach((p, i) => {
    if (p.name != null && p.name !== '' && !isDnsLabel(p.name))
      throw new ValidationError(`${where}: ports[${i}].name`, `is not a valid port name: ${JSON.stringify(p.name)}`);
    if (p.protocol !== undefined && !['TCP', 'UDP', 'SCTP'].includes(p.protocol))
      throw new ValidationError(
        `${where}: ports[${i}].protocol`,
        `must be TCP, UDP or SCTP, got ${JSON.stringify(p.protocol)}`,
      );
    if (p.port != null && (!Number.isInteger(p.port) || p.port < 0 || p.port > 65535))
      throw new ValidationError(`${where}: ports[${i}].port`, `must be 1-65535, got ${JSON.stringify(p.port)}`);
  });
  if (slice.addressType !== 'IPv4') return;
  (slice.endpoints ?? []).forEach((ep, i) => {
    (ep.addresses ?? []).forEach((a, j) => {
      if (!isIpv4(a))
        throw new ValidationError(
          `${where}: endpoints[${i}].addresses[${j}]`,
          `is not an IPv4 address: ${JSON.stringify(a)}`,
        );
    });
    if (ep.nodeName !== undefined && ep.nodeName !== null && !DNS_SUBDOMAIN.test(ep.nodeName))
      throw new ValidationError(
        `${where}: endpoints[${i}].nodeName`,
        `is not a node name: ${JSON.stringify(ep.nodeName)}`,
      );
  });
}

/**
 * All endpoints of one Service's slices, grouped by port key ("ns/name:port/PROTOCOL"), each list
 * sorted by "ip:port" string as kube-proxy sorts them. Only IPv4 slices count (IPv4 proxier).
 */
export function endpointsByPort(
  serviceKey: string,
  slices: Iterable<EndpointSliceObject>,
  nodeName: string,
): Map<string, EndpointInfo[]> {
  const [namespace, name] = serviceKey.split('/') as [string, string];
  const sets = new Map<string, Map<string, EndpointInfo>>();
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4') continue;
    for (const p of slice.ports ?? []) {
      // kube-proxy ignores ports without a name field or number (nil name differs from "").
      if (p.name === undefined || p.name === null || !p.port) continue;
      const protocol = p.protocol ?? 'TCP';
      const nameString = servicePortNameString(namespace, name, p.name);
      const portKey = `${nameString}/${protocol}`;
      const proto = protocol.toLowerCase() as HashProtocol;
      let set = sets.get(portKey);
      if (!set) sets.set(portKey, (set = new Map()));
      for (const ep of slice.endpoints ?? []) {
        const ip = ep.addresses?.[0];
        // The discovery API says all addresses of one endpoint are fungible: kube-proxy uses the first.
        if (!ip) continue;
        const terminating = ep.conditions?.terminating === true;
        const endpoint = `${ip}:${p.port}`;
        // The same address in two slices (a pod moving between slices, or an IP reused while the
        // old pod terminates): prefer the one that is not terminating.
        if (set.has(endpoint) && terminating) continue;
        set.set(endpoint, {
          ip,
          port: p.port,
          endpoint,
          nodeName: ep.nodeName ?? '',
          isLocal: nodeName !== '' && ep.nodeName === nodeName,
          ready: ep.conditions?.ready !== false,
          serving: ep.conditions?.serving !== false,
          terminating,
          chain: serviceEndpointChain(nameString, proto, endpoint),
        });
      }
    }
  }
  const out = new Map<string, EndpointInfo[]>();
  for (const [k, set] of sets) {
    if (set.size === 0) continue;
    out.set(
      k,
      [...set.values()].sort((a, b) => (a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0)),
    );
  }
  return out;
}

export interface CategorizedEndpoints {
  /** Endpoints for the Cluster policy (KUBE-SVC-*). */
  cluster: EndpointInfo[];
  /** This node's endpoints for the Local policy (KUBE-SVL-*). */
  local: EndpointInfo[];
  /** Every endpoint that gets a KUBE-SEP-* chain on this node. */
  reachable: EndpointInfo[];
  /** Whether the service has any usable endpoint anywhere (else: REJECT). */
  hasAny: boolean;
}

/** kube-proxy's CategorizeEndpoints (without topology hints, which the lab does not use). */
export function categorizeEndpoints(all: readonly EndpointInfo[], svc: ServicePortInfo): CategorizedEndpoints {
  let cluster: EndpointInfo[] = [];
  let hasAny = false;
  if (usesClusterEndpoints(svc)) {
    cluster = all.filter((e) => e.ready);
    if (cluster.length === 0) cluster = all.filter((e) => e.serving && e.terminating);
    hasAny = cluster.length > 0;
  }
  if (!usesLocalEndpoints(svc)) return { cluster, local: [], reachable: cluster, hasAny };

  let localReady = false;
  let localServingTerminating = false;
  for (const e of all) {
    if (e.ready) {
      hasAny = true;
      if (e.isLocal) localReady = true;
    } else if (e.serving && e.terminating) {
      hasAny = true;
      if (e.isLocal) localServingTerminating = true;
    }
  }
  let local: EndpointInfo[] = [];
  if (localReady) local = all.filter((e) => e.isLocal && e.ready);
  else if (localServingTerminating) local = all.filter((e) => e.isLocal && e.serving && e.terminating);

  if (!usesClusterEndpoints(svc) || cluster.length === 0) return { cluster, local, reachable: local, hasAny };
  // Cluster endpoints may be remote; local ones may be terminating: the union gets SEP chains.
  const merged = new Map<string, EndpointInfo>();
  for (const e of cluster) merged.set(e.endpoint, e);
  for (const e of local) merged.set(e.endpoint, e);
  return { cluster, local, reachable: [...merged.values()], hasAny };
}
