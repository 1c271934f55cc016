// How the apiserver reaches an admission webhook: clientConfig.service → a ready endpoint of the
// Service (its pod address and the target port of the service port, as kube-apiserver does with
// --enable-aggregator-routing), or clientConfig.url; dialled through the apiserver's connection to the
// lab network when there is one (lab addresses are only reachable there), over TLS verified against
// caBundle (the system roots without one) for the Service's DNS name or the URL's host. Connections
// are kept alive per webhook, as client-go's transport does, so a busy webhook costs one dial.
import { Agent, request as httpRequest, type ClientRequest } from 'node:http';
import { connect as netConnect, isIP } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { KObject, ObjectStore } from '../../registry/object-store.js';
import type { ResourceCatalog } from '../../resources.js';

export interface Dialer {
  dial(host: string, port: number): Duplex;
}

/** A failure reaching the webhook or reading its answer, worded as Go's client words it. */
export class WebhookCallError extends Error {}

export interface WebhookEndpoint {
  /** What Go's client names in its errors: https://name.ns.svc:443/path?timeout=10s. */
  url: string;
  host: string;
  port: number;
  serverName: string;
  path: string;
  caBundle?: Buffer;
}

const MAX_RESPONSE = 3 * 1024 * 1024;

function clusterIpOf(store: ObjectStore, catalog: ResourceCatalog, host: string): string | undefined {
  const m = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc(\.cluster\.local)?\.?$/.exec(host);
  if (!m) return undefined;
  const svc = store.tryGet(catalog.find('', 'v1', 'services')!, m[2]!, m[1]!);
  const ip = svc?.spec?.clusterIP;
  return ip && ip !== 'None' ? ip : undefined;
}

/** Where one webhook's clientConfig points (throws WebhookCallError when it cannot be reached). */
export function resolveEndpoint(
  clientConfig: KObject,
  timeoutSeconds: number,
  deps: { store: ObjectStore; catalog: ResourceCatalog; viaLab: boolean },
): WebhookEndpoint {
  const caBundle = clientConfig.caBundle ? Buffer.from(String(clientConfig.caBundle), 'base64') : undefined;
  const timeout = `timeout=${timeoutSeconds}s`;
  if (clientConfig.service) {
    const { namespace, name } = clientConfig.service as { namespace: string; name: string };
    const port = Number(clientConfig.service.port ?? 443);
    const rawPath = String(clientConfig.service.path ?? '');
    const path = `${rawPath.startsWith('/') ? rawPath : `/${rawPath}`}?${timeout}`;
    const url = `https://${name}.${namespace}.svc:${port}${path}`;
    const fail = (why: string) => new WebhookCallError(`Post "${url}": ${why}`);
    const svc = deps.store.tryGet(deps.catalog.find('', 'v1', 'services')!, namespace, name);
    if (!svc) throw fail(`service "${name}" not found`);
    const sp = ((svc.spec?.ports ?? []) as KObject[]).find((p) => p.port === port);
    if (!sp) throw fail(`no service port ${port} found for service "${name}"`);
    const eps = deps.store.tryGet(deps.catalog.find('', 'v1', 'endpoints')!, namespace, name);
    const ready: { ip: string; port: number }[] = [];
    for (const sub of (eps?.subsets ?? []) as KObject[]) {
      const ep = ((sub.ports ?? []) as KObject[]).find((p) => (sp.name ? p.name === sp.name : true));
      if (ep) for (const a of (sub.addresses ?? []) as KObject[]) ready.push({ ip: a.ip, port: ep.port });
    }
    const pick = ready[Math.floor(Math.random() * ready.length)];
    if (!pick) throw fail(`no endpoints available for service "${name}"`);
    return { url, host: pick.ip, port: pick.port, serverName: `${name}.${namespace}.svc`, path, caBundle };
  }
  let u: URL;
  try {
    u = new URL(String(clientConfig.url ?? ''));
  } catch {
    throw new WebhookCallError(`invalid webhook URL "${String(clientConfig.url)}"`);
  }
  const path = `${u.pathname}${u.search ? `${u.search}&` : '?'}${timeout}`;
  const url = `${u.origin}${path}`;
  const hostname = u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port || 443);
  let host = hostname;
  if (deps.viaLab && !isIP(hostname)) {
    const ip = clusterIpOf(deps.store, deps.catalog, hostname);
    if (!ip) throw new WebhookCallError(`Post "${url}": dial tcp: lookup ${hostname}: no such host`);
    host = ip;
  }
  return { url, host, port, serverName: hostname, path, caBundle };
}

class WebhookAgent extends Agent {
  constructor(
    private readonly ep: () => WebhookEndpoint,
    private readonly dialer: Dialer | undefined,
  ) {
    super({ keepAlive: true, maxSockets: 16, timeout: 30_000 });
  }

