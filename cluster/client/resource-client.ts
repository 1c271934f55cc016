// Typed verbs on one resource (get/list/create/update/patch/delete/watch, status and other
// subresources), the shape of client-go's typed clientsets: `client.pods.get('x', 'default')`.
import type { KubeList, KubeObject, Status } from '../../common/api-types.js';
import { type Disposer, type Query, type RestClient, type WatchHandlers } from './rest-client.js';
import { apiVersionOf, resourcePath, type ResourceType } from './resources.js';

export interface ListOptions {
  /** Omit (or undefined) on a namespaced type to list across all namespaces. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** '0' lets the server answer from its cache; '' (default) asks for the newest. */
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  limit?: number;
  continue?: string;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Events strictly after this version; '' or undefined starts with synthetic ADDED of everything. */
  resourceVersion?: string;
  /** The server ends the watch after this many seconds (informers re-watch then). */
  timeoutSeconds?: number;
  allowWatchBookmarks?: boolean;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
}

/** merge = RFC 7386 merge patch, strategic = Kubernetes strategic merge patch, json = RFC 6902. */
export type PatchType = 'merge' | 'strategic' | 'json';

export const patchContentTypes: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
};

export class ResourceClient<T extends KubeObject> {
  constructor(
    private readonly rest: RestClient,
    readonly type: ResourceType,
  ) {}

  get(name: string, namespace?: string): Promise<T> {
    return this.rest.request<T>('GET', this.path(namespace, name));
  }

  list(opts: ListOptions = {}): Promise<KubeList<T>> {
    const { namespace, ...rest } = opts;
    return this.rest.request<KubeList<T>>('GET', this.collection(namespace), { query: rest as Query });
  }

  /** Creates obj in obj.metadata.namespace (or `namespace`, or 'default' as kubectl does). */
  create(obj: T, namespace?: string): Promise<T> {
    const ns = this.namespaceOf(obj, namespace);
    return this.rest.request<T>('POST', this.collection(ns), { body: this.withTypeMeta(obj) });
  }

  /** PUT; obj.metadata.resourceVersion makes it conditional (a stale one gets ConflictError). */
  update(obj: T): Promise<T> {
    return this.rest.request<T>('PUT', this.path(this.namespaceOf(obj), this.nameOf(obj)), {
      body: this.withTypeMeta(obj),
    });
  }

  /** PUT to the status subresource: only .status is taken by the server. */
  updateStatus(obj: T): Promise<T> {
    return this.rest.request<T>('PUT', this.path(this.namespaceOf(obj), this.nameOf(obj), 'status'), {
      body: this.withTypeMeta(obj),
    });
  }

  patch(
    name: string,
    patch: unknown,
    type: PatchType,
    opts: { namespace?: string; subresource?: string } = {},
  ): Promise<T> {
    return this.rest.request<T>('PATCH', this.path(opts.namespace, name, opts.subresource), {
      body: patch,
      contentType: patchContentTypes[type],
    });
  }

  /** Resolves with the deleted object (or a Status, as the server answers for some deletes). */
  delete(name: string, namespace?: string, opts: DeleteOptions = {}): Promise<T | Status> {
    const hasBody = Object.keys(opts).length > 0;
    return this.rest.request<T | Status>('DELETE', this.path(namespace, name), {
      body: hasBody ? { apiVersion: 'v1', kind: 'DeleteOptions', ...opts } : undefined,
    });
  }

  /** POST to a subresource, e.g. pods/binding or pods/eviction. */
  createSubresource<R>(name: string, namespace: string | undefined, subresource: string, body: unknown): Promise<R> {
    return this.rest.request<R>('POST', this.path(namespace, name, subresource), { body });
  }

  watch(opts: WatchOptions, handlers: WatchHandlers<T>): Disposer {
    const { namespace, ...rest } = opts;
    return this.rest.watch<T>(this.collection(namespace), rest as Query, handlers);
  }

  private collection(namespace: string | undefined): string {
    return resourcePath(this.type, this.type.namespaced ? namespace : undefined);
  }

  private path(namespace: string | undefined, name: string, subresource?: string): string {
    if (this.type.namespaced && !namespace) {
      throw new TypeError(`${this.type.resource}/${name}: a namespace is required`);
    }
    return resourcePath(this.type, this.type.namespaced ? namespace : undefined, name, subresource);
  }

  private namespaceOf(obj: T, fallback?: string): string | undefined {
    if (!this.type.namespaced) return undefined;
    return obj.metadata?.namespace ?? fallback ?? 'default';
  }

  private nameOf(obj: T): string {
    const name = obj.metadata?.name;
    if (!name) throw new TypeError(`${this.type.kind}: metadata.name is required`);
    return name;
  }

  private withTypeMeta(obj: T): T {
    return { ...obj, apiVersion: obj.apiVersion ?? apiVersionOf(this.type), kind: obj.kind ?? this.type.kind };
  }
}
