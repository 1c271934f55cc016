// The apiserver: HTTPS listeners, and for each request the chain the article describes —
// authentication plugins, authorization plugins, admission (mutating, validating), the store.
// Constructed with its store, clock and config; start() returns the disposer.
import { createServer, type Server } from 'node:https';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Backend } from '../store/backend.js';
import { StoreCompactor, systemClock as compactorClock } from '../store/compactor.js';
import { isIpv4 } from '../../common/net/ipv4.js';
import { kubernetesServiceIP } from './admission/service-allocation.js';
import type { Authenticator, UserInfo } from './authn/authenticator.js';
import { ADMIN_USER, TokenFile, nodeUser } from './authn/token-file.js';
import { ClientCertAuthenticator } from './authn/client-cert.js';
import { loadServiceAccountKey } from './authn/service-account-key.js';
import { ServiceAccountTokens } from './authn/service-account-token.js';
import { PrivilegedGroupAuthorizer, type Authorizer } from './authz/authorizer.js';
import { RbacAuthorizer } from './authz/rbac-authorizer.js';
import { NodeAuthorizer } from './authz/node-authorizer.js';
import { AdmissionConfigurations } from './admission/webhooks/configurations.js';
import { systemClock, type Clock } from './clock.js';
import { bootstrap } from './bootstrap.js';
import { sendError, type ApiContext } from './http/context.js';
import { MetricsApi } from './http/metrics-api.js';
import { isConnectSubresource, proxyUpgrade, type KubeletConnector } from './http/kubelet-proxy.js';
import type { Duplex } from 'node:stream';
import { KUBERNETES_VERSION } from './http/discovery.js';
import { BuiltinFragments } from './openapi/builtin-source.js';
import { FieldManager } from './apply/field-manager.js';
import { KindTypeRegistry } from './apply/kind-types.js';
import { CrdRegistry } from './crd/crd-registry.js';
import { ApiServiceRegistry } from './aggregation/api-services.js';
import { proxyToApiService } from './aggregation/proxy.js';
import { publishExtensionAuthentication } from './aggregation/extension-authentication.js';
import { OpenApiDocuments } from './openapi/documents.js';
import { authenticateAndAuthorize } from './http/request-authorization.js';
import { NonResourceEndpoints } from './http/non-resource.js';
import { admissionChain } from './admission/admission-chain.js';
import { serveResource } from './http/rest-handler.js';
import { writeKubeconfig } from './kubeconfig.js';
import { ensurePki, servingNames } from './pki.js';
import { ObjectStore } from './registry/object-store.js';
import { Strategy } from './registry/strategy.js';
import { NamespaceCache } from './registry/namespace-cache.js';
import { RequestMetrics } from './request-metrics.js';
import { ResourceCatalog } from './resources.js';
import { ApiError, internalError, resourceNotFound } from './status.js';
import { encodeForWire } from './encoding/go-json.js';

export interface ListenAddress {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
}

export interface ApiServerConfig {
  /** Folder for the CA, serving certificate, token file and admin kubeconfig. */
  stateDir: string;
  /** The first is the address written into the admin kubeconfig (normally 127.0.0.1:6443). */
  listen: ListenAddress[];
  serviceCidr: string;
  nodePortRange: [number, number];
  /** Extra DNS names for the serving certificate. */
  extraSans?: string[];
  bookmarkIntervalMs?: number;
  /**
   * History compaction, as kube-apiserver compacts etcd: every intervalMs, drop what is older than
   * keepMs (watches from before get 410 Expired). false: nobody compacts (tests that need history).
   */
  compaction?: { intervalMs: number; keepMs: number } | false;
  /** false: answer /api and /apis only in the plain form (the benchmark's baseline). */
  aggregatedDiscovery?: boolean;
}

export const DEFAULT_CONFIG: Omit<ApiServerConfig, 'stateDir'> = {
  listen: [{ host: '127.0.0.1', port: 6443 }],
  serviceCidr: '192.168.192.0/18',
  nodePortRange: [30000, 32767],
};

export interface ApiServerDeps {
  backend: Backend;
  config: ApiServerConfig;
  clock?: Clock;
  /** How the apiserver reaches kubelets and pods (pods/log, exec, attach, portforward, proxies). */
  kubelet?: KubeletConnector;
  /** Extra authenticators asked before the token file (e.g. service account tokens later). */
  authenticators?: Authenticator[];
  log?: (line: string) => void;
}