  override createConnection(): Duplex {
    const ep = this.ep();
    const socket = this.dialer ? this.dialer.dial(ep.host, ep.port) : netConnect(ep.port, ep.host);
    const opts: ConnectionOptions = {
      socket,
      servername: isIP(ep.serverName) ? undefined : ep.serverName,
      ALPNProtocols: ['http/1.1'],
    };
    if (ep.caBundle?.length) opts.ca = ep.caBundle;
    // A certificate for an IP address is checked against that address (Go does the same).
    if (isIP(ep.serverName))
      opts.checkServerIdentity = (_h, cert) =>
        (cert.subjectaltname ?? '').split(', ').includes(`IP Address:${ep.serverName}`)
          ? undefined
          : new Error(`x509: certificate is not valid for IP ${ep.serverName}`);
    return tlsConnect(opts);
  }
}

function goError(err: Error & { code?: string }, ep: WebhookEndpoint): string {
  const addr = `${ep.host}:${ep.port}`;
  switch (err.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${addr}: connect: connection refused`;
    case 'EHOSTUNREACH':
      return `dial tcp ${addr}: connect: no route to host`;
    case 'ECONNRESET':
      return 'read: connection reset by peer';
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `tls: failed to verify certificate: x509: certificate is valid for other names, not ${ep.serverName}`;
    case 'CERT_HAS_EXPIRED':
      return 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid';
  }
  if (/socket hang up|ended by the other party/.test(err.message)) return 'EOF';
  return err.message;
}

/** The errors client-go's REST client reports for a non-2xx answer without a Status body. */
function httpStatusError(code: number, body: string): string {
  switch (code) {
    case 404:
      return 'the server could not find the requested resource';
    case 500:
      return `an error on the server ("${body.slice(0, 1024).trim()}") has prevented the request from succeeding`;
    case 503:
      return 'the server is currently unable to handle the request';
    case 504:
      return 'the server was unable to return a response in the time allotted, but may still be processing the request';
  }
  return `the server responded with the status code ${code} but did not return more information`;
}

/** Posts AdmissionReviews; one keep-alive pool per webhook, dropped when its configuration changes. */
export class WebhookClient {
  private readonly agents = new Map<string, { key: string; agent: WebhookAgent; ep: WebhookEndpoint }>();

  constructor(private readonly dialer: () => Dialer | undefined) {}

  /** Forgets pools whose webhook is gone or changed. */
  prune(live: Set<string>): void {
    for (const [uid, a] of this.agents)
      if (!live.has(uid)) {
        a.agent.destroy();
        this.agents.delete(uid);
      }
  }

  async post(uid: string, ep: WebhookEndpoint, body: string, timeoutMs: number): Promise<KObject> {
    const key = `${ep.host}:${ep.port}/${ep.serverName}/${ep.caBundle?.toString('base64') ?? ''}`;
    let entry = this.agents.get(uid);
    if (entry && entry.key !== key) {
      entry.agent.destroy();
      entry = undefined;
    }
    if (!entry) {
      const holder: { ep: WebhookEndpoint } = { ep };
      entry = { key, agent: new WebhookAgent(() => holder.ep, this.dialer()), ep };
      this.agents.set(uid, entry);
    }
    const agent = entry.agent;
    return await new Promise<KObject>((resolve, reject) => {
      let req: ClientRequest | undefined;
      const timer = setTimeout(() => {
        req?.destroy(Object.assign(new Error('context deadline exceeded'), { code: 'DEADLINE' }));
      }, timeoutMs);
      const fail = (err: Error & { code?: string }) => {
        clearTimeout(timer);
        reject(new WebhookCallError(`Post "${ep.url}": ${goError(err, ep)}`));
      };
      try {
        req = httpRequest(
          {
            method: 'POST',
            path: ep.path,
            agent,
            headers: {
              host: `${ep.serverName}:${ep.port}`,
              'content-type': 'application/json',
              accept: 'application/json, */*',
              'user-agent': 'kube-apiserver-admission',
              'content-length': Buffer.byteLength(body),
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            let size = 0;
            res.on('data', (c: Buffer) => {
              size += c.length;
              if (size > MAX_RESPONSE) {
                res.destroy();
                fail(new Error(`response body too large (more than ${MAX_RESPONSE} bytes)`));
              } else chunks.push(c);
            });
            res.on('error', fail);
            res.on('end', () => {
              clearTimeout(timer);
              const text = Buffer.concat(chunks).toString('utf8');
              const code = res.statusCode ?? 0;
              let parsed: unknown;
              try {
                parsed = JSON.parse(text);
              } catch (err) {
                if (code < 200 || code > 299) return reject(new WebhookCallError(httpStatusError(code, text)));
                return reject(
                  new WebhookCallError(
                    `couldn't get version/kind; json parse error: ${err instanceof Error ? err.message : String(err)}`,
                  ),
                );
              }
              const obj = parsed as KObject;
              if (code < 200 || code > 299) {
                if (obj?.kind === 'Status' && obj.message) return reject(new WebhookCallError(String(obj.message)));
                return reject(new WebhookCallError(httpStatusError(code, text)));
              }
              if (!obj || typeof obj !== 'object' || Array.isArray(obj))
                return reject(new WebhookCallError("couldn't get version/kind; json parse error: not an object"));
              resolve(obj);
            });
          },
        );
      } catch (err) {
        return fail(err as Error);
      }
      req.on('error', fail);
      req.end(body);
    });
  }
}
