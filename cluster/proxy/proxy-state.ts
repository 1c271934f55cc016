// kube-proxy's view of the cluster: Services and their EndpointSlices, keyed by Service, with each
// Service's rendered rules cached so that a sync re-renders only what changed.
import { endpointsByPort, sliceServiceKey, validateEndpointSlice, type EndpointInfo } from './endpoint-info.js';
import type { EndpointSliceObject, ServiceObject } from './proxy-types.js';
import { renderServicePort, type RenderContext, type RenderedServicePort } from './render-service.js';
import { servicePortsOf, type ServicePortInfo } from './service-port-info.js';

interface ServiceEntry {
  ports: ServicePortInfo[];
  /** JSON of the Service as last accepted, to ignore updates that change nothing. */
  fingerprint: string;
}

export class ProxyState {
  private readonly services = new Map<string, ServiceEntry>();
  private readonly slices = new Map<string, Map<string, { slice: EndpointSliceObject; fingerprint: string }>>();
  private sortedKeys: string[] | undefined;

  constructor(private readonly nodeName: string) {}

  /** Returns the Service key when something changed; throws ValidationError (changing nothing) on bad input. */
  upsertService(svc: ServiceObject): string | undefined {
    const ports = servicePortsOf(svc);
    const key = `${svc.metadata.namespace ?? 'default'}/${svc.metadata.name!}`;
    const fingerprint = JSON.stringify([svc.spec, svc.status?.loadBalancer ?? null]);
    if (this.services.get(key)?.fingerprint === fingerprint) return undefined;
    if (!this.services.has(key)) this.sortedKeys = undefined;
    this.services.set(key, { ports, fingerprint });
    return key;
  }

  deleteService(namespace: string, name: string): string | undefined {
    const key = `${namespace}/${name}`;
    if (!this.services.delete(key)) return undefined;
    this.sortedKeys = undefined;
    return key;
  }

  upsertEndpointSlice(slice: EndpointSliceObject): string | undefined {
    validateEndpointSlice(slice);
    const key = sliceServiceKey(slice);
    const fingerprint = JSON.stringify([slice.addressType, slice.endpoints ?? [], slice.ports ?? []]);
    let bySlice = this.slices.get(key);
    const name = slice.metadata.name!; // checked by validateEndpointSlice
    if (bySlice?.get(name)?.fingerprint === fingerprint) return undefined;
    if (!bySlice) this.slices.set(key, (bySlice = new Map()));
    bySlice.set(name, { slice, fingerprint });
    return key;
  }

  deleteEndpointSlice(slice: EndpointSliceObject): string | undefined {
    const key = sliceServiceKey(slice);
    const bySlice = this.slices.get(key);
    if (!bySlice?.delete(slice.metadata.name!)) return undefined;
    if (bySlice.size === 0) this.slices.delete(key);
    return key;
  }

  /** Service keys in the order their rules are written (sorted, so output is reproducible). */
  serviceKeys(): readonly string[] {
    return (this.sortedKeys ??= [...this.services.keys()].sort());
  }

  hasService(key: string): boolean {
    return this.services.has(key);
  }

  /** Endpoints of each port of a Service (only ports the Service has). */
  endpointsOf(key: string): Map<string, EndpointInfo[]> {
    const slices = this.slices.get(key);
    if (!slices) return new Map();
    return endpointsByPort(
      key,
      [...slices.values()].map((s) => s.slice),
      this.nodeName,
    );
  }

  /** Total endpoints over all service ports: kube-proxy's measure for large-cluster mode. */
  endpointCount(key: string, endpoints = this.endpointsOf(key)): number {
    let n = 0;
    for (const p of this.services.get(key)?.ports ?? []) n += endpoints.get(p.portKey)?.length ?? 0;
    return n;
  }

  render(key: string, ctx: RenderContext, endpoints = this.endpointsOf(key)): RenderedServicePort[] {
    return (this.services.get(key)?.ports ?? []).map((p) => renderServicePort(p, endpoints.get(p.portKey) ?? [], ctx));
  }
}