export class ApiServer {
  readonly catalog = new ResourceCatalog();
  /** Schemas server-side apply types kinds by (custom resources register theirs). */
  readonly kindTypes = new KindTypeRegistry();
  readonly store: ObjectStore;
  private readonly tokens: TokenFile;
  readonly serviceAccountTokens: ServiceAccountTokens;
  private readonly rbac: RbacAuthorizer;
  private readonly namespaces: NamespaceCache;
  private readonly authenticators: Authenticator[];
  private readonly authorizers: Authorizer[];
  private readonly ctx: ApiContext;
  private readonly crds: CrdRegistry;
  private readonly apiServices: ApiServiceRegistry;
  private readonly admissionConfigs: AdmissionConfigurations;
  private readonly openapi: OpenApiDocuments;
  private readonly requests = new RequestMetrics();
  private readonly nonResource: NonResourceEndpoints;
  private readonly servers: Server[] = [];
  private bound: ListenAddress[] = [];
  private readonly log: (line: string) => void;
  private metricsApi: MetricsApi | undefined;

  private get metrics(): MetricsApi {
    return (this.metricsApi ??= new MetricsApi(this.ctx));
  }

  constructor(private readonly deps: ApiServerDeps) {
    const clock = deps.clock ?? systemClock;
    this.log = deps.log ?? (() => {});
    this.store = new ObjectStore(deps.backend);
    this.tokens = new TokenFile(join(deps.config.stateDir, 'tokens.csv'));
    this.rbac = new RbacAuthorizer(this.store, this.catalog);
    this.namespaces = new NamespaceCache(this.store, this.catalog);
    // The service-account signing key lives beside the CA in the private state folder.
    this.serviceAccountTokens = new ServiceAccountTokens(
      loadServiceAccountKey(deps.config.stateDir),
      {
        get: (plural, ns, name) => {
          const r = this.catalog.find('', 'v1', plural)!;
          return this.store.tryGet(r, r.namespaced ? ns : '', name);
        },
      },
      () => Math.floor(clock.now() / 1000),
    );
    // x509 first, then tokens: kube-apiserver's union authenticator order.
    this.authenticators = [
      new ClientCertAuthenticator(),
      ...(deps.authenticators ?? []),
      this.serviceAccountTokens,
      this.tokens,
    ];
    this.crds = new CrdRegistry(this.catalog, this.kindTypes, this.store, this.log);
    this.apiServices = new ApiServiceRegistry(this.catalog, this.store, clock, () => deps.kubelet, this.log);
    this.openapi = new OpenApiDocuments([new BuiltinFragments(this.catalog, (r) => !r.custom), this.crds], {
      title: 'Kubernetes',
      version: KUBERNETES_VERSION.gitVersion.replace(/\+.*/, ''),
    });
    this.nonResource = new NonResourceEndpoints({
      catalog: this.catalog,
      apiServices: this.apiServices,
      openapi: this.openapi,
      serviceAccountTokens: this.serviceAccountTokens,
      requests: this.requests,
      aggregatedDiscovery: deps.config.aggregatedDiscovery !== false,
      address: () => `${this.bound[0]?.host}:${this.bound[0]?.port}`,
    });
    this.authorizers = [new PrivilegedGroupAuthorizer(), new NodeAuthorizer(this.store, this.catalog), this.rbac];
    this.admissionConfigs = new AdmissionConfigurations(this.store, this.catalog);
    const admission = admissionChain({
      store: this.store,
      catalog: this.catalog,
      clock,
      config: deps.config,
      crds: this.crds,
      rbac: this.rbac,
      authorizers: this.authorizers,
      namespaces: this.namespaces,
      admissionConfigs: this.admissionConfigs,
      kubelet: () => deps.kubelet,
    });
    this.ctx = {
      catalog: this.catalog,
      store: this.store,
      strategy: new Strategy(clock),
      admission,
      clock,
      authorizers: this.authorizers,
      kubelet: deps.kubelet,
      authenticators: this.authenticators,
      observeWrite: (r, obj, deleted) => {
        if (r.plural === 'namespaces') this.namespaces.observe(obj, deleted);
        else if (r.plural === 'customresourcedefinitions' && r.group === 'apiextensions.k8s.io')
          this.crds.observe(obj, deleted);
        else if (r.plural === 'apiservices' && r.group === 'apiregistration.k8s.io')
          this.apiServices.observe(obj, deleted);
        else if (r.group === 'admissionregistration.k8s.io') this.admissionConfigs.observe(r, obj, deleted);
        else this.rbac.observe(r.plural, obj, deleted);
      },
      bookmarkIntervalMs: deps.config.bookmarkIntervalMs ?? 60_000,
      fieldManager: new FieldManager((r) => this.kindTypes.get(r), clock),
      serviceAccountTokens: this.serviceAccountTokens,
    };
  }

