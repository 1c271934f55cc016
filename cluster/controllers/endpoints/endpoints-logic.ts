// What the Endpoints and EndpointSlice controllers compute for a Service with a selector: its pods
// that have an IP (ready ones as addresses, the others as notReadyAddresses / ready=false), each
// Service port resolved against the pod (a named targetPort looks up the container port by name,
// so pods of different versions may differ), grouped by identical port lists as kube groups subsets.
import type {
  EndpointAddress,
  EndpointPort,
  Endpoints,
  EndpointSlice,
  Pod,
  Service,
} from '../../../common/api-types.js';
import { tryParseIpv4 } from '../../../common/net/ipv4.js';
import { stableJson } from '../util/hash.js';
import { matchesSet } from '../util/labels.js';
import { isPodReady, newControllerRef } from '../util/pods.js';

export const ManagedByLabel = 'endpoints.kubernetes.io/managed-by';
export const EndpointsControllerName = 'endpoint-controller';
export const SliceManagedByLabel = 'endpointslice.kubernetes.io/managed-by';
export const SliceControllerName = 'endpointslice-controller.k8s.io';
export const ServiceNameLabel = 'kubernetes.io/service-name';
export const MaxEndpointsPerSlice = 100;

/** The port a pod serves a Service port on, or undefined when a named targetPort is not in the pod. */
export function resolvePort(pod: Pod, sp: NonNullable<Service['spec']['ports']>[number]): number | undefined {
  const tp = sp.targetPort ?? sp.port;
  if (typeof tp === 'number') return tp;
  if (/^\d+$/.test(tp)) return Number(tp);
  for (const c of pod.spec.containers)
    for (const p of c.ports ?? [])
      if (p.name === tp && (p.protocol ?? 'TCP') === (sp.protocol ?? 'TCP')) return p.containerPort;
  return undefined;
}

interface PodEndpoint {
  pod: Pod;
  ready: boolean;
  terminating: boolean;
  ports: EndpointPort[];
}

/** Pods the Service selects that can take traffic now or soon (an IP, not finished). */
export function selectEndpoints(svc: Service, pods: Pod[]): PodEndpoint[] {
  const publishNotReady = (svc.spec as { publishNotReadyAddresses?: boolean }).publishNotReadyAddresses === true;
  const out: PodEndpoint[] = [];
  for (const pod of pods) {
    if (!matchesSet(svc.spec.selector, pod.metadata.labels)) continue;
    if (!pod.status?.podIP || pod.status.phase === 'Succeeded' || pod.status.phase === 'Failed') continue;
    const terminating = !!pod.metadata.deletionTimestamp;
    if (terminating && !publishNotReady) continue;
    const ports: EndpointPort[] = [];
    for (const sp of svc.spec.ports ?? []) {
      const port = resolvePort(pod, sp);
      if (port !== undefined)
        ports.push({ ...(sp.name ? { name: sp.name } : {}), port, protocol: sp.protocol ?? 'TCP' });
    }
    out.push({ pod, ready: publishNotReady || (isPodReady(pod) && !terminating), terminating, ports });
  }
  return out.sort(
    (a, b) =>
      ipKey(a.pod.status!.podIP!) - ipKey(b.pod.status!.podIP!) ||
      (a.pod.metadata.name ?? '').localeCompare(b.pod.metadata.name ?? ''),
  );
}

/** Pods sort by address as numbers (10.0.0.9 before 10.0.0.10); an IPv6 podIP sorts last. */
function ipKey(ip: string): number {
  return tryParseIpv4(ip) ?? Infinity;
}

function address(e: PodEndpoint): EndpointAddress {
  const p = e.pod;
  return {
    ip: p.status!.podIP!,
    ...(p.spec.hostname ? { hostname: p.spec.hostname } : {}),
    ...(p.spec.nodeName ? { nodeName: p.spec.nodeName } : {}),
    targetRef: { kind: 'Pod', namespace: p.metadata.namespace, name: p.metadata.name!, uid: p.metadata.uid },
  };
}

