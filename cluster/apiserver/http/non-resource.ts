// The apiserver's paths that name no resource: health checks, /version, /metrics, discovery
// (/api, /apis, aggregated or plain, with the lab's APIServices), OpenAPI v2 and v3, and the
// service-account issuer's OIDC documents.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiServiceRegistry } from '../aggregation/api-services.js';
import { remoteDiscoveryItems, remoteGroups } from '../aggregation/discovery.js';
import type { ServiceAccountTokens } from '../authn/service-account-token.js';
import { aggregatedDiscovery, aggregatedDiscoveryVersion, discoveryContentType } from '../discovery/aggregated.js';
import { servedDocument, type OpenApiDocuments } from '../openapi/documents.js';
import { serveDocument } from '../openapi/serve-document.js';
import { acceptsOpenApiV2Protobuf } from '../openapi/v2-protobuf.js';
import type { RequestMetrics } from '../request-metrics.js';
import type { ResourceCatalog } from '../resources.js';
import { resourceNotFound } from '../status.js';
import { sendJson } from './context.js';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, versionInfo } from './discovery.js';
import type { RequestInfo } from './request-info.js';

export interface NonResourceDeps {
  catalog: ResourceCatalog;
  apiServices: ApiServiceRegistry;
  openapi: OpenApiDocuments;
  serviceAccountTokens: ServiceAccountTokens;
  requests: RequestMetrics;
  /** false: /api and /apis only in the plain form (the benchmark's baseline). */
  aggregatedDiscovery: boolean;
  /** host:port of the first listener, as /api's serverAddressByClientCIDRs names it. */
  address(): string;
}

export class NonResourceEndpoints {
  private readonly discoveryCache = new Map<string, { generation: number; doc: ReturnType<typeof servedDocument> }>();

  constructor(private readonly d: NonResourceDeps) {}

  /** The APIGroupDiscoveryList of /api or /apis, rebuilt when the catalog changed (CRDs). */
  private aggregatedDocument(legacy: boolean, v: 'v2' | 'v2beta1'): ReturnType<typeof servedDocument> {
    const key = `${legacy}/${v}`;
    const cached = this.discoveryCache.get(key);
    const generation = this.d.catalog.generation * 1_000_003 + this.d.apiServices.generation;
    if (cached && cached.generation === generation) return cached.doc;
    const list = aggregatedDiscovery(this.d.catalog, legacy, v);
    if (!legacy) (list.items as unknown[]).push(...remoteDiscoveryItems(this.d.apiServices.all()));
    const doc = servedDocument(list, discoveryContentType(v));
    this.discoveryCache.set(key, { generation, doc });
    return doc;
  }

  serve(req: IncomingMessage, res: ServerResponse, url: URL, info: RequestInfo): void {
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (req.method !== 'GET' && req.method !== 'HEAD') throw resourceNotFound();
    if (
      path === '/healthz' ||
      path === '/livez' ||
      path === '/readyz' ||
      path.startsWith('/healthz/') ||
      path.startsWith('/livez/') ||
      path.startsWith('/readyz/')
    ) {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('ok');
      return;
    }
    if (path === '/version') return sendJson(res, 200, versionInfo());
    if (path === '/.well-known/openid-configuration')
      return sendJson(res, 200, this.d.serviceAccountTokens.openIdConfiguration());
    if (path === '/openid/v1/jwks')
      return sendJson(res, 200, this.d.serviceAccountTokens.jwks(), { 'Content-Type': 'application/jwk-set+json' });
    if (path === '/metrics') {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
      return void res.end(this.d.requests.text());
    }
    if (path === '/api' || path === '/apis') {
      const v = this.d.aggregatedDiscovery ? aggregatedDiscoveryVersion(req.headers.accept) : undefined;
      if (v) return serveDocument(req, res, this.aggregatedDocument(path === '/api', v), url);
      if (path === '/api') return sendJson(res, 200, apiVersions(this.d.address()));
      const groups = apiGroupList(this.d.catalog);
      (groups.groups as unknown[]).push(...remoteGroups(this.d.apiServices.all()));
      return sendJson(res, 200, groups);
    }
    if (path === '/openapi/v2') {
      const doc = acceptsOpenApiV2Protobuf(req.headers.accept) ? this.d.openapi.v2Protobuf() : this.d.openapi.v2();
      return serveDocument(req, res, doc, url);
    }
    if (path === '/openapi/v3') return serveDocument(req, res, this.d.openapi.v3IndexDocument(), url);
    if (path.startsWith('/openapi/v3/')) {
      const doc = this.d.openapi.v3(path.slice('/openapi/v3/'.length));
      if (!doc) throw resourceNotFound();
      return serveDocument(req, res, doc, url);
    }
    const parts = path.split('/').filter(Boolean);
    if (parts[0] === 'api' && parts.length === 2) {
      const list = apiResourceList(this.d.catalog, '', parts[1]!);
      if (list) return sendJson(res, 200, list);
    }
    if (parts[0] === 'apis' && parts.length === 2) {
      const g = apiGroup(this.d.catalog, parts[1]!);
      if (g) return sendJson(res, 200, g);
      const remote = remoteGroups(this.d.apiServices.all()).find((x) => x.name === parts[1]);
      if (remote) return sendJson(res, 200, { kind: 'APIGroup', apiVersion: 'v1', ...remote });
    }
    if (parts[0] === 'apis' && parts.length === 3) {
      const list = apiResourceList(this.d.catalog, info.apiGroup, info.apiVersion);
      if (list) return sendJson(res, 200, list);
    }
    throw resourceNotFound();
  }
}