  /** Addresses actually listened on (ports resolved), available after start(). */
  get addresses(): ListenAddress[] {
    return this.bound;
  }

  get url(): string {
    const a = this.bound[0]!;
    return `https://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
  }

  get kubeconfigPath(): string {
    return join(this.deps.config.stateDir, 'admin.kubeconfig');
  }

  get caPath(): string {
    return join(this.deps.config.stateDir, 'ca.crt');
  }

  /** A bearer token for the node agent of `nodeName` (system:node:<name>, group system:nodes). */
  issueNodeToken(nodeName: string): string {
    return this.tokens.issue(nodeUser(nodeName));
  }

  /** A token for any user (tests and later components). */
  issueToken(user: UserInfo): string {
    return this.tokens.issue(user);
  }

  get adminToken(): string {
    return this.tokens.issue(ADMIN_USER);
  }

  async start(): Promise<() => Promise<void>> {
    const cfg = this.deps.config;
    const serviceIP = kubernetesServiceIP(cfg.serviceCidr);
    const ips = cfg.listen.map((l) => l.host).filter((h) => isIpv4(h) && h !== '0.0.0.0');
    const pki = await ensurePki(cfg.stateDir, servingNames([...ips, serviceIP], cfg.extraSans));
    const adminToken = this.adminToken;
    let stopRbac = () => {};
    try {
      for (const l of cfg.listen) {
        const server = createServer(
          {
            cert: pki.cert,
            key: pki.key,
            keepAliveTimeout: 60_000,
            // Client certificates are asked for and checked against the cluster CA, but optional:
            // most clients log in with a bearer token (x509 authentication, --client-ca-file).
            requestCert: true,
            rejectUnauthorized: false,
            ca: pki.caCertPem,
            // Nagle off on every connection, as Go's net package does for kube-apiserver: a
            // keystroke of exec -t or a watch event is one small write that must leave at once.
            noDelay: true,
          },
          (req, res) => void this.handle(req, res),
        );
        server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
          this.handleUpgrade(req, socket, head),
        );
        server.headersTimeout = 60_000;
        server.requestTimeout = 0;
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(l.port, l.host, () => resolve());
        });
        this.servers.push(server);
        this.bound.push({ host: l.host, port: (server.address() as AddressInfo).port });
      }
      // After binding, so that the `kubernetes` endpoints carry the real port (tests ask for port 0).
      this.crds.load();
      bootstrap(this.ctx, {
        serviceIP,
        endpoint: { ip: ips.find((ip) => ip !== '127.0.0.1') ?? '127.0.0.1', port: this.bound[0]!.port },
      });
      // The proxy client certificate is the one the apiserver shows nodes and aggregated servers;
      // a composition root may issue it after start, so the availability loop publishes it again.
      let published = '';
      const publish = () => {
        const cert = this.deps.kubelet?.tls.cert;
        const key = cert?.length ? cert.toString('base64') : '-';
        if (key === published) return;
        published = key;
        publishExtensionAuthentication(
          this.ctx,
          pki.caCertPem,
          cert?.length ? { cert, ca: this.deps.kubelet!.tls.ca } : undefined,
        );
      };
      publish();
      const stops = [
        this.rbac.start(),
        this.namespaces.start(),
        this.admissionConfigs.start(),
        this.apiServices.start(10_000, () => publish()),
      ];
      if (cfg.compaction !== false) {
        const compactor = new StoreCompactor(this.deps.backend, {
          clock: compactorClock,
          intervalMs: cfg.compaction?.intervalMs ?? 60_000,
          keepMs: cfg.compaction?.keepMs ?? 5 * 60_000,
          onError: (err) => this.log(`apiserver: compaction failed: ${err.message}`),
        });
        stops.push(compactor.start());
      }
      stopRbac = () => stops.forEach((s) => s());
    } catch (err) {
      stopRbac();
      await this.closeServers();
      throw err;
    }
    writeKubeconfig(this.kubeconfigPath, { server: this.url, caPem: pki.caCertPem, user: 'admin', token: adminToken });
    this.log(`apiserver listening on ${this.bound.map((b) => `${b.host}:${b.port}`).join(', ')}`);
    return async () => {
      stopRbac();
      await this.closeServers();
    };
  }

  private async closeServers(): Promise<void> {
    const servers = this.servers.splice(0);
    await Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    );
    this.bound = [];
  }

  /** Upgrades (WebSocket, SPDY) are only for the streaming subresources, spliced to the kubelet. */
  private handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    try {
      const url = requestTarget(req.url);
      if (!url) throw new ApiError(400, 'BadRequest', '400 Bad Request');
      const { user, info } = authenticateAndAuthorize(req, url, this.authenticators, this.authorizers);
      const r = info.isResourceRequest ? this.catalog.find(info.apiGroup, info.apiVersion, info.resource) : undefined;
      if (!r || !isConnectSubresource(r.plural, info.subresource)) throw resourceNotFound();
      proxyUpgrade(this.ctx, req, socket, head, {
        user,
        url,
        namespace: info.namespace,
        name: info.name,
        subresource: info.subresource,
        resource: r,
      });
    } catch (err) {
      const e = err instanceof ApiError ? err : internalError(err);
      if (!(err instanceof ApiError))
        this.log(`apiserver: upgrade ${req.method} ${req.url}: ${err instanceof Error ? err.stack : String(err)}`);
      const body = encodeForWire(e.toStatus());
      socket.end(
        `HTTP/1.1 ${e.code} ${STATUS_CODES[e.code] ?? e.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // What Go's net/http refuses before any handler runs: a request target that does not parse,
    // or a path with a bad percent escape. Its answer is a bare text 400.
    const url = requestTarget(req.url);
    if (!url) {
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
      return void res.end('400 Bad Request');
    }
    try {
      const { user, info } = authenticateAndAuthorize(req, url, this.authenticators, this.authorizers);
      this.requests.observe(info, req.headers['content-type'], res);
      // Group-versions an APIService hands to a Service in the lab (kube-aggregator's proxy).
      const gv = /^\/apis\/([^/]+)\/([^/]+)(\/|$)/.exec(url.pathname);
      const remote = gv ? this.apiServices.remote(gv[1]!, gv[2]!) : undefined;
      if (remote)
        return await proxyToApiService(req, res, remote, user, {
          catalog: this.catalog,
          store: this.store,
          connector: this.deps.kubelet,
        });
      if (!info.isResourceRequest) return this.nonResource.serve(req, res, url, info);
      if (info.apiGroup === 'metrics.k8s.io' && info.apiVersion === 'v1beta1')
        return await this.metrics.serve(res, info.parts, info.verb);
      const r = this.catalog.find(info.apiGroup, info.apiVersion, info.resource);
      if (!r || (!r.namespaced && info.namespace && r.plural !== 'namespaces')) throw resourceNotFound();
      await serveResource(this.ctx, req, res, info.verb, {
        user,
        url,
        namespace: r.plural === 'namespaces' ? '' : info.namespace,
        name: info.name,
        subresource: info.subresource,
        resource: r,
      });
    } catch (err) {
      if (err instanceof ApiError) return sendError(res, err);
      this.log(`apiserver: ${req.method} ${req.url}: ${err instanceof Error ? err.stack : String(err)}`);
      sendError(res, internalError(err));
    }
  }
}

function requestTarget(raw: string | undefined): URL | undefined {
  const target = raw ?? '/';
  const path = target.split('?')[0]!;
  if (/%(?![0-9A-Fa-f]{2})/.test(path)) return undefined;
  try {
    return new URL(target, 'https://apiserver');
  } catch {
    return undefined;
  }
}