/** The subsets of the Service's Endpoints object. */
export function desiredSubsets(svc: Service, pods: Pod[]): NonNullable<Endpoints['subsets']> {
  const groups = new Map<
    string,
    { addresses: EndpointAddress[]; notReadyAddresses: EndpointAddress[]; ports: EndpointPort[] }
  >();
  for (const e of selectEndpoints(svc, pods)) {
    // A Service with ports but a pod serving none of them contributes nothing.
    if ((svc.spec.ports ?? []).length > 0 && e.ports.length === 0) continue;
    const ports = [...e.ports].sort((a, b) => (a.name ?? '').localeCompare(b.name ?? ''));
    const k = stableJson(ports);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { addresses: [], notReadyAddresses: [], ports }));
    (e.ready ? g.addresses : g.notReadyAddresses).push(address(e));
  }
  return [...groups.values()].map((g) => ({
    ...(g.addresses.length ? { addresses: g.addresses } : {}),
    ...(g.notReadyAddresses.length ? { notReadyAddresses: g.notReadyAddresses } : {}),
    ports: g.ports,
  }));
}

export function desiredEndpoints(svc: Service, pods: Pod[]): Endpoints {
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: {
      name: svc.metadata.name,
      namespace: svc.metadata.namespace,
      labels: { ...(svc.metadata.labels ?? {}), [ManagedByLabel]: EndpointsControllerName },
    },
    subsets: desiredSubsets(svc, pods),
  };
}

/** The slices' content (without names): one per port list, at most 100 endpoints each. */
export function desiredSlices(svc: Service, pods: Pod[]): EndpointSlice[] {
  const groups = new Map<string, { ports: EndpointPort[]; endpoints: EndpointSlice['endpoints'] }>();
  for (const e of selectEndpoints(svc, pods)) {
    const ports = [...e.ports].sort((a, b) => (a.name ?? '').localeCompare(b.name ?? ''));
    const k = stableJson(ports);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { ports, endpoints: [] }));
    const a = address(e);
    g.endpoints.push({
      addresses: [a.ip],
      conditions: {
        ready: e.ready,
        serving: e.ready || (e.terminating && isPodReady(e.pod)),
        terminating: e.terminating,
      },
      ...(a.nodeName ? { nodeName: a.nodeName } : {}),
      ...(a.hostname ? { hostname: a.hostname } : {}),
      targetRef: a.targetRef!,
    });
  }
  if (groups.size === 0) groups.set('[]', { ports: [], endpoints: [] });
  const out: EndpointSlice[] = [];
  for (const g of groups.values()) {
    for (let i = 0; i < Math.max(1, g.endpoints.length); i += MaxEndpointsPerSlice) {
      out.push({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          generateName: `${svc.metadata.name}-`,
          namespace: svc.metadata.namespace,
          labels: {
            ...(svc.metadata.labels ?? {}),
            [ServiceNameLabel]: svc.metadata.name!,
            [SliceManagedByLabel]: SliceControllerName,
          },
          ownerReferences: [newControllerRef(svc, 'v1', 'Service')],
        },
        addressType: 'IPv4',
        endpoints: g.endpoints.slice(i, i + MaxEndpointsPerSlice),
        // EndpointSlice ports always carry a name ("" for an unnamed Service port), as the real
        // controller writes them: kube-proxy skips ports whose name is absent.
        ports: g.ports.map((p) => ({ name: '', ...p })),
      });
    }
  }
  return out;
}

/** Pairs desired slices with existing ones (same ports first) so unchanged slices are left alone. */
export function planSlices(
  desired: EndpointSlice[],
  existing: EndpointSlice[],
): { create: EndpointSlice[]; update: EndpointSlice[]; delete: EndpointSlice[] } {
  const left = [...existing];
  const create: EndpointSlice[] = [];
  const update: EndpointSlice[] = [];
  for (const d of desired) {
    let i = left.findIndex((e) => stableJson(e.ports ?? []) === stableJson(d.ports ?? []));
    if (i < 0) i = left.length ? 0 : -1;
    if (i < 0) {
      create.push(d);
      continue;
    }
    const e = left.splice(i, 1)[0]!;
    const same =
      stableJson([e.endpoints ?? [], e.ports ?? [], e.metadata.labels]) ===
      stableJson([d.endpoints, d.ports ?? [], d.metadata.labels]);
    if (!same)
      update.push({
        ...e,
        metadata: { ...e.metadata, labels: d.metadata.labels },
        endpoints: d.endpoints,
        ports: d.ports,
        addressType: d.addressType,
      });
  }
  return { create, update, delete: left };
}
